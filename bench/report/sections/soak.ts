/**
 * The report's soak section: rows lost and duplicated per reader kind through every fault, failed
 * calls by code, first-batch latency, the faults with their detection and settle times, throughput
 * and RSS over the run (two charts), and the network-partition case.
 */
import { lineChart, type Series } from '../charts.js';
import { mdImage, mdTable } from '../markdown.js';
import { isObject, numberAt, objectsAt, stringAt, type ResultRecord } from '../results.js';
import { notMeasured, provenance, reproduce, type Section, type SectionContext } from './common.js';

const THROUGHPUT_CHART = 'soak-throughput.svg';
const RSS_CHART = 'soak-rss.svg';
const INTRO =
  'A coordinator and its shards (count and R in the setup line below), read pass after pass by plain pyarrow, `flightcache.Client` and `FlightCacheDataset` ' +
  'readers (some shuffled, some over same-host shared memory) and written by put/append/load/drop cycles, while a shard is ' +
  'SIGKILLed and restarted, another frozen past the down timeout, every shard restarted in turn, and the coordinator is lost: ' +
  'with two coordinators on a Lease (the `coordinator-failover` fault) the active one is SIGKILLed and the standby takes over, ' +
  'else the one coordinator is killed and restarted (`coordinator-kill`). Every finished pass must deliver each row exactly once. Method: bench/README.md ("soak: method"); what the faults ' +
  'and the partition show about operating a cluster: [docs/operations.md](operations.md).';

const counts = (value: unknown): string => {
  if (!isObject(value) || Object.keys(value).length === 0) return 'none';
  return Object.entries(value)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, n]) => `${key} ${String(n)}`)
    .join(', ');
};

const sum = (rows: readonly Record<string, unknown>[], key: string): number => rows.reduce((total, r) => total + (numberAt(r, key) ?? 0), 0);

