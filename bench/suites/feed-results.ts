/**
 * The feed suite's pure logic: contenders and cases, --only, per-epoch verification, aggregation
 * (wall and CPU time), the ratios with their goals (issue 11), and the text report.
 */
import { formatMiB, formatTable } from '../report.js';
import { ratio } from '../stats.js';
import { spread, type Spread } from './epoch-results.js';

/** Ours, same-host shared memory, num_workers=0. */
export const SHM_W0 = 'shm-w0';
/** Ours, same-host shared memory, num_workers=2. */
export const SHM_W2 = 'shm-w2';
/** Ours over gRPC, num_workers=0. */
export const GRPC_W0 = 'grpc-w0';
/** Ours over gRPC, num_workers=2. */
export const GRPC_W2 = 'grpc-w2';
/** The physical anchor: a local Arrow IPC file memory-mapped, sliced or gathered into the same tensors. */
export const IPC_MMAP = 'ipc-mmap';
/** Local Parquet in one process. */
export const PARQUET = 'parquet';
/** Local Parquet behind a 2-worker DataLoader. */
export const PARQUET_LOADER_W2 = 'parquet-loader-w2';
/** Ray Data over the same Parquet. */
export const RAY = 'ray';
/** The data in memory copied into reused tensors: the copy floor. */
export const MEMCPY = 'memcpy';

/** Every contender, in report order. */
export const FEED_CONTENDERS = [SHM_W0, SHM_W2, GRPC_W0, GRPC_W2, IPC_MMAP, PARQUET, PARQUET_LOADER_W2, RAY, MEMCPY] as const;

/** The two data shapes. */
export const FEED_SHAPES = ['rows76', 'tokens'] as const;
export type FeedShape = (typeof FEED_SHAPES)[number];

/** One measured case: a shape read in stored order or shuffled. */
export interface FeedCase {
  shape: FeedShape;
  shuffled: boolean;
}

/** Every case, in report order. */
export const FEED_CASES: readonly FeedCase[] = FEED_SHAPES.flatMap((shape) => [false, true].map((shuffled) => ({ shape, shuffled })));

/** "rows76 shuffled" / "tokens in order". */
export function caseName(c: FeedCase): string {
  return `${c.shape} ${c.shuffled ? 'shuffled' : 'in order'}`;
}

/** A ratio the report gives per case (numerator over denominator, by median samples/s); a null target is informative. */
export interface FeedRatioSpec {
  ours: string;
  peer: string;
  /** Goal on shuffled cases. */
  shuffledTarget: number | null;
  /** Goal on cases in stored order. */
  orderedTarget: number | null;
  /** Headline (a goal of issue 11) or a like-for-like pair. */
  kind: 'headline' | 'pair';
}

/** Headlines first, then like-for-like pairs (workers against workers, one process against one process). */
export const FEED_RATIOS: readonly FeedRatioSpec[] = [
  { ours: SHM_W0, peer: IPC_MMAP, shuffledTarget: 0.8, orderedTarget: null, kind: 'headline' },
  { ours: SHM_W0, peer: GRPC_W0, shuffledTarget: 4, orderedTarget: null, kind: 'headline' },
  { ours: SHM_W2, peer: SHM_W0, shuffledTarget: 1, orderedTarget: 1, kind: 'headline' },
  { ours: GRPC_W2, peer: GRPC_W0, shuffledTarget: null, orderedTarget: null, kind: 'pair' },
  { ours: SHM_W2, peer: GRPC_W2, shuffledTarget: null, orderedTarget: null, kind: 'pair' },
  { ours: SHM_W2, peer: PARQUET_LOADER_W2, shuffledTarget: null, orderedTarget: null, kind: 'pair' },
  { ours: GRPC_W2, peer: PARQUET_LOADER_W2, shuffledTarget: null, orderedTarget: null, kind: 'pair' },
  { ours: SHM_W0, peer: PARQUET, shuffledTarget: null, orderedTarget: null, kind: 'pair' },
  { ours: GRPC_W0, peer: PARQUET, shuffledTarget: null, orderedTarget: null, kind: 'pair' },
  { ours: SHM_W0, peer: RAY, shuffledTarget: null, orderedTarget: null, kind: 'pair' },
  { ours: GRPC_W0, peer: IPC_MMAP, shuffledTarget: null, orderedTarget: null, kind: 'pair' },
  { ours: IPC_MMAP, peer: MEMCPY, shuffledTarget: null, orderedTarget: null, kind: 'pair' },
];

/** One epoch as a worker reported it. */
export interface FeedRun {
  contender: string;
  seconds: number;
  /** CPU seconds of the contender's process tree during the epoch. */
  cpuSeconds: number;
  /** CPU seconds of the flightcache cluster's process tree during the epoch (0 for local contenders). */
  serverCpuSeconds: number;
  rows: number;
  bytes: number;
  checksum: number;
}

/** What one shape's generated data holds: every epoch must deliver exactly this. */
export interface FeedExpected {
  rows: number;
  bytes: number;
  checksum: number;
}

/** One contender's aggregated result in one case. */
export interface FeedContenderResult {
  name: string;
  description: string;
  samplesPerSec: Spread;
  gbps: Spread;
  /** Client cores busy over the epoch (CPU seconds / wall seconds). */
  clientCores: Spread;
  /** Server cores busy over the epoch. */
  serverCores: Spread;
}

/** A measured ratio of medians (samples/s) and its goal (null: informative only). */
export interface FeedRatio {
  ours: string;
  peer: string;
  kind: 'headline' | 'pair';
  ratio: number;
  target: number | null;
  met: boolean | null;
}

