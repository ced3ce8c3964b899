/**
 * The soak suite's pure logic: the shape of a worker's report (bench/py/soak_worker.py), the roll-up
 * of every thread's passes into rows lost and duplicated, failed calls by gRPC code, first-batch
 * percentiles, throughput per second and RSS per process, and the text report.
 */
import { formatMiB, formatTable } from '../report.js';
import { percentile } from './cluster-results.js';
import type { RssSample } from './soak-cluster.js';

/** What one reader or writer thread reports. */
export interface ThreadReport {
  role: 'reader' | 'writer';
  kind: string;
  passes: number;
  rowsDelivered: number;
  rowsExpected: number;
  lost: number;
  duplicated: number;
  firstBatchSeconds: number[];
  /** Failed calls by gRPC code; a writer's are keyed "OP CODE". */
  errors: Record<string, number>;
  /** The first message of each key of errors. */
  errorSamples: Record<string, string>;
  ops: Record<string, number>;
}

/** What one worker process reports after `stop`. */
export interface WorkerReport {
  threads: ThreadReport[];
  /** Rows delivered per second of Unix time (JSON object keys are the seconds). */
  buckets: Record<string, number>;
  /** Threads still inside a pass long after `stop`. */
  hung: number;
}

const isCounts = (value: unknown): value is Record<string, number> =>
  typeof value === 'object' && value !== null && Object.values(value).every((n) => Number.isInteger(n) && (n as number) >= 0);

/** Checks a worker's final line; the message names the worker and what it sent. */
export function asWorkerReport(value: unknown, label: string): WorkerReport {
  const v = value as Partial<WorkerReport> | null;
  const threadOk = (t: Partial<ThreadReport>): boolean =>
    (t.role === 'reader' || t.role === 'writer') &&
    typeof t.kind === 'string' &&
    [t.passes, t.rowsDelivered, t.rowsExpected, t.lost, t.duplicated].every((n) => Number.isInteger(n) && (n as number) >= 0) &&
    Array.isArray(t.firstBatchSeconds) &&
    t.firstBatchSeconds.every((s) => typeof s === 'number' && s >= 0) &&
    isCounts(t.errors) &&
    typeof t.errorSamples === 'object' &&
    t.errorSamples !== null &&
    isCounts(t.ops);
  if (!v || !Array.isArray(v.threads) || !v.threads.every(threadOk) || !isCounts(v.buckets) || !Number.isInteger(v.hung)) {
    throw new Error(`${label} sent a malformed report: ${JSON.stringify(value).slice(0, 2000)}`);
  }
  return v as WorkerReport;
}

/** One fault injected during the run and how the cluster answered it. */
export interface FaultEvent {
  fault: 'kill' | 'freeze' | 'rolling-restart' | 'coordinator-kill' | 'coordinator-failover';
  target: string;
  /** Seconds since the run's start when it was injected. */
  at: number;
  /** Seconds until the coordinator marked the shard down (kill, freeze). */
  noticedDownSeconds: number | null;
  /** Seconds from the process's return (restart, SIGCONT) until every member was live and every dataset healthy. */
  settledSeconds: number;
  /** coordinator-failover: seconds from the active coordinator's SIGKILL until the standby was ready (serving). */
  takeoverSeconds?: number;
  /** coordinator-failover: seconds a GetFlightInfo made through the Service at the kill took to succeed (client retry), and the rows it planned. */
  planning?: { seconds: number; rows: number };
}

/** Rows of one reader thread, for the record. */
export type ReaderRow = Pick<ThreadReport, 'kind' | 'passes' | 'rowsDelivered' | 'rowsExpected' | 'lost' | 'duplicated'> & { failedPasses: number };

