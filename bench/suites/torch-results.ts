/**
 * The torch suite's pure logic: its contenders, --only, per-epoch verification, aggregation into
 * the JSON shape documented in bench/README.md, the ratios with their targets, and the text report.
 */
import { conditionsText, likeForLikePairs, type Conditions } from '../report/pairs.js';
import { formatMiB, formatTable } from '../report.js';
import { ratio } from '../stats.js';
import { spread, type Spread } from './epoch-results.js';

/** FlightCacheDataset through make_dataloader, num_workers=0 (prefetch thread). */
export const FLIGHTCACHE_W0 = 'flightcache-w0';
/** FlightCacheDataset through make_dataloader, num_workers=2 (forkserver workers). */
export const FLIGHTCACHE_W2 = 'flightcache-w2';
/** (a) local Parquet via pyarrow.dataset in one process. */
export const PARQUET = 'parquet';
/** (b) (a) behind a torch DataLoader with 2 workers. */
export const PARQUET_LOADER_W2 = 'parquet-loader-w2';
/** (c) Ray Data read_parquet(...).iter_torch_batches. */
export const RAY_TORCH = 'ray-torch';

/** Every contender, in report order. */
export const TORCH_CONTENDERS = [FLIGHTCACHE_W0, FLIGHTCACHE_W2, PARQUET, PARQUET_LOADER_W2, RAY_TORCH] as const;

/** The conditions comparisons must match: DataLoader worker processes ("ray": Ray's own) and shuffling. */
export const TORCH_CONDITION_KEYS = ['workers', 'shuffled'] as const;

/**
 * The conditions a contender runs under, given the worker count of the multi-worker ones; no
 * contender shuffles. Null for a name the suite does not know.
 */
export function torchConditions(name: string, loaderWorkers: number): Conditions | null {
  const workers: Record<string, number | string> = { [FLIGHTCACHE_W0]: 0, [FLIGHTCACHE_W2]: loaderWorkers, [PARQUET]: 0, [PARQUET_LOADER_W2]: loaderWorkers, [RAY_TORCH]: 'ray' };
  return name in workers ? { workers: workers[name]!, shuffled: false } : null;
}

/** The ratios the report gives (numerator over denominator, by median samples/s) and their targets. */
export const TORCH_RATIOS: readonly { ours: string; peer: string; target: number | null }[] = [
  { ours: FLIGHTCACHE_W0, peer: PARQUET, target: 1 },
  { ours: FLIGHTCACHE_W0, peer: PARQUET_LOADER_W2, target: 5 },
  { ours: FLIGHTCACHE_W0, peer: RAY_TORCH, target: 5 },
  { ours: FLIGHTCACHE_W2, peer: FLIGHTCACHE_W0, target: null },
];

/** One epoch as a worker reported it (tensor bytes, rows, checksum). */
export interface TorchRun {
  contender: string;
  seconds: number;
  rows: number;
  bytes: number;
  checksum: number;
}

/** What the generated data holds: every epoch must deliver exactly this. */
export interface TorchExpected {
  rows: number;
  bytes: number;
  checksum: number;
}

/** One contender's aggregated result. */
export interface TorchContenderResult {
  name: string;
  description: string;
  samplesPerSec: Spread;
  gbps: Spread;
  /** What a like-for-like comparison must match (torchConditions). */
  conditions: Conditions;
}

/** A measured ratio of medians (samples/s) and its target (null: informative only). */
export interface TorchRatio {
  ours: string;
  peer: string;
  ratio: number;
  target: number | null;
  met: boolean | null;
}

/** The contenders --only names (comma-separated); undefined selects all. Throws on an unknown name. */
export function selectTorchContenders(only: string | undefined): string[] {
  if (only === undefined) return [...TORCH_CONTENDERS];
  const names = only.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(TORCH_CONTENDERS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new Error(`torch: --only takes a comma-separated list of ${TORCH_CONTENDERS.join(', ')}; unknown: ${unknown.map((n) => JSON.stringify(n)).join(', ')}`);
  }
  return TORCH_CONTENDERS.filter((name) => names.includes(name));
}

/** Throws when an epoch delivered other rows, tensor bytes or checksum than the generated data. */
export function verifyTorchRun(run: TorchRun, expected: TorchExpected): void {
  if (run.rows !== expected.rows || run.bytes !== expected.bytes || run.checksum !== expected.checksum) {
    throw new Error(
      `torch: ${run.contender} delivered ${run.rows} rows, ${run.bytes} tensor bytes, checksum ${run.checksum}; ` +
        `the data has ${expected.rows} rows, ${expected.bytes} bytes, checksum ${expected.checksum}`,
    );
  }
}

