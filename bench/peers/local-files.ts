/**
 * The same data read from local files: Parquet and Arrow IPC with pyarrow, IPC with apache-arrow JS,
 * and Parquet in Node, where apache-arrow has no Parquet reader, with parquet-wasm (Rust's parquet
 * crate compiled to WebAssembly) handing each row group to apache-arrow as an IPC stream.
 */
import { nodeWorker, pythonWorker, type ContenderPlan } from './contender.js';

/** Parquet files read with pyarrow.dataset. */
export const PARQUET_PYARROW = 'parquet-pyarrow';
/** The Arrow IPC file memory-mapped by pyarrow. */
export const IPC_MMAP_PYARROW = 'ipc-mmap-pyarrow';
/** The Arrow IPC file read into memory and decoded by apache-arrow (node). */
export const IPC_JS = 'ipc-js';
/** Parquet files streamed by parquet-wasm into apache-arrow RecordBatches (node). */
export const PARQUET_JS = 'parquet-js';

/** The npm package the parquet-js worker imports (a dependency, also of the server's Parquet loader). */
export const PARQUET_WASM = 'parquet-wasm';

/** Where the generated files are. */
export interface LocalFiles {
  parquetDir: string;
  ipcPath: string;
}

/** The three local-file contenders that need nothing beyond pyarrow and apache-arrow. */
export function localFilePlans(python: string, files: LocalFiles): ContenderPlan[] {
  return [
    {
      name: PARQUET_PYARROW,
      description: 'local Parquet files (pyarrow defaults, snappy), pyarrow.dataset to_batches',
      command: pythonWorker(python, 'parquet', { path: files.parquetDir }),
    },
    {
      name: IPC_MMAP_PYARROW,
      description: 'local Arrow IPC file, memory-mapped, pyarrow.ipc.open_file',
      command: pythonWorker(python, 'ipc', { path: files.ipcPath }),
    },
    {
      name: IPC_JS,
      description: 'local Arrow IPC file, fs.readFile + apache-arrow RecordBatchReader (node)',
      command: nodeWorker('ipc', { path: files.ipcPath }),
    },
  ];
}

/** The parquet-js contender: every Parquet file of the directory, one row group per batch. */
export function parquetJsPlan(parquetDir: string): ContenderPlan {
  return {
    name: PARQUET_JS,
    description: 'local Parquet files streamed by row group with parquet-wasm, IPC stream into apache-arrow (node)',
    command: nodeWorker('parquet', { path: parquetDir }),
  };
}

/**
 * Why the parquet-js worker cannot import parquet-wasm (dev dependencies not installed), or undefined.
 * Only resolves the package: loading its WebAssembly is the worker's set-up.
 */
export function parquetJsProblem(specifier: string = PARQUET_WASM): string | undefined {
  try {
    import.meta.resolve(specifier);
    return undefined;
  } catch (err) {
    return `cannot resolve the npm package ${specifier} (a dependency: run npm install): ${(err as Error).message}`;
  }
}
