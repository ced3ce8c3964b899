/**
 * Worker threads that decode Parquet row groups for one load (worker-pool.ts), one per core by
 * default, each with its own parquet-wasm: a row group comes back as an Arrow IPC stream whose
 * buffer is transferred, not copied. parquet-reader.ts asks for a file's row groups in order, a
 * bounded number at a time.
 */
import { openAsBlob } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { ParquetFile } from 'parquet-wasm';
import { FlightError } from '../../client/src/flight/errors.js';
import { largestRowGroup, rowGroupCount } from './parquet-reader.js';
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

/** From this many bytes of local Parquet in a load, its row groups decode on worker threads. */
export const DECODE_THREADS_FROM_BYTES = 64 * 1024 * 1024;

/**
 * Whether a load with `bytes` of local Parquet decodes them on worker threads: always when it names
 * its `threads`; else from DECODE_THREADS_FROM_BYTES, as starting the workers (0.1-0.2 s of wall
 * and CPU time on 2 cores) costs more than they save on less.
 */
export function decodesOnWorkers(bytes: number, threads: number | undefined): boolean {
  return threads !== undefined || bytes >= DECODE_THREADS_FROM_BYTES;
}

/** A file whose first row groups are sent before its turn. */
interface AheadFile {
  readonly groups: number;
  readonly batchSize: number;
  readonly sent: Array<Promise<DecodedRowGroup>>;
}

/** The row groups and batch size of a file, from its footer; undefined when it cannot be read (its own read says why). */
async function footerOf(path: string): Promise<AheadFile | undefined> {
  let file: ParquetFile | undefined;
  try {
    file = await ParquetFile.fromFile(await openAsBlob(path));
    return { groups: rowGroupCount(file), batchSize: largestRowGroup(file), sent: [] };
  } catch {
    return undefined;
  } finally {
    file?.free();
  }
}

const WORKER_URL = new URL('./parquet-worker.js', import.meta.url);

let compiled: Promise<WebAssembly.Module> | undefined;

/**
 * parquet-wasm's WebAssembly, compiled once per process and handed to every worker: a worker that
 * compiled its own would spend tens of milliseconds on it per load, and start on unoptimised code.
 */
function parquetModule(): Promise<WebAssembly.Module> {
  compiled ??= readFile(createRequire(import.meta.url).resolve('parquet-wasm/esm/parquet_wasm_bg.wasm')).then((bytes) => WebAssembly.compile(bytes));
  return compiled;
}

/** A started pool of Parquet decoders for one load's local Parquet files (in load order). */
export class ParquetDecoders {
  /** Files whose first row groups are sent before their turn: the file after the one being read. */
  readonly #ahead = new Map<string, Promise<AheadFile | undefined>>();

  private constructor(
    private readonly pool: WorkerPool<RowGroupRequest, DecodedRowGroup, null>,
    private readonly files: readonly string[],
    private readonly columns: string[] | undefined,
  ) {}

  /** Starts `workers` threads (default: one per core) for `files`, read in this order, each for `columns` (undefined: all). */
  static async open(files: readonly string[], columns: readonly string[] | undefined, workers?: number): Promise<ParquetDecoders> {
    const pool = await WorkerPool.open<RowGroupRequest, DecodedRowGroup, null>(WORKER_URL, await parquetModule(), 'Parquet decode', workers);
    return new ParquetDecoders(pool, files, columns ? [...columns] : undefined);
  }

  /**
   * Row groups of `path` sent ahead, in order from its first (taken: a second call answers none).
   * Only when the read asks for the load's own columns; another read decodes all it reads itself.
   */
  async takeAhead(path: string, columns: readonly string[] | undefined): Promise<Array<Promise<DecodedRowGroup>>> {
    const ahead = await this.#ahead.get(path);
    this.#ahead.delete(path);
    return ahead && String(columns) === String(this.columns) ? ahead.sent : [];
  }

  /**
   * Sends the first row groups of the file after `path` until `room` of them are in flight, so that
   * workers do not wait while one file ends and the next one opens. Its footer is read here, once; a footer that
   * fails to read sends nothing, and the file's own read reports the error when its turn comes.
   */
  async sendAhead(path: string, room: number): Promise<void> {
    const next = this.files[this.files.indexOf(path) + 1];
    if (next === undefined || room <= 0) return;
    if (!this.#ahead.has(next)) this.#ahead.set(next, footerOf(next));
    const ahead = await this.#ahead.get(next);
    if (!ahead) return;
    while (ahead.sent.length < Math.min(room, ahead.groups)) {
      const decoded = this.decode({ path: next, rowGroup: ahead.sent.length, batchSize: ahead.batchSize, ...(this.columns ? { columns: this.columns } : {}) });
      // A row group sent ahead may never be awaited (an earlier file failed): its failure is not unhandled.
      decoded.catch(() => undefined);
      ahead.sent.push(decoded);
    }
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
