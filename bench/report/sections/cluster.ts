/**
 * The report's cluster section: aggregate throughput of a coordinator + N shards read by M rank
 * processes, the coordinator's and shards' CPU while they stream, and the time from GetFlightInfo
 * to the first record batch.
 */
import { barChart } from '../charts.js';
import { mdImage, mdTable } from '../markdown.js';
import { isObject, measuredOf, numberAt, objectsAt, stringAt, type MeasuredValue, type ResultRecord } from '../results.js';
import { aggregateChart } from './aggregate-chart.js';
import { formatGbps, formatRuns, notMeasured, provenance, reproduce, type Section, type SectionContext } from './common.js';

const CHART = 'cluster-aggregate.svg';
const LATENCY_CHART = 'cluster-first-batch.svg';
const INTRO =
  'A flightcache cluster (`node --no-memory-reducer flightcache serve --shards N --replicas F`: a coordinator and N shard ' +
  'processes holding F copies of every partition, the coordinator run as docs/cluster.md advises) read by ' +
  'M pyarrow processes at once; reader r asks the coordinator for its share `[name, r, M]` with GetFlightInfo, then ' +
  'reads every endpoint with DoGet at the shard it names, back to back for a fixed window. The coordinator plans reads ' +
  'and must stay off the data path: its CPU (the exact on-CPU time of all its threads from /proc/PID/task/*/schedstat, as % of one core) is measured over the same windows, as is ' +
  'each shard\'s.';

/** One (shards, readers) configuration of a cluster record. */
export interface ClusterConfig {
  shards: number;
  readers: number;
  aggregate: MeasuredValue;
  perReader: MeasuredValue;
  plansPerSecond: MeasuredValue | null;
  coordinatorCpu: MeasuredValue;
  coordinatorCpuMsPerPlan: MeasuredValue | null;
  shardCpu: MeasuredValue[];
}

/** One client's first-batch latency against one cluster. */
export interface ClusterLatency {
  client: string;
  shards: number;
  iterations: number;
  p50Ms: number;
  p99Ms: number;
  minMs: number | null;
  planP50Ms: number | null;
}

/** The configurations of a cluster record that carry throughput and coordinator CPU summaries. */
export function clusterConfigs(record: ResultRecord): ClusterConfig[] {
  return (objectsAt(record.data, 'configs') ?? []).flatMap((c) => {
    const shards = numberAt(c, 'shards');
    const readers = numberAt(c, 'readers');
    const aggregate = measuredOf(c['aggregateGbps']);
    const perReader = measuredOf(c['perReaderGbps']);
    const coordinatorCpu = measuredOf(c['coordinatorCpuPercent']);
    if (shards === null || readers === null || !aggregate || !perReader || !coordinatorCpu) return [];
    const shardCpu = Array.isArray(c['shardCpuPercent']) ? c['shardCpuPercent'].flatMap((s) => measuredOf(s) ?? []) : [];
    return [{ shards, readers, aggregate, perReader, plansPerSecond: measuredOf(c['plansPerSecond']), coordinatorCpu, coordinatorCpuMsPerPlan: measuredOf(c['coordinatorCpuMsPerPlan']), shardCpu }];
  });
}

/** The first-batch latencies of a cluster record that carry p50 and p99. */
export function clusterLatencies(record: ResultRecord): ClusterLatency[] {
  return (objectsAt(record.data, 'firstBatch') ?? []).flatMap((l) => {
    const client = stringAt(l, 'client');
    const shards = numberAt(l, 'shards');
    const iterations = numberAt(l, 'iterations');
    const p50Ms = numberAt(l, 'p50Ms');
    const p99Ms = numberAt(l, 'p99Ms');
    if (client === null || shards === null || iterations === null || p50Ms === null || p99Ms === null) return [];
    return [{ client, shards, iterations, p50Ms, p99Ms, minMs: numberAt(l, 'minMs'), planP50Ms: numberAt(l, 'planP50Ms') }];
  });
}

