/**
 * The epoch suite's pure logic: which parts run, the alternation order, verification of each epoch
 * against the generated data, and aggregation into the JSON shape documented in bench/README.md.
 */
import { FLIGHTCACHE_PYARROW, FLIGHTCACHE_TS } from '../peers/flightcache.js';
import { IPC_JS, IPC_MMAP_PYARROW, PARQUET_JS, PARQUET_PYARROW } from '../peers/local-files.js';
import { PYARROW_FLIGHT } from '../peers/pyarrow-flight.js';
import { RAY_DATA } from '../peers/ray.js';
import { REDIS } from '../peers/redis.js';
import { ratio, summarize } from '../stats.js';

/** Every contender of the epoch suite, in report order. */
export const CONTENDERS = [FLIGHTCACHE_PYARROW, FLIGHTCACHE_TS, PYARROW_FLIGHT, PARQUET_PYARROW, IPC_MMAP_PYARROW, IPC_JS, PARQUET_JS, RAY_DATA, REDIS] as const;

/** The parts of the suite besides contenders that --only can name. */
export const EXTRA_PARTS = ['sweeps', 'limits'] as const;

/** The (ours, peer) pairs whose median ratio the report gives: same client language on both sides. */
export const PAIRS: readonly (readonly [string, string])[] = [
  ...[PYARROW_FLIGHT, PARQUET_PYARROW, IPC_MMAP_PYARROW, RAY_DATA, REDIS].map((peer) => [FLIGHTCACHE_PYARROW, peer] as const),
  [FLIGHTCACHE_TS, IPC_JS],
  [FLIGHTCACHE_TS, PARQUET_JS],
];

/** Median, min and max of a sample, its size, and the samples themselves. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number;
  samples: number[];
}

/** What the generated data holds; every epoch must see exactly these rows and this checksum. */
export interface ExpectedData {
  rows: number;
  bytes: number;
  checksum: number;
}

/** One measured (not warm-up) epoch of one contender. */
export interface ContenderRun {
  contender: string;
  seconds: number;
  rows: number;
  checksum: number;
}

/** One contender's aggregated result. */
export interface ContenderResult {
  name: string;
  description: string;
  gbps: Spread;
  /** Median rows per second. */
  rowsPerSec: number;
  /** flightcache-pyarrow's median GB/s over this contender's; null for flightcache-pyarrow itself or when it was not run. */
  ratioOursOver: number | null;
}

/** The median ratio of one (ours, peer) pair. */
export interface PairRatio {
  ours: string;
  peer: string;
  ratio: number;
}

/** A sweep measurement as the Python sweep driver reports it. */
export interface SweepRun {
  target: string;
  seconds: number;
  bytes: number;
  [param: string]: string | number;
}

/** One point of a sweep: a contender at one parameter value. */
export type SweepPoint<K extends string> = { contender: string; gbps: Spread } & Record<K, number>;

/** What a run of the suite includes. */
export interface EpochParts {
  contenders: string[];
  sweeps: boolean;
  limits: boolean;
}

/** A Spread of a non-empty sample. */
export function spread(samples: readonly number[]): Spread {
  const { n, median, min, max } = summarize(samples);
  return { median, min, max, runs: n, samples: [...samples] };
}

/**
 * The parts --only selects: a comma-separated list of contender names, "sweeps" and "limits";
 * undefined selects everything. Throws on an unknown or empty name.
 */
export function selectParts(only: string | undefined): EpochParts {
  if (only === undefined) return { contenders: [...CONTENDERS], sweeps: true, limits: true };
  const known: readonly string[] = [...CONTENDERS, ...EXTRA_PARTS];
  const names = only.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new Error(`epoch: --only takes a comma-separated list of ${known.join(', ')}; unknown: ${unknown.map((n) => JSON.stringify(n)).join(', ')}`);
  }
  return { contenders: CONTENDERS.filter((name) => names.includes(name)), sweeps: names.includes('sweeps'), limits: names.includes('limits') };
}

/** Round r starts at item r mod n, so every contender runs in every position as often as the others. */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  if (items.length === 0) return [];
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/** Throws when an epoch saw other rows or another checksum than the generated data. */
export function verifyRun(run: ContenderRun, expected: ExpectedData): void {
  if (run.rows !== expected.rows || run.checksum !== expected.checksum) {
    throw new Error(
      `epoch: ${run.contender} read ${run.rows} rows with checksum ${run.checksum}; the data has ${expected.rows} rows with checksum ${expected.checksum}`,
    );
  }
}

/**
 * Verifies every run and aggregates each planned contender that has runs. GB/s counts the data's
 * Arrow buffer bytes (the same for every contender) over each epoch's seconds, in units of 1e9.
 */
export function aggregateContenders(
  plans: readonly { name: string; description: string }[],
  runs: readonly ContenderRun[],
  expected: ExpectedData,
): ContenderResult[] {
  for (const run of runs) verifyRun(run, expected);
  const measured = plans
    .map((plan) => ({ plan, own: runs.filter((run) => run.contender === plan.name) }))
    .filter(({ own }) => own.length > 0);
  const results = measured.map(({ plan, own }) => ({
    name: plan.name,
    description: plan.description,
    gbps: spread(own.map((run) => expected.bytes / run.seconds / 1e9)),
    rowsPerSec: spread(own.map((run) => run.rows / run.seconds)).median,
    ratioOursOver: null as number | null,
  }));
  const ours = results.find((result) => result.name === FLIGHTCACHE_PYARROW);
  if (ours) {
    for (const result of results) {
      if (result !== ours) result.ratioOursOver = ratio(ours.gbps.median, result.gbps.median);
    }
  }
  return results;
}

/** The PAIRS whose two sides were both measured, with ours' median GB/s over the peer's. */
export function pairRatios(results: readonly ContenderResult[]): PairRatio[] {
  const byName = new Map(results.map((result) => [result.name, result]));
  return PAIRS.flatMap(([ours, peer]) => {
    const a = byName.get(ours);
    const b = byName.get(peer);
    return a && b ? [{ ours, peer, ratio: ratio(a.gbps.median, b.gbps.median) }] : [];
  });
}

/**
 * Groups sweep runs by (target, run[key]) into points sorted by the parameter, then by the position
 * of the contender in `order` (contenders missing from it come last, in order of appearance).
 * Each run's GB/s is its own bytes over its seconds.
 */
export function aggregateSweep<K extends string>(runs: readonly SweepRun[], key: K, order: readonly string[] = []): SweepPoint<K>[] {
  const groups = new Map<string, { contender: string; value: number; samples: number[] }>();
  const contenders = [...order];
  for (const run of runs) {
    const value = run[key];
    if (typeof value !== 'number') throw new Error(`sweep run has no numeric ${key}: ${JSON.stringify(run)}`);
    if (!contenders.includes(run.target)) contenders.push(run.target);
    const id = `${run.target}\u0000${value}`;
    const group = groups.get(id) ?? { contender: run.target, value, samples: [] };
    group.samples.push(run.bytes / run.seconds / 1e9);
    groups.set(id, group);
  }
  return [...groups.values()]
    .sort((a, b) => a.value - b.value || contenders.indexOf(a.contender) - contenders.indexOf(b.contender))
    .map((group) => ({ contender: group.contender, [key]: group.value, gbps: spread(group.samples) }) as SweepPoint<K>);
}
