/**
 * The epoch suite's three sweeps (bench/py/epoch_sweeps.py), all flightcache vs the pyarrow Flight peer
 * read by pyarrow.flight: rows per batch, concurrent reader processes, and columns delivered (selectivity).
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

/** A point of the columns sweep: k columns delivered, and their bytes over the full dataset's. */
export type ColumnsPoint = SweepPoint<'columns'> & { selectivity: number };

/** The sweeps as data.sweeps in the JSON output. */
export interface Sweeps {
  batchSize: SweepPoint<'batchRows'>[];
  readers: SweepPoint<'readers'>[];
  columns: ColumnsPoint[];
  /** What the columns sweep measures, in the report's words. */
  columnsNote: string;
}

/** What epoch_sweeps.py reports of each k of the columns sweep (the fields used here). */
export interface ColumnsDataset {
  columns: number;
  selectivity: number;
}

/** Targets that project columns at the server (the JSON command); the others select them client side. */
export const PUSHDOWN_TARGETS: readonly string[] = ['flightcache-pyarrow'];

/** The note every rendering of the columns sweep carries, with each k's selectivity. */
export function columnsNote(datasets: readonly ColumnsDataset[]): string {
  const ratios = datasets.map((d) => `k=${d.columns} ${d.selectivity.toFixed(3)}`).join(', ');
  return (
    'the first k of 8 columns delivered from the full dataset: flightcache projects them at the server (JSON command), ' +
    'pyarrow-flight sends all 8 and the client selects k; GB/s counts the k columns\' bytes; ' +
    `selectivity (projected / full bytes): ${ratios}`
  );
}

/** The columns sweep's points, each with its k's selectivity; throws when a k has none. */
export function withSelectivity(points: readonly SweepPoint<'columns'>[], datasets: readonly ColumnsDataset[]): ColumnsPoint[] {
  return points.map((point) => {
    const dataset = datasets.find((d) => d.columns === point.columns);
    if (!dataset) throw new Error(`columns sweep: no selectivity for ${point.columns} columns`);
    return { ...point, selectivity: dataset.selectivity };
  });
}

const SWEEP_TIMEOUT_MS = 30 * 60_000;

/** The epoch_sweeps.py command line of one sweep; targets map contender names to grpc:// URLs. */
export function sweepArgs(
  op: 'batch-size' | 'columns' | 'readers',
  targets: Readonly<Record<string, string>>,
  ipcPath: string,
  values: readonly number[],
  runs: number,
  warmup: number,
  pushdown: readonly string[] = [],
): string[] {
  const flag = { 'batch-size': '--rows', columns: '--columns', readers: '--readers' }[op];
  return [
    op,
    ...Object.entries(targets).flatMap(([name, url]) => ['--target', `${name}=${url}`]),
    '--ipc', ipcPath,
    flag, values.join(','),
    '--runs', String(runs),
    '--warmup', String(warmup),
    ...pushdown.flatMap((name) => ['--pushdown', name]),
  ];
}

async function sweep<D = unknown>(args: string[]): Promise<{ runs: SweepRun[]; datasets: D[] }> {
  const script = join(repoRoot(), 'bench', 'py', 'epoch_sweeps.py');
  return runPython<{ runs: SweepRun[]; datasets: D[] }>(script, args, { timeoutMs: SWEEP_TIMEOUT_MS });
}

/** Runs the three sweeps one after another against the given servers. */
export async function runSweeps(targets: Readonly<Record<string, string>>, ipcPath: string, config: SweepConfig): Promise<Sweeps> {
  const { runs, warmup } = config;
  const order = Object.keys(targets);
  const batchSize = aggregateSweep((await sweep(sweepArgs('batch-size', targets, ipcPath, config.batchRows, runs, warmup))).runs, 'batchRows', order);
  const readers = aggregateSweep((await sweep(sweepArgs('readers', targets, ipcPath, config.readers, runs, warmup))).runs, 'readers', order);
  const pushdown = PUSHDOWN_TARGETS.filter((name) => name in targets);
  const projected = await sweep<ColumnsDataset>(sweepArgs('columns', targets, ipcPath, config.columns, runs, warmup, pushdown));
  const columns = withSelectivity(aggregateSweep(projected.runs, 'columns', order), projected.datasets);
  return { batchSize, readers, columns, columnsNote: columnsNote(projected.datasets) };
}