const pct = (value: number): string => value.toFixed(1);
const dash = (value: MeasuredValue | number | null, format: (v: number) => string): string =>
  value === null ? '\u2013' : format(typeof value === 'number' ? value : value.median);

/** A configuration's first cells: shards, readers, aggregate GB/s (median, min, max, runs) and per reader. */
const rateCells = (c: ClusterConfig): string[] => [
  String(c.shards),
  String(c.readers),
  formatGbps(c.aggregate.median),
  formatGbps(c.aggregate.min),
  formatGbps(c.aggregate.max),
  formatRuns(c.aggregate),
  formatGbps(c.perReader.median),
];
const shardCpuCell = (c: ClusterConfig): string => (c.shardCpu.length === 0 ? '\u2013' : c.shardCpu.map((s) => pct(s.median)).join(' / '));

function limitLine(record: ResultRecord, configs: readonly ClusterConfig[]): string {
  const limit = numberAt(record.data['params'], 'coordinatorCpuLimitPercent');
  if (limit === null) return 'Coordinator CPU budget: not recorded.';
  const worst = Math.max(...configs.map((c) => c.coordinatorCpu.max));
  const verdict = worst < limit ? 'stayed under' : 'went over';
  return `The coordinator's CPU ${verdict} its budget of ${limit}% of one core: the highest window was ${pct(worst)}%. ` +
    'Each share read starts with a GetFlightInfo (plans/s), so its CPU grows with the plan rate, not with the bytes streamed.';
}

/** N shards serving N readers on separate simulated hosts (network namespaces), from a cluster record. */
export interface HostsConfig extends ClusterConfig {
  shardCpuSecondsPerGb: MeasuredValue | null;
}

/** The separate-hosts part of a cluster record: its configurations and the two-over-one scaling, or why it did not run. */
export function separateHosts(record: ResultRecord): { configs: HostsConfig[]; scaling: number | null; subnet: string | null } | { unavailable: string } | null {
  const part = record.data['separateHosts'];
  if (!isObject(part)) return null;
  const unavailable = stringAt(part, 'unavailable');
  if (unavailable !== null) return { unavailable };
  const raw = objectsAt(part, 'configs') ?? [];
  const configs = clusterConfigs({ ...record, data: { configs: raw } }).map((c, i) => ({ ...c, shardCpuSecondsPerGb: measuredOf(raw[i]?.['shardCpuSecondsPerGb']) }));
  return { configs, scaling: numberAt(part, 'scaling'), subnet: stringAt(part, 'subnet') };
}

function hostsSection(record: ResultRecord): string {
  const part = separateHosts(record);
  if (part === null) return notMeasured('Separate hosts');
  if ('unavailable' in part) return `### Separate hosts

Not measured: ${part.unavailable}.`;
  const table = mdTable(
    ['shards', 'readers', 'aggregate GB/s', 'min', 'max', 'runs', 'per reader GB/s', 'shard CPU s / GB (all shards)', 'shard CPU % (median each)'],
    part.configs.map((c) => [
      ...rateCells(c),
      dash(c.shardCpuSecondsPerGb, (v) => v.toFixed(3)),
      shardCpuCell(c),
    ]),
    [0, 1, 2, 3, 4, 5, 6, 7],
  );
  const scaling = part.scaling === null ? '' : ` Two shards delivered ${part.scaling.toFixed(2)}x the aggregate rate of one.`;
  return [
    '### Separate hosts',
    `N shards serving N readers (reader r reads share \`[name, r, N]\`), with the coordinator, each shard and each reader in a network namespace of its own, joined by veth pairs on one bridge${part.subnet === null ? '' : ` (${part.subnet})`}: every byte crosses a simulated NIC between two hosts. ` +
      'The namespaces share this machine\'s cores, so CPU seconds per gigabyte per shard, not the aggregate, show whether a shard\'s cost stays the same when shards are added.' + scaling,
    table,
  ].join('\n\n');
}

