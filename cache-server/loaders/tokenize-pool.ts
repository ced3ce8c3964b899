/**
 * Worker threads that tokenize for one load, one per core by default: each opens the tokenizer once;
 * `encode` sends a batch of texts to the least busy worker and resolves with its ids.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { EncodedBatch, Utf8Documents } from './text-tokenizer.js';
import type { TokenizerSource } from './tokenize-options.js';

/** What a worker is started with. */
export interface WorkerSetup {
  readonly source: TokenizerSource;
  readonly specialTokens: boolean;
}

/** A batch of documents for a worker. */
export type WorkerRequest = { readonly id: number } & Utf8Documents;

/** A worker's answers: opened (with the tokenizer's special ids), a batch's ids, or an error. */
export type WorkerReply =
  | { readonly kind: 'ready'; readonly eos: number | undefined; readonly pad: number }
  | ({ readonly kind: 'encoded'; readonly id: number } & EncodedBatch)
  | { readonly kind: 'failed'; readonly id: number; readonly message: string };

interface Slot {
  readonly worker: Worker;
  readonly pending: Map<number, { resolve: (batch: EncodedBatch) => void; reject: (err: Error) => void }>;
}

const WORKER_URL = new URL('./tokenize-worker.js', import.meta.url);

/** A started pool; `open` waits until every worker has its tokenizer. */
export class TokenizePool {
  #next = 0;
  #failure: FlightError | undefined;

  private constructor(
    private readonly slots: readonly Slot[],
    /** The end-of-sequence id packed documents end with; undefined when the tokenizer has none. */
    readonly eos: number | undefined,
    /** The id padded rows are filled with. */
    readonly pad: number,
  ) {}

  /** Starts `workers` threads (default: one per core) with the tokenizer; INVALID_ARGUMENT when it cannot be opened. */
  static async open(setup: WorkerSetup, workers = availableParallelism()): Promise<TokenizePool> {
    const slots: Slot[] = [];
    const name = 'tokenizer' in setup.source ? `tokenizer ${setup.source.tokenizer}` : `tiktoken encoding ${setup.source.tiktoken}`;
    const ready = Array.from({ length: Math.max(1, workers) }, () => {
      const worker = new Worker(WORKER_URL, { workerData: setup });
      const slot: Slot = { worker, pending: new Map() };
      slots.push(slot);
      return new Promise<{ eos: number | undefined; pad: number }>((resolve, reject) => {
        worker.once('error', (err) => reject(new FlightError(Code.INTERNAL, `tokenize worker failed: ${err.message}`)));
        worker.once('message', (reply: WorkerReply) => {
          if (reply.kind === 'ready') resolve(reply);
          else reject(new FlightError(Code.INVALID_ARGUMENT, `cannot open ${name}: ${reply.kind === 'failed' ? reply.message : 'no answer'}`));
        });
      });
    });
    let specials: { eos: number | undefined; pad: number };
    try {
      specials = (await Promise.all(ready))[0]!;
    } catch (err) {
      await Promise.all(slots.map((s) => s.worker.terminate()));
      throw err;
    }
    const pool = new TokenizePool(slots, specials.eos, specials.pad);
    for (const slot of slots) pool.#listen(slot);
    return pool;
  }

  #listen(slot: Slot): void {
    slot.worker.on('message', (reply: WorkerReply) => {
      if (reply.kind === 'ready') return;
      const waiter = slot.pending.get(reply.id);
      if (!waiter) return;
      slot.pending.delete(reply.id);
      if (reply.kind === 'encoded') waiter.resolve({ ids: reply.ids, offsets: reply.offsets });
      else waiter.reject(new FlightError(Code.INVALID_ARGUMENT, `tokenizing failed: ${reply.message}`));
    });
    slot.worker.on('error', (err) => {
      this.#failure = new FlightError(Code.INTERNAL, `tokenize worker failed: ${err.message}`);
      for (const waiter of slot.pending.values()) waiter.reject(this.#failure);
      slot.pending.clear();
    });
  }

  /** The ids of `docs`, from the worker with the fewest batches waiting; `docs`' buffers move to it. */
  encode(docs: Utf8Documents): Promise<EncodedBatch> {
    if (this.#failure) return Promise.reject(this.#failure);
    const slot = this.slots.reduce((best, s) => (s.pending.size < best.pending.size ? s : best));
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, data: docs.data, offsets: docs.offsets } satisfies WorkerRequest, [docs.data.buffer as ArrayBuffer, docs.offsets.buffer as ArrayBuffer]);
    });
  }

  /** How many threads tokenize. */
  get size(): number {
    return this.slots.length;
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
