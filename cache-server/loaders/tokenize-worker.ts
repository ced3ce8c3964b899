/**
 * A tokenize worker thread: opens the tokenizer its workerData names, answers `ready` (or the error
 * opening it gave), then encodes each batch of documents it is sent and transfers the ids back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openTokenizer } from './text-tokenizer.js';
import type { WorkerReply, WorkerRequest, WorkerSetup } from './tokenize-pool.js';

const setup = workerData as WorkerSetup;
const port = parentPort!;
try {
  const tokenizer = openTokenizer(setup.source, setup.specialTokens);
  port.postMessage({ kind: 'ready', eos: tokenizer.eos, pad: tokenizer.pad } satisfies WorkerReply);
  port.on('message', (request: WorkerRequest) => {
    tokenizer.encode(request).then(
      ({ ids, offsets }) => port.postMessage({ kind: 'encoded', id: request.id, ids, offsets } satisfies WorkerReply, [ids.buffer as ArrayBuffer, offsets.buffer as ArrayBuffer]),
      (err: unknown) => port.postMessage({ kind: 'failed', id: request.id, message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply),
    );
  });
} catch (err) {
  port.postMessage({ kind: 'failed', id: -1, message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply);
}