function readerTable(totals: Record<string, unknown>): string {
  const readers = objectsAt(totals, 'readers') ?? [];
  const byKind = isObject(totals['firstBatchByKind']) ? totals['firstBatchByKind'] : {};
  const kinds = [...new Set(readers.map((r) => stringAt(r, 'kind') ?? '?'))].sort();
  return mdTable(
    ['reader', 'threads', 'finished passes', 'failed passes', 'rows delivered', 'rows expected', 'lost', 'duplicated', 'first batch p50 ms', 'p99 ms'],
    kinds.map((kind) => {
      const rows = readers.filter((r) => stringAt(r, 'kind') === kind);
      const latency = byKind[kind];
      const ms = (key: string): string => numberAt(latency, key)?.toFixed(1) ?? '\u2013';
      return [kind, String(rows.length), String(sum(rows, 'passes')), String(sum(rows, 'failedPasses')), String(sum(rows, 'rowsDelivered')), String(sum(rows, 'rowsExpected')), String(sum(rows, 'lost')), String(sum(rows, 'duplicated')), ms('p50Ms'), ms('p99Ms')];
    }),
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
}

function faultTable(record: ResultRecord): string {
  const faults = objectsAt(record.data, 'faults') ?? [];
  const seconds = (value: number | null): string => (value === null ? '\u2013' : value.toFixed(2));
  return mdTable(
    ['fault', 'target', 'at s', 'marked down after s', 'standby serving after s', 'plan through retry s (rows)', 'settled after s'],
    faults.map((f) => {
      const planning = f['planning'];
      const planned = isObject(planning) ? `${seconds(numberAt(planning, 'seconds'))} (${numberAt(planning, 'rows')})` : '\u2013';
      return [stringAt(f, 'fault') ?? '?', stringAt(f, 'target') ?? '?', seconds(numberAt(f, 'at')), seconds(numberAt(f, 'noticedDownSeconds')), seconds(numberAt(f, 'takeoverSeconds')), planned, seconds(numberAt(f, 'settledSeconds'))];
    }),
    [2, 3, 4, 6],
  );
}

function summaryLines(totals: Record<string, unknown>): string[] {
  const first = totals['firstBatch'];
  const checks = totals['writerChecks'];
  return [
    `All readers: ${numberAt(totals, 'passes')} finished passes, ${numberAt(totals, 'lost')} rows lost, ${numberAt(totals, 'duplicated')} duplicated, ${numberAt(totals, 'hung')} threads hung. Failed calls by gRPC code: ${counts(totals['readerErrors'])}.`,
    isObject(first)
      ? `First batch (start of a pass to its first batch, every pass, faults included): p50 ${numberAt(first, 'p50Ms')?.toFixed(1)} ms, p99 ${numberAt(first, 'p99Ms')?.toFixed(1)} ms, max ${numberAt(first, 'maxMs')?.toFixed(1)} ms.`
      : notMeasured('first-batch latency'),
    `Writers: succeeded ${counts(totals['writerOps'])}; read-back checks ${numberAt(checks, 'passes')} (${numberAt(checks, 'lost')} rows lost, ${numberAt(checks, 'duplicated')} duplicated). Failed calls by step and code: ${counts(totals['writerErrors'])}.`,
  ];
}

function partitionLines(record: ResultRecord): string[] {
  const p = record.data['partition'];
  if (!isObject(p)) return [notMeasured('network partition')];
  const skipped = stringAt(p, 'skipped');
  if (skipped !== null) return [`Network partition: skipped (${skipped}).`];
  const json = (key: string): string => `\`${JSON.stringify(p[key])}\``;
  return [
    mdTable(
      ['network partition: one shard cut off, its process running', 'observed'],
      [
        ['marked down after s', numberAt(p, 'noticedDownSeconds')?.toFixed(2) ?? '\u2013'],
        ['dataset status during the cut', json('statusDuringPartition')],
        ['read through the coordinator during the cut', json('readDuringPartition')],
        ['drop / put through the coordinator during the cut', `${stringAt(p, 'dropDuringPartition')} / ${stringAt(p, 'putDuringPartition')}`],
        ['coordinator, from the cut-off side', stringAt(p, 'coordinatorFromIsolatedSide') ?? '\u2013'],
        ['copies of the dropped dataset the cut-off shard served directly', json('isolatedStaleCopies')],
        ['settled after healing, s', numberAt(p, 'healedSeconds')?.toFixed(2) ?? '\u2013'],
        ['copies of the dropped dataset left after healing', json('staleCopiesAfterHeal')],
        ['read of the dataset put during the cut, after healing', json('readAfterHeal')],
      ],
    ),
  ];
}

const exact = (x: number, value: number): { x: number; median: number; min: number; max: number } => ({ x, median: value, min: value, max: value });

function throughputChart(totals: Record<string, unknown>): string | null {
  const perSecond = totals['rowsPerSecond'];
  if (!Array.isArray(perSecond) || perSecond.length === 0 || !perSecond.every((n) => typeof n === 'number')) return null;
  const series: Series[] = [{ name: 'rows/s (thousands)', points: perSecond.map((rows: number, s) => exact(s, rows / 1000)) }];
  return lineChart({ title: 'soak: rows delivered to all readers per second', xLabel: 'second of the run', yLabel: 'thousand rows/s', xScale: 'linear', series });
}

function rssChart(record: ResultRecord): string | null {
  const samples = record.data['rssSamples'];
  if (!isObject(samples)) return null;
  const series: Series[] = Object.entries(samples)
    .filter((entry): entry is [string, Record<string, unknown>[]] => Array.isArray(entry[1]))
    .map(([role, points]) => ({
      name: role,
      points: points.flatMap((p) => {
        const at = numberAt(p, 'at');
        const bytes = numberAt(p, 'bytes');
        return at === null || bytes === null ? [] : [exact(Math.round(at), bytes / 2 ** 20)];
      }),
    }))
    .filter((s) => s.points.length > 0);
  if (series.length === 0) return null;
  return lineChart({ title: 'soak: RSS of every process', xLabel: 'second of the run', yLabel: 'MiB', xScale: 'linear', series });
}

/** Renders the soak section (a "not measured" line when the record is missing or has no totals). */
export function renderSoak(record: ResultRecord | undefined, context: SectionContext): Section {
  const heading = `## soak\n\n${INTRO}`;
  const totals = record?.data['totals'];
  if (!record || !isObject(totals)) return { markdown: `${heading}\n\n${notMeasured('soak')}`, charts: [] };
  const params = record.data['params'];
  const setup = `${numberAt(params, 'readers')} reader threads, ${numberAt(params, 'writers')} writer threads, ${numberAt(params, 'seconds')} s; ${numberAt(params, 'rows')} rows in ${numberAt(params, 'batches')} batches; ${numberAt(params, 'shards')} shards, R = ${numberAt(params, 'replicas')}.`;
  const charts = [
    { name: THROUGHPUT_CHART, svg: throughputChart(totals) },
    { name: RSS_CHART, svg: rssChart(record) },
  ].filter((c): c is { name: string; svg: string } => c.svg !== null);
  const markdown = [
    heading,
    provenance(record),
    reproduce(record),
    setup,
    readerTable(totals),
    ...summaryLines(totals),
    faultTable(record),
    ...charts.map((c) => mdImage(c.name === RSS_CHART ? 'soak RSS over time' : 'soak throughput over time', context.chartHref(c.name))),
    ...partitionLines(record),
  ].join('\n\n');
  return { markdown, charts };
}