/** Verifies every run and aggregates each planned contender that has runs, in plan order. */
export function aggregateTorch(
  plans: readonly { name: string; description: string; conditions: Conditions }[],
  runs: readonly TorchRun[],
  expected: TorchExpected,
): TorchContenderResult[] {
  for (const run of runs) verifyTorchRun(run, expected);
  return plans.flatMap((plan) => {
    const own = runs.filter((run) => run.contender === plan.name);
    if (own.length === 0) return [];
    return [
      {
        name: plan.name,
        description: plan.description,
        samplesPerSec: spread(own.map((run) => expected.rows / run.seconds)),
        gbps: spread(own.map((run) => expected.bytes / run.seconds / 1e9)),
        conditions: plan.conditions,
      },
    ];
  });
}

/** TORCH_RATIOS whose two sides were measured, with whether each target is met. */
export function torchRatios(results: readonly TorchContenderResult[]): TorchRatio[] {
  const byName = new Map(results.map((result) => [result.name, result]));
  return TORCH_RATIOS.flatMap(({ ours, peer, target }) => {
    const a = byName.get(ours);
    const b = byName.get(peer);
    if (!a || !b) return [];
    const value = ratio(a.samplesPerSec.median, b.samplesPerSec.median);
    return [{ ours, peer, ratio: value, target, met: target === null ? null : value >= target }];
  });
}

/** The suite's parameters as recorded in data.params. */
export interface TorchParams {
  dataBytes: number;
  rows: number;
  batchRows: number;
  rowBytes: number;
  schema: string;
  seed: number;
  runs: number;
  warmup: number;
  shards: number;
  replicas: number;
  loaderWorkers: number;
  parquetFiles: number;
  parquetFileBytes: number;
}

/** Everything the text report shows. */
export interface TorchReport {
  params: TorchParams;
  contenders: TorchContenderResult[];
  ratios: TorchRatio[];
  skipped: { name: string; reason: string }[];
}

/** Renders the plain-text report. */
export function renderTorchText(report: TorchReport): string {
  const p = report.params;
  const lines = [
    `data: ${formatMiB(p.dataBytes)} of tensors, ${p.rows} rows (${p.schema}; ${p.rowBytes} bytes/row), ${p.batchRows}-row batches, seed ${p.seed}; ` +
      `flightcache: ${p.shards} shards x ${p.replicas} replica; Parquet ${formatMiB(p.parquetFileBytes)} in ${p.parquetFiles} files`,
    `one epoch = every batch as a dict of torch tensors, each made contiguous and summed; ${p.warmup} warm-up + ${p.runs} measured epochs per contender, alternating`,
    '',
  ];
  const rows = [['contender', 'samples/s', 'median GB/s', 'min', 'max', 'runs']];
  for (const c of report.contenders) {
    rows.push([c.name, `${(c.samplesPerSec.median / 1e6).toFixed(2)} M`, ...[c.gbps.median, c.gbps.min, c.gbps.max].map((v) => v.toFixed(3)), String(c.gbps.runs)]);
  }
  lines.push(formatTable(rows));
  for (const c of report.contenders) lines.push(`  ${c.name}: ${c.description}`);
  for (const s of report.skipped) lines.push(`skipped ${s.name}: ${s.reason}`);
  if (report.ratios.length > 0) {
    lines.push('', 'median samples/s ratios:');
    for (const r of report.ratios) {
      const target = r.target === null ? '' : ` (target >= ${r.target}x: ${r.met ? 'met' : 'NOT met'})`;
      lines.push(`  ${r.ours} / ${r.peer}: ${r.ratio.toFixed(2)}x${target}`);
    }
  }
  const compared = report.contenders.map((c) => ({ name: c.name, median: c.samplesPerSec.median, conditions: c.conditions }));
  const ours = compared.filter((c) => c.name.startsWith('flightcache-'));
  const pairs = likeForLikePairs(ours, compared.filter((c) => !ours.includes(c)), TORCH_CONDITION_KEYS);
  if (pairs.length > 0) {
    lines.push('', 'like-for-like (same workers and shuffling), median samples/s:');
    for (const p of pairs) lines.push(`  ${p.ours} / ${p.peer}: ${p.ratio.toFixed(2)}x (${conditionsText(p.conditions, TORCH_CONDITION_KEYS)})`);
  }
  return lines.join('\n');
}