/** Time to first batch per client and shard count: the bar at p50, the whisker from the fastest iteration to p99. */
export function latencyChart(latencies: readonly ClusterLatency[]): string {
  return barChart({
    title: 'cluster: time to first batch',
    yLabel: 'ms',
    xLabel: 'client, shards',
    bars: latencies.map((l) => ({ label: `${l.client}, ${l.shards} shard${l.shards === 1 ? '' : 's'}`, median: l.p50Ms, min: Math.min(l.minMs ?? l.p50Ms, l.p50Ms), max: Math.max(l.p99Ms, l.p50Ms) })),
    legend: { bar: 'p50', whisker: 'fastest to p99' },
  });
}

function latencySection(record: ResultRecord, context: SectionContext): Section {
  const latencies = clusterLatencies(record);
  if (latencies.length === 0) return { markdown: notMeasured('Time to first batch'), charts: [] };
  const params = record.data['params'];
  const target = numberAt(params, 'firstBatchTargetP50Ms');
  const share = isObject(params) ? params['latencyShare'] : undefined;
  const rank = numberAt(share, 'rank');
  const world = numberAt(share, 'world');
  const what = rank === null || world === null ? 'a rank share' : `share \`[name, ${rank}, ${world}]\``;
  const table = mdTable(
    ['client', 'shards', 'iterations', 'p50 ms', 'p99 ms', 'GetFlightInfo p50 ms'],
    latencies.map((l) => [l.client, String(l.shards), String(l.iterations), l.p50Ms.toFixed(2), l.p99Ms.toFixed(2), dash(l.planP50Ms, (v) => v.toFixed(2))]),
    [1, 2, 3, 4, 5],
  );
  const markdown = [
    '### Time to first batch',
    `Sequential iterations of GetFlightInfo of ${what} at the coordinator, then DoGet of its first endpoint at its shard until the first record batch arrives, with connections kept open (as a trainer keeps them). ` +
      `pyarrow is the pyarrow.flight client; ts is our FlightClient.${target === null ? '' : ` Target: p50 under ${target} ms.`}`,
    table,
    mdImage('cluster time to first batch', context.chartHref(LATENCY_CHART)),
  ].join('\n\n');
  return { markdown, charts: [{ name: LATENCY_CHART, svg: latencyChart(latencies) }] };
}

/** Renders the cluster section (a "not measured" line when the record is missing or has no configurations). */
export function renderCluster(record: ResultRecord | undefined, context: SectionContext): Section {
  const heading = `## cluster\n\n${INTRO}`;
  const configs = record ? clusterConfigs(record) : [];
  if (!record || (configs.length === 0 && clusterLatencies(record).length === 0)) return { markdown: `${heading}\n\n${notMeasured('cluster')}`, charts: [] };
  const latency = latencySection(record, context);
  if (configs.length === 0) return { markdown: [heading, provenance(record), reproduce(record), notMeasured('Throughput'), latency.markdown].join('\n\n'), charts: latency.charts };

  const table = mdTable(
    ['shards', 'readers', 'aggregate GB/s', 'min', 'max', 'runs', 'per reader GB/s', 'plans/s', 'coordinator CPU % (median)', 'max', 'coordinator CPU ms / plan', 'shard CPU % (median each)'],
    configs.map((c) => [
      ...rateCells(c),
      dash(c.plansPerSecond, (v) => v.toFixed(1)),
      pct(c.coordinatorCpu.median),
      pct(c.coordinatorCpu.max),
      dash(c.coordinatorCpuMsPerPlan, (v) => v.toFixed(2)),
      shardCpuCell(c),
    ]),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
  const svg = aggregateChart(
    'cluster: aggregate throughput of M rank readers',
    configs.map((c) => ({ servers: c.shards, readers: c.readers, aggregate: c.aggregate })),
    'shard',
  );
  const markdown = [
    heading,
    provenance(record),
    reproduce(record),
    'Processes were not pinned to cores; readers, coordinator and shards share the machine.',
    table,
    limitLine(record, configs),
    mdImage('cluster aggregate throughput', context.chartHref(CHART)),
    hostsSection(record),
    latency.markdown,
  ].join('\n\n');
  return { markdown, charts: [{ name: CHART, svg }, ...latency.charts] };
}
