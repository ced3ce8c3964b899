/**
 * The cluster suite's pure logic: process CPU time from /proc/PID/stat, percentiles of first-batch
 * latencies, the roll-up of timed windows into GB/s and CPU summaries, and the text report.
 */
import { formatMiB, formatTable } from '../report.js';
import { summarize, type Summary } from '../stats.js';
import type { ClusterWindow, FirstBatchTimes } from './cluster-reader.js';

/** The coordinator's CPU budget while readers stream: it plans reads, it never carries their bytes. */
export const COORDINATOR_CPU_LIMIT_PERCENT = 5;
/** The target median time from GetFlightInfo to the first record batch on loopback. */
export const FIRST_BATCH_TARGET_P50_MS = 5;

/** Nanoseconds a thread has run, from the text of /proc/PID/task/TID/schedstat (its first field). */
export function runNanosOfSchedstat(schedstat: string): number {
  const nanoseconds = Number(schedstat.trim().split(/\s+/)[0]);
  if (!Number.isSafeInteger(nanoseconds) || nanoseconds < 0) throw new Error(`not a /proc schedstat line: ${schedstat.slice(0, 120)}`);
  return nanoseconds;
}

/** /proc clock ticks per second (USER_HZ: 100 on every Linux this runs on). */
export const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime, in clock ticks, from the text of /proc/PID/stat or /proc/PID/task/TID/stat (fields 14 and 15). */
export function ticksOfStat(stat: string): number {
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).trim().split(/\s+/);
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isSafeInteger(ticks) || ticks < 0) throw new Error(`not a /proc stat line: ${stat.slice(0, 120)}`);
  return ticks;
}

/** The nearest-rank percentile p (0 < p <= 100) of a non-empty sample. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('no samples');
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1]!;
}

/** First-batch latencies of one client against one cluster, in milliseconds. */
export interface FirstBatchResult {
  client: 'pyarrow' | 'ts';
  shards: number;
  iterations: number;
  p50Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
  /** The GetFlightInfo part alone. */
  planP50Ms: number;
  planP99Ms: number;
  /** median, min, max in ms with n = iterations, for the report's tolerant reader. */
  ms: Summary;
}

/** p50, p99, min and max of first-batch seconds, and p50 / p99 of their GetFlightInfo part, in milliseconds. */
export function firstBatchResult(client: FirstBatchResult['client'], shards: number, times: FirstBatchTimes): FirstBatchResult {
  if (times.first.length !== times.plan.length) throw new Error(`${times.first.length} first-batch times but ${times.plan.length} plan times`);
  const ms = times.first.map((s) => s * 1e3);
  const plan = times.plan.map((s) => s * 1e3);
  return {
    client,
    shards,
    iterations: ms.length,
    p50Ms: percentile(ms, 50),
    p99Ms: percentile(ms, 99),
    minMs: Math.min(...ms),
    maxMs: Math.max(...ms),
    planP50Ms: percentile(plan, 50),
    planP99Ms: percentile(plan, 99),
    ms: summarize(ms),
  };
}

/** One timed window of one configuration: every reader's result and every process's CPU seconds. */
export interface WindowSample {
  readers: ClusterWindow[];
  /** Wall seconds between the parent's CPU snapshots around the window. */
  wallSeconds: number;
  coordinatorCpuSeconds: number;
  shardCpuSeconds: number[];
}

/** One (shards, readers) configuration's results. */
export interface ClusterConfigResult {
  shards: number;
  readers: number;
  /** Endpoints of rank 0's share, and the distinct shards its endpoints point at. */
  endpoints: number;
  aggregateGbps: Summary;
  perReaderGbps: Summary;
  /** GetFlightInfo calls per second at the coordinator, all readers together. */
  plansPerSecond: Summary;
  coordinatorCpuPercent: Summary;
  /** Coordinator CPU milliseconds per GetFlightInfo in the window (its idle probing included). */
  coordinatorCpuMsPerPlan: Summary;
  /** One summary per shard, in the coordinator's member order. */
  shardCpuPercent: Summary[];
  windows: WindowSample[];
}

/**
 * Aggregate GB/s per window = the sum of the readers' rates (their windows start together and have
 * the same length); CPU % = CPU seconds / the parent's wall seconds around the window x 100 (one core).
 */
