/**
 * Worker threads that decode Parquet row groups for one load (worker-pool.ts), one per core by
 * default, each with its own parquet-wasm: a row group comes back as an Arrow IPC stream whose
 * buffer is transferred, not copied. parquet-reader.ts asks for a file's row groups in order, a
 * bounded number at a time.
 */
import { FlightError } from '../../client/src/flight/errors.js';
import { WorkerError, WorkerPool } from './worker-pool.js';

/** One row group to decode: `batchSize` is the file's largest row group, so it comes back as one batch. */
export interface RowGroupRequest {
  readonly path: string;
  readonly rowGroup: number;
  readonly batchSize: number;
  readonly columns?: string[];
}

/** A decoded row group: its batches as Arrow IPC streams (schema + batch). */
export interface DecodedRowGroup {
  readonly streams: Uint8Array[];
}

const WORKER_URL = new URL('./parquet-worker.js', import.meta.url);

/** A started pool of Parquet decoders. */
export class ParquetDecoders {
  private constructor(private readonly pool: WorkerPool<RowGroupRequest, DecodedRowGroup, null>) {}

  /** Starts `workers` threads (default: one per core). */
  static async open(workers?: number): Promise<ParquetDecoders> {
    return new ParquetDecoders(await WorkerPool.open<RowGroupRequest, DecodedRowGroup, null>(WORKER_URL, null, 'Parquet decode', workers));
  }

  /**
   * Decodes one row group on the least busy worker; rejects with the worker's error (a WorkerError)
   * as parquet-wasm gave it, also when arrow-rs panicked on the file's data and took its worker down.
   */
  async decode(request: RowGroupRequest): Promise<DecodedRowGroup> {
    try {
      return await this.pool.run(request);
    } catch (err) {
      // A panic in arrow-rs is a WebAssembly trap: uncaught, it ends the thread (on the loading thread, the process).
      if (err instanceof FlightError && err.cause instanceof Error && err.cause.name === 'RuntimeError') {
        throw new WorkerError('RuntimeError', `arrow-rs stopped on its data (WebAssembly trap: ${err.cause.message})`);
      }
      throw err;
    }
  }

  /** How many row groups a reader keeps in flight: two per worker, so none waits while the reader stores one. */
  get window(): number {
    return 2 * this.pool.size;
  }

  /** Stops every worker (a cancelled load stops decoding at once). */
  async close(): Promise<void> {
    await this.pool.close();
  }
}
