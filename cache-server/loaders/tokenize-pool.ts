/**
 * Worker threads that tokenize for one load (worker-pool.ts), one per core by default: each opens
 * the tokenizer once; `encode` sends a batch of texts to the least busy worker and resolves with its ids.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { EncodedBatch, Utf8Documents } from './text-tokenizer.js';
import type { TokenizerSource } from './tokenize-options.js';
import { WorkerError, WorkerPool } from './worker-pool.js';

/** What a worker is started with. */
export interface WorkerSetup {
  readonly source: TokenizerSource;
  readonly specialTokens: boolean;
}

/** What a worker answers once its tokenizer is open: the tokenizer's special ids. */
export interface TokenizerIds {
  readonly eos: number | undefined;
  readonly pad: number;
}

const WORKER_URL = new URL('./tokenize-worker.js', import.meta.url);

/** A started pool; `open` waits until every worker has its tokenizer. */
export class TokenizePool {
  private constructor(private readonly pool: WorkerPool<Utf8Documents, EncodedBatch, TokenizerIds>) {}

  /** Starts `workers` threads (default: one per core) with the tokenizer; INVALID_ARGUMENT when it cannot be opened. */
  static async open(setup: WorkerSetup, workers?: number): Promise<TokenizePool> {
    const name = 'tokenizer' in setup.source ? `tokenizer ${setup.source.tokenizer}` : `tiktoken encoding ${setup.source.tiktoken}`;
    try {
      return new TokenizePool(await WorkerPool.open<Utf8Documents, EncodedBatch, TokenizerIds>(WORKER_URL, setup, 'tokenize', workers));
    } catch (err) {
      throw err instanceof WorkerError ? new FlightError(Code.INVALID_ARGUMENT, `cannot open ${name}: ${err.message}`) : err;
    }
  }

  /** The end-of-sequence id packed documents end with; undefined when the tokenizer has none. */
  get eos(): number | undefined {
    return this.pool.ready.eos;
  }

  /** The id padded rows are filled with. */
  get pad(): number {
    return this.pool.ready.pad;
  }

  /** The ids of `docs`, from the worker with the fewest batches waiting; `docs`' buffers move to it. */
  async encode(docs: Utf8Documents): Promise<EncodedBatch> {
    try {
      return await this.pool.run({ data: docs.data, offsets: docs.offsets }, [docs.data.buffer as ArrayBuffer, docs.offsets.buffer as ArrayBuffer]);
    } catch (err) {
      throw err instanceof WorkerError ? new FlightError(Code.INVALID_ARGUMENT, `tokenizing failed: ${err.message}`) : err;
    }
  }

  /** How many threads tokenize. */
  get size(): number {
    return this.pool.size;
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    await this.pool.close();
  }
}
