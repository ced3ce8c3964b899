/**
 * A tokenize worker thread: opens the tokenizer its workerData names, answers `ready` (or the error
 * opening it gave), then encodes each batch of documents it is sent and transfers the ids back.
 */
import { workerData } from 'node:worker_threads';
import { openTokenizer, type EncodedBatch, type TextTokenizer, type Utf8Documents } from './text-tokenizer.js';
import type { TokenizerIds, WorkerSetup } from './tokenize-pool.js';
import { serveRequests } from './worker-pool.js';

const setup = workerData as WorkerSetup;
serveRequests<Utf8Documents, EncodedBatch, TokenizerIds, TextTokenizer>(
  () => {
    const tokenizer = openTokenizer(setup.source, setup.specialTokens);
    return { state: tokenizer, ready: { eos: tokenizer.eos, pad: tokenizer.pad } };
  },
  async (tokenizer, docs) => {
    const { ids, offsets } = await tokenizer.encode(docs);
    return { result: { ids, offsets }, transfer: [ids.buffer as ArrayBuffer, offsets.buffer as ArrayBuffer] };
  },
);