export function rollUpWindows(shards: number, readers: number, endpoints: number, windows: readonly WindowSample[]): ClusterConfigResult {
  if (windows.length === 0) throw new RangeError('no windows');
  const aggregate: number[] = [];
  const perReader: number[] = [];
  const plans: number[] = [];
  const coordinator: number[] = [];
  const perPlan: number[] = [];
  const perShard: number[][] = Array.from({ length: shards }, () => []);
  for (const w of windows) {
    if (w.readers.length !== readers) throw new Error(`a window of ${readers} readers has ${w.readers.length} results`);
    if (w.shardCpuSeconds.length !== shards) throw new Error(`a window of ${shards} shards has ${w.shardCpuSeconds.length} CPU readings`);
    const rates = w.readers.map((r) => r.bytes / r.seconds / 1e9);
    aggregate.push(rates.reduce((a, b) => a + b, 0));
    perReader.push(...rates);
    plans.push(w.readers.reduce((sum, r) => sum + r.plans, 0) / w.wallSeconds);
    coordinator.push((w.coordinatorCpuSeconds / w.wallSeconds) * 100);
    const windowPlans = w.readers.reduce((sum, r) => sum + r.plans, 0);
    if (windowPlans > 0) perPlan.push((w.coordinatorCpuSeconds * 1e3) / windowPlans);
    w.shardCpuSeconds.forEach((s, i) => perShard[i]!.push((s / w.wallSeconds) * 100));
  }
  return {
    shards,
    readers,
    endpoints,
    aggregateGbps: summarize(aggregate),
    perReaderGbps: summarize(perReader),
    plansPerSecond: summarize(plans),
    coordinatorCpuPercent: summarize(coordinator),
    coordinatorCpuMsPerPlan: summarize(perPlan.length > 0 ? perPlan : [0]),
    shardCpuPercent: perShard.map((s) => summarize(s)),
    windows: [...windows],
  };
}

/** True when no measured window had the coordinator above its CPU budget. */
export function coordinatorWithinLimit(configs: readonly ClusterConfigResult[]): boolean {
  return configs.every((c) => c.coordinatorCpuPercent.max < COORDINATOR_CPU_LIMIT_PERCENT);
}

const pct = (value: number): string => value.toFixed(1);

/** The suite's text report. */
export function renderClusterText(configs: readonly ClusterConfigResult[], latency: readonly FirstBatchResult[], notes: readonly string[], dataBytes: number): string {
  const rows = [['shards', 'readers', 'aggregate GB/s', 'min', 'max', 'per reader', 'plans/s', 'coordinator CPU % (median / max)', 'coord. CPU ms/plan', 'shard CPU % (median each)']];
  for (const c of configs) {
    rows.push([
      String(c.shards),
      String(c.readers),
      c.aggregateGbps.median.toFixed(3),
      c.aggregateGbps.min.toFixed(3),
      c.aggregateGbps.max.toFixed(3),
      c.perReaderGbps.median.toFixed(3),
      c.plansPerSecond.median.toFixed(1),
      `${pct(c.coordinatorCpuPercent.median)} / ${pct(c.coordinatorCpuPercent.max)}`,
      c.coordinatorCpuMsPerPlan.median.toFixed(2),
      c.shardCpuPercent.map((s) => pct(s.median)).join(' / '),
    ]);
  }
  const within = coordinatorWithinLimit(configs);
  const lat = [['client', 'shards', 'iterations', 'p50 ms', 'p99 ms', 'min ms', 'max ms', 'GetFlightInfo p50 ms', 'p99 ms']];
  for (const l of latency) lat.push([l.client, String(l.shards), String(l.iterations), l.p50Ms.toFixed(3), l.p99Ms.toFixed(3), l.minMs.toFixed(3), l.maxMs.toFixed(3), l.planP50Ms.toFixed(3), l.planP99Ms.toFixed(3)]);
  return [
    ...notes,
    `data: ${formatMiB(dataBytes)} of Arrow buffers, split into one share per reader`,
    formatTable(rows),
    within
      ? `coordinator CPU stayed under ${COORDINATOR_CPU_LIMIT_PERCENT}% of one core in every window`
      : `coordinator CPU exceeded ${COORDINATOR_CPU_LIMIT_PERCENT}% of one core in at least one window`,
    'time from GetFlightInfo to the first record batch (connections kept open):',
    formatTable(lat),
    `target p50 < ${FIRST_BATCH_TARGET_P50_MS} ms`,
  ].join('\n');
}