/** The roll-up of every worker's report. */
export interface SoakTotals {
  readers: ReaderRow[];
  passes: number;
  rowsDelivered: number;
  rowsExpected: number;
  lost: number;
  duplicated: number;
  readerErrors: Record<string, number>;
  writerErrors: Record<string, number>;
  writerOps: Record<string, number>;
  /** One message per failed-call key, readers' and writers' together. */
  errorSamples: Record<string, string>;
  /** Rows each writer read back after its put + append and after its load. */
  writerChecks: { passes: number; lost: number; duplicated: number };
  firstBatch: { passes: number; p50Ms: number; p99Ms: number; maxMs: number } | null;
  firstBatchByKind: Record<string, { passes: number; p50Ms: number; p99Ms: number }>;
  /** Rows delivered to readers in each second of the run, from second 0. */
  rowsPerSecond: number[];
  hung: number;
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
}

function latency(seconds: readonly number[]): { passes: number; p50Ms: number; p99Ms: number; maxMs: number } | null {
  if (seconds.length === 0) return null;
  return { passes: seconds.length, p50Ms: percentile(seconds, 50) * 1000, p99Ms: percentile(seconds, 99) * 1000, maxMs: Math.max(...seconds) * 1000 };
}

/** Rolls up worker reports into totals; rowsPerSecond counts from `startSeconds` (Unix time) on. */
export function rollUpSoak(reports: readonly WorkerReport[], startSeconds: number): SoakTotals {
  const threads = reports.flatMap((r) => r.threads);
  const readers = threads.filter((t) => t.role === 'reader');
  const writers = threads.filter((t) => t.role === 'writer');
  const readerErrors: Record<string, number> = {};
  const writerErrors: Record<string, number> = {};
  const writerOps: Record<string, number> = {};
  for (const t of readers) addCounts(readerErrors, t.errors);
  for (const t of writers) {
    addCounts(writerErrors, t.errors);
    addCounts(writerOps, t.ops);
  }
  const first = Math.floor(startSeconds);
  const seconds = reports.flatMap((r) => Object.keys(r.buckets).map(Number));
  const length = seconds.length === 0 ? 0 : Math.max(...seconds) - first + 1;
  const rowsPerSecond = Array.from({ length }, (_, s) => sum(reports.map((r) => r.buckets[String(first + s)] ?? 0)));
  const errorSamples: Record<string, string> = {};
  for (const t of threads) for (const [key, message] of Object.entries(t.errorSamples)) errorSamples[key] ??= message;
  const byKind: SoakTotals['firstBatchByKind'] = {};
  for (const kind of [...new Set(readers.map((t) => t.kind))].sort()) {
    const all = readers.filter((t) => t.kind === kind).flatMap((t) => t.firstBatchSeconds);
    const l = latency(all);
    if (l) byKind[kind] = { passes: l.passes, p50Ms: l.p50Ms, p99Ms: l.p99Ms };
  }
  return {
    readers: readers.map((t) => ({ kind: t.kind, passes: t.passes, rowsDelivered: t.rowsDelivered, rowsExpected: t.rowsExpected, lost: t.lost, duplicated: t.duplicated, failedPasses: sum(Object.values(t.errors)) })),
    passes: sum(readers.map((t) => t.passes)),
    rowsDelivered: sum(readers.map((t) => t.rowsDelivered)),
    rowsExpected: sum(readers.map((t) => t.rowsExpected)),
    lost: sum(readers.map((t) => t.lost)),
    duplicated: sum(readers.map((t) => t.duplicated)),
    readerErrors,
    writerErrors,
    writerOps,
    errorSamples,
    writerChecks: { passes: sum(writers.map((t) => t.passes)), lost: sum(writers.map((t) => t.lost)), duplicated: sum(writers.map((t) => t.duplicated)) },
    firstBatch: latency(readers.flatMap((t) => t.firstBatchSeconds)),
    firstBatchByKind: byKind,
    rowsPerSecond,
    hung: sum(reports.map((r) => r.hung)),
  };
}

