/**
 * The epoch suite's three sweeps (bench/py/epoch_sweeps.py), all flightcache vs the pyarrow Flight peer
 * read by pyarrow.flight: rows per batch, concurrent reader processes, and columns per dataset.
 */
import { join } from 'node:path';

import { repoRoot, runPython } from '../../test/helpers/python.js';
import { aggregateSweep, type SweepPoint, type SweepRun } from './epoch-results.js';

/** The parameter values of each sweep and the rounds per point. */
export interface SweepConfig {
  batchRows: number[];
  readers: number[];
  columns: number[];
  runs: number;
  warmup: number;
}

/** The sweeps as data.sweeps in the JSON output. */
export interface Sweeps {
  batchSize: SweepPoint<'batchRows'>[];
  readers: SweepPoint<'readers'>[];
  columns: SweepPoint<'columns'>[];
  /** What the columns sweep measures, in the report's words. */
  columnsNote: string;
}

/** The note every rendering of the columns sweep carries. */
export const COLUMNS_NOTE = 'column count of the dataset read in full; pushdown not implemented yet (nothing is projected server side)';

const SWEEP_TIMEOUT_MS = 30 * 60_000;

/** The epoch_sweeps.py command line of one sweep; targets map contender names to grpc:// URLs. */
export function sweepArgs(
  op: 'batch-size' | 'columns' | 'readers',
  targets: Readonly<Record<string, string>>,
  ipcPath: string,
  values: readonly number[],
  runs: number,
  warmup: number,
): string[] {
  const flag = { 'batch-size': '--rows', columns: '--columns', readers: '--readers' }[op];
  return [
    op,
    ...Object.entries(targets).flatMap(([name, url]) => ['--target', `${name}=${url}`]),
    '--ipc', ipcPath,
    flag, values.join(','),
    '--runs', String(runs),
    '--warmup', String(warmup),
  ];
}

async function sweep(args: string[]): Promise<SweepRun[]> {
  const script = join(repoRoot(), 'bench', 'py', 'epoch_sweeps.py');
  const result = await runPython<{ runs: SweepRun[] }>(script, args, { timeoutMs: SWEEP_TIMEOUT_MS });
  return result.runs;
}

/** Runs the three sweeps one after another against the given servers. */
export async function runSweeps(targets: Readonly<Record<string, string>>, ipcPath: string, config: SweepConfig): Promise<Sweeps> {
  const { runs, warmup } = config;
  const order = Object.keys(targets);
  const batchSize = aggregateSweep(await sweep(sweepArgs('batch-size', targets, ipcPath, config.batchRows, runs, warmup)), 'batchRows', order);
  const readers = aggregateSweep(await sweep(sweepArgs('readers', targets, ipcPath, config.readers, runs, warmup)), 'readers', order);
  const columns = aggregateSweep(await sweep(sweepArgs('columns', targets, ipcPath, config.columns, runs, warmup)), 'columns', order);
  return { batchSize, readers, columns, columnsNote: COLUMNS_NOTE };
}
