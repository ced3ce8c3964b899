/** The same data read from local files: Parquet and Arrow IPC with pyarrow, IPC with apache-arrow JS. */
import { nodeWorker, pythonWorker, type ContenderPlan } from './contender.js';

/** Parquet files read with pyarrow.dataset. */
export const PARQUET_PYARROW = 'parquet-pyarrow';
/** The Arrow IPC file memory-mapped by pyarrow. */
export const IPC_MMAP_PYARROW = 'ipc-mmap-pyarrow';
/** The Arrow IPC file read into memory and decoded by apache-arrow (node). */
export const IPC_JS = 'ipc-js';

/** Where the generated files are. */
export interface LocalFiles {
  parquetDir: string;
  ipcPath: string;
}

/** The three local-file contenders. */
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