/** Per process: RSS at the first and last sample and at its peak. */
export interface RssSummary {
  role: string;
  firstBytes: number;
  peakBytes: number;
  lastBytes: number;
}

/** The first, peak and last RSS of every sampled process. */
export function summarizeRss(samples: Readonly<Record<string, readonly RssSample[]>>): RssSummary[] {
  return Object.entries(samples)
    .filter(([, s]) => s.length > 0)
    .map(([role, s]) => ({ role, firstBytes: s[0]!.bytes, peakBytes: Math.max(...s.map((x) => x.bytes)), lastBytes: s[s.length - 1]!.bytes }));
}

const counts = (c: Record<string, number>): string =>
  Object.keys(c).length === 0
    ? 'none'
    : Object.entries(c)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');

/** The text report. */
export function renderSoakText(totals: SoakTotals, faults: readonly FaultEvent[], rss: readonly RssSummary[], notes: readonly string[]): string {
  const kinds = [...new Set(totals.readers.map((r) => r.kind))].sort();
  const kindRows = kinds.map((kind) => {
    const rows = totals.readers.filter((r) => r.kind === kind);
    const l = totals.firstBatchByKind[kind];
    return [
      kind,
      String(rows.length),
      String(sum(rows.map((r) => r.passes))),
      String(sum(rows.map((r) => r.failedPasses))),
      `${sum(rows.map((r) => r.rowsDelivered))} / ${sum(rows.map((r) => r.rowsExpected))}`,
      String(sum(rows.map((r) => r.lost))),
      String(sum(rows.map((r) => r.duplicated))),
      l ? `${l.p50Ms.toFixed(1)} / ${l.p99Ms.toFixed(1)}` : '-',
    ];
  });
  const faultRows = faults.map((f) => [
    f.fault,
    f.target,
    f.at.toFixed(1),
    f.noticedDownSeconds === null ? '-' : f.noticedDownSeconds.toFixed(2),
    f.takeoverSeconds === undefined ? '-' : f.takeoverSeconds.toFixed(2),
    f.planning === undefined ? '-' : `${f.planning.seconds.toFixed(2)} (${f.planning.rows} rows)`,
    f.settledSeconds.toFixed(2),
  ]);
  const rssRows = rss.map((r) => [r.role, formatMiB(r.firstBytes), formatMiB(r.peakBytes), formatMiB(r.lastBytes)]);
  return [
    ...notes,
    '',
    formatTable([['readers', 'threads', 'passes', 'failed', 'rows delivered / expected', 'lost', 'duplicated', 'first batch p50 / p99 ms'], ...kindRows]),
    '',
    `all readers: ${totals.passes} passes, ${totals.lost} rows lost, ${totals.duplicated} duplicated; failed calls by code: ${counts(totals.readerErrors)}; hung threads: ${totals.hung}`,
    totals.firstBatch ? `first batch: p50 ${totals.firstBatch.p50Ms.toFixed(1)} ms, p99 ${totals.firstBatch.p99Ms.toFixed(1)} ms, max ${totals.firstBatch.maxMs.toFixed(1)} ms over ${totals.firstBatch.passes} passes` : 'first batch: no pass delivered a batch',
    `writers: ops ${counts(totals.writerOps)}; read-back checks ${totals.writerChecks.passes} (${totals.writerChecks.lost} lost, ${totals.writerChecks.duplicated} duplicated); failed calls by code: ${counts(totals.writerErrors)}`,
    `rows per second: ${totals.rowsPerSecond.join(' ')}`,
    ...Object.entries(totals.errorSamples).map(([key, message]) => `  ${key}: ${message}`),
    '',
    formatTable([['fault', 'target', 'at s', 'marked down after s', 'standby serving after s', 'plan through retry s', 'settled after s'], ...faultRows]),
    '',
    formatTable([['process', 'RSS first', 'RSS peak', 'RSS last'], ...rssRows]),
  ].join('\n');
}