/** One case's results. */
export interface FeedCaseResult extends FeedCase {
  contenders: FeedContenderResult[];
  ratios: FeedRatio[];
}

/** The contenders --only names (comma-separated); undefined selects all. Throws on an unknown name. */
export function selectFeedContenders(only: string | undefined): string[] {
  if (only === undefined) return [...FEED_CONTENDERS];
  const names = only.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(FEED_CONTENDERS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new Error(`feed: --only takes a comma-separated list of ${FEED_CONTENDERS.join(', ')}; unknown: ${unknown.map((n) => JSON.stringify(n)).join(', ')}`);
  }
  return FEED_CONTENDERS.filter((name) => names.includes(name));
}

/** Throws when an epoch delivered other rows, tensor bytes or checksum than the generated data. */
export function verifyFeedRun(run: FeedRun, expected: FeedExpected, label: string): void {
  if (run.rows !== expected.rows || run.bytes !== expected.bytes || run.checksum !== expected.checksum) {
    throw new Error(
      `feed (${label}): ${run.contender} delivered ${run.rows} rows, ${run.bytes} tensor bytes, checksum ${run.checksum}; ` +
        `the data has ${expected.rows} rows, ${expected.bytes} bytes, checksum ${expected.checksum}`,
    );
  }
}

/** Verifies every run and aggregates each planned contender that has runs, in plan order. */
export function aggregateFeed(
  plans: readonly { name: string; description: string }[],
  runs: readonly FeedRun[],
  expected: FeedExpected,
  label: string,
): FeedContenderResult[] {
  for (const run of runs) verifyFeedRun(run, expected, label);
  return plans.flatMap((plan) => {
    const own = runs.filter((run) => run.contender === plan.name);
    if (own.length === 0) return [];
    return [
      {
        name: plan.name,
        description: plan.description,
        samplesPerSec: spread(own.map((run) => expected.rows / run.seconds)),
        gbps: spread(own.map((run) => expected.bytes / run.seconds / 1e9)),
        clientCores: spread(own.map((run) => run.cpuSeconds / run.seconds)),
        serverCores: spread(own.map((run) => run.serverCpuSeconds / run.seconds)),
      },
    ];
  });
}

/** FEED_RATIOS whose two sides were measured in a case, with whether each goal is met. */
export function feedRatios(results: readonly FeedContenderResult[], shuffled: boolean): FeedRatio[] {
  const byName = new Map(results.map((result) => [result.name, result]));
  return FEED_RATIOS.flatMap(({ ours, peer, kind, shuffledTarget, orderedTarget }) => {
    const a = byName.get(ours);
    const b = byName.get(peer);
    if (!a || !b) return [];
    const value = ratio(a.samplesPerSec.median, b.samplesPerSec.median);
    const target = shuffled ? shuffledTarget : orderedTarget;
    return [{ ours, peer, kind, ratio: value, target, met: target === null ? null : value >= target }];
  });
}

/** One shape's parameters as recorded in data.params.shapes. */
export interface FeedShapeParams {
  shape: FeedShape;
  schema: string;
  rowBytes: number;
  batchRows: number;
  storedBatchRows: number;
  rows: number;
  dataBytes: number;
  parquetFiles: number;
  parquetFileBytes: number;
}

/** The suite's parameters as recorded in data.params. */
export interface FeedParams {
  shapes: FeedShapeParams[];
  seed: number;
  runs: number;
  warmup: number;
  shards: number;
  replicas: number;
  loaderWorkers: number;
}

/** Everything the text report shows. */
export interface FeedReport {
  params: FeedParams;
  cases: FeedCaseResult[];
  skipped: { name: string; reason: string }[];
}

function formatRatioLine(r: FeedRatio): string {
  const target = r.target === null ? '' : ` (goal >= ${r.target}x: ${r.met ? 'met' : 'NOT met'})`;
  return `  ${r.ours} / ${r.peer}: ${r.ratio.toFixed(2)}x${target}`;
}

/** Renders the plain-text report. */
export function renderFeedText(report: FeedReport): string {
  const p = report.params;
  const lines = p.shapes.map(
    (s) =>
      `${s.shape}: ${formatMiB(s.dataBytes)} of tensors, ${s.rows} rows (${s.schema}; ${s.rowBytes} bytes/row), ${s.batchRows}-row batches ` +
      `from ${s.storedBatchRows}-row stored batches; Parquet ${formatMiB(s.parquetFileBytes)} in ${s.parquetFiles} files`,
  );
  lines.push(
    `flightcache: ${p.shards} shards x ${p.replicas} replica; ${p.warmup} warm-up + ${p.runs} measured epochs per contender, alternating; every tensor touched`,
  );
  for (const c of report.cases) {
    lines.push('', `-- ${caseName(c)} --`);
    const rows = [['contender', 'samples/s', 'median GB/s', 'min', 'max', 'client cores', 'server cores', 'runs']];
    for (const r of c.contenders) {
      rows.push([
        r.name,
        `${(r.samplesPerSec.median / 1e6).toFixed(3)} M`,
        ...[r.gbps.median, r.gbps.min, r.gbps.max].map((v) => v.toFixed(3)),
        r.clientCores.median.toFixed(2),
        r.serverCores.median.toFixed(2),
        String(r.gbps.runs),
      ]);
    }
    lines.push(formatTable(rows));
    if (c.ratios.length > 0) lines.push('median samples/s ratios:', ...c.ratios.map(formatRatioLine));
  }
  const first = report.cases.find((c) => c.contenders.length > 0);
  if (first) for (const r of first.contenders) lines.push(`  ${r.name}: ${r.description}`);
  for (const s of report.skipped) lines.push(`skipped ${s.name}: ${s.reason}`);
  return lines.join('\n');
}
