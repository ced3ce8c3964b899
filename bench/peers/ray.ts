/**
 * Ray Data streaming the same Parquet files. Ray starts once per suite run, in the worker's set-up,
 * so its start-up (a few seconds) is never part of an epoch.
 */
import { pythonImportProblem, pythonWorker, type ContenderPlan } from './contender.js';

/** ray.data.read_parquet(...).iter_batches(batch_format='pyarrow'). */
export const RAY_DATA = 'ray-data';

/** Why Ray cannot be measured here (not installed, or it fails to import), or undefined. */
export function rayProblem(python: string): Promise<string | undefined> {
  return pythonImportProblem(python, ['ray', 'ray.data']);
}

/** The Ray contender; `tempDir` holds Ray's session files (short: Ray puts sockets there). */
export function rayPlan(python: string, parquetDir: string, tempDir: string, objectStoreMiB: number): ContenderPlan {
  return {
    name: RAY_DATA,
    description: 'local Parquet files through Ray Data (read_parquet, iter_batches pyarrow, whole blocks)',
    command: pythonWorker(
      python,
      'ray',
      { path: parquetDir, 'temp-dir': tempDir, 'object-store-mib': objectStoreMiB },
      { ...process.env, RAY_USAGE_STATS_ENABLED: '0' },
    ),
  };
}
