/**
 * The generated part of docs/scaling.md: the measured inputs of the model, taken from the latest
 * bench results, and the worked example computed from them with model.ts.
 */
import { mdTable } from './markdown.js';
import { aggregateThroughput, bestRates, coordinatorCores, epochSeconds, memoryPerShard, nicGbps, type ClusterShape } from './model.js';
import { measuredOf, type MeasuredValue, type ResultRecord } from './results.js';
import { clusterConfigs, separateHosts } from './sections/cluster.js';
import { formatDate, formatGbps } from './sections/common.js';
import { dogetTargets } from './sections/doget.js';
import { scaleConfigs } from './sections/scale.js';

/** The line after which the renderer writes the inputs and the worked example. */
export const SCALING_BEGIN = '<!-- bench:report begin: generated from docs/results/*.json by `npm run bench:report`; edit outside these markers -->';
/** The line before which the generated part ends. */
export const SCALING_END = '<!-- bench:report end -->';

/** A model input with the record it came from. */
export interface SourcedValue {
  value: number;
  source: string;
}

/** The measured inputs of the model; null where the results set lacks them. */
export interface ModelInputs {
  perShardGbps: SourcedValue | null;
  perClientGbps: SourcedValue | null;
  getFlightInfoSeconds: SourcedValue | null;
  rssToData: SourcedValue | null;
  /** Shard CPU seconds per GB served with two shards over one, on separate simulated hosts (1 = a shard costs the same when one is added). */
  shardCostRatio: SourcedValue | null;
}

/** The assumed cluster of the worked example. */
export interface WorkedExample {
  datasetBytes: number;
  replication: number;
  shape: ClusterShape;
  nicGbit: number;
  nicEfficiency: number;
  infoCallsPerReaderPerSecond: number;
}

/** 1 TiB, F = 2, 16 shards on 16 hosts, 64 readers on 8 GPU hosts, 25 GbE, one GetFlightInfo per reader per second. */
export const WORKED_EXAMPLE: WorkedExample = {
  datasetBytes: 2 ** 40,
  replication: 2,
  shape: { shards: 16, shardHosts: 16, readers: 64, readerHosts: 8 },
  nicGbit: 25,
  nicEfficiency: 0.9,
  infoCallsPerReaderPerSecond: 1,
};

function origin(record: ResultRecord, detail: string): string {
  const cores = record.machine.cores === null ? '' : ` (${record.machine.cores} cores)`;
  return `${record.suite}${record.quick ? ' --quick' : ''}${detail}, ${formatDate(record.date)}, ${record.machine.cpu}${cores}`;
}

function perShard(value: MeasuredValue, shards: number): MeasuredValue {
  return { median: value.median / shards, min: value.min / shards, max: value.max / shards, runs: value.runs };
}

/**
 * Rates and coordinator cost from a cluster record: a shard's rate is the aggregate over the shard
 * count, a reader's its own; the coordinator's cost per plan is the highest configuration median
 * (its CPU per GetFlightInfo, heartbeats included), so the load estimate errs high.
 */
function clusterInputs(record: ResultRecord): Pick<ModelInputs, 'perShardGbps' | 'perClientGbps' | 'getFlightInfoSeconds'> | null {
  const configs = clusterConfigs(record);
  const rates = bestRates(configs.map((c) => ({ servers: c.shards, readers: c.readers, perServer: perShard(c.aggregate, c.shards), perReader: c.perReader })));
  if (rates === null) return null;
  const label = (r: { servers: number; readers: number }): string => `: ${r.servers} shard(s), ${r.readers} reader(s) sharing the machine`;
  const costs = configs.flatMap((c) => (c.coordinatorCpuMsPerPlan ? [{ c, ms: c.coordinatorCpuMsPerPlan.median }] : []));
  const worst = costs.length === 0 ? null : costs.reduce((a, b) => (b.ms > a.ms ? b : a));
  return {
    perShardGbps: { value: rates.perShard.gbps, source: origin(record, `${label(rates.perShard)}, aggregate / shards`) },
    perClientGbps: { value: rates.perClient.gbps, source: origin(record, label(rates.perClient)) },
    getFlightInfoSeconds:
      worst === null
        ? null
        : { value: worst.ms / 1e3, source: origin(record, `: coordinator CPU per plan, highest median (${worst.c.shards} shard(s), ${worst.c.readers} reader(s))`) },
  };
}

/**
 * The model inputs found in a results set: rates and coordinator cost from the cluster suite, else
 * from scale, else the rate of doget's one server and one client; the overhead from doget.
 */
export function modelInputs(results: ReadonlyMap<string, ResultRecord>): ModelInputs {
  const inputs: ModelInputs = { perShardGbps: null, perClientGbps: null, getFlightInfoSeconds: null, rssToData: null, shardCostRatio: null };
  const doget = results.get('doget');
  const ours = doget ? dogetTargets(doget).find((t) => t.name === 'ours') : undefined;
  if (doget && ours) {
    const shared = { value: ours.gbps.median, source: origin(doget, ': one server and one client sharing the machine, a lower bound') };
    inputs.perShardGbps = shared;
    inputs.perClientGbps = shared;
    if (ours.rssToData !== null) inputs.rssToData = { value: ours.rssToData, source: origin(doget, ': ours, RSS after load / data') };
  }
  const scale = results.get('scale');
  const rates = scale ? bestRates(scaleConfigs(scale)) : null;
  if (scale && rates) {
    inputs.perShardGbps = { value: rates.perShard.gbps, source: origin(scale, `: N=${rates.perShard.servers}, M=${rates.perShard.readers}`) };
    inputs.perClientGbps = { value: rates.perClient.gbps, source: origin(scale, `: N=${rates.perClient.servers}, M=${rates.perClient.readers}`) };
  }
  const info = scale ? measuredOf(scale.data['getFlightInfoSeconds']) : null;
  if (scale && info) inputs.getFlightInfoSeconds = { value: info.median, source: origin(scale, ': client-observed median on loopback') };
  const cluster = results.get('cluster');
  const measured = cluster ? clusterInputs(cluster) : null;
  if (measured) Object.assign(inputs, measured, { getFlightInfoSeconds: measured.getFlightInfoSeconds ?? inputs.getFlightInfoSeconds });
  const hosts = cluster ? separateHosts(cluster) : null;
  const [one, two] = hosts && 'configs' in hosts ? [hosts.configs.find((c) => c.shards === 1), hosts.configs.find((c) => c.shards === 2)] : [];
  if (cluster && one?.shardCpuSecondsPerGb && two?.shardCpuSecondsPerGb) {
    const detail = `: separate simulated hosts, ${one.shardCpuSecondsPerGb.median.toFixed(3)} s/GB with 1 shard, ${two.shardCpuSecondsPerGb.median.toFixed(3)} with 2; aggregate ${formatGbps(one.aggregate.median)} -> ${formatGbps(two.aggregate.median)} GB/s on shared cores`;
    inputs.shardCostRatio = { value: two.shardCpuSecondsPerGb.median / one.shardCpuSecondsPerGb.median, source: origin(cluster, detail) };
  }
  return inputs;
}

function formatBytes(bytes: number): string {
  return bytes >= 2 ** 40 ? `${(bytes / 2 ** 40).toFixed(2)} TiB` : `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

const MISSING = 'not measured in this results set';

function inputsTable(inputs: ModelInputs): string {
  const row = (name: string, symbol: string, v: SourcedValue | null, format: (x: number) => string): string[] =>
    v ? [name, symbol, format(v.value), v.source] : [name, symbol, MISSING, '\u2013'];
  return mdTable(
    ['input', 'symbol', 'value', 'measured by'],
    [
      row('per-shard server rate', 'r_s', inputs.perShardGbps, (x) => `${formatGbps(x)} GB/s`),
      row('per-client read rate (one reader process)', 'r_c', inputs.perClientGbps, (x) => `${formatGbps(x)} GB/s`),
      row('coordinator CPU per GetFlightInfo', 'c', inputs.getFlightInfoSeconds, (x) => `${(x * 1e3).toFixed(3)} ms`),
      row('memory overhead (RSS / data)', 'k', inputs.rssToData, (x) => x.toFixed(2)),
      row('shard CPU per GB, two shards over one (assumption 1: a shard costs the same when shards are added)', '\u2013', inputs.shardCostRatio, (x) => `${x.toFixed(2)}x`),
    ],
  );
}

function exampleTable(inputs: ModelInputs, ex: WorkedExample): string {
  const { shards, shardHosts, readers, readerHosts } = ex.shape;
  const rows: string[][] = [];
  const nic = nicGbps(ex.nicGbit, ex.nicEfficiency);
  if (inputs.perShardGbps && inputs.perClientGbps) {
    const t = aggregateThroughput(ex.shape, { perShardGbps: inputs.perShardGbps.value, perClientGbps: inputs.perClientGbps.value, nicGbit: ex.nicGbit, nicEfficiency: ex.nicEfficiency });
    rows.push(
      ['shard CPU bound', 'S x r_s', `${formatGbps(t.bounds.shards)} GB/s`],
      ['reader CPU bound', 'R x r_c', `${formatGbps(t.bounds.readers)} GB/s`],
      ['shard-host NIC bound', 'H_s x B', `${formatGbps(t.bounds['shard-host NICs'])} GB/s`],
      ['reader-host NIC bound', 'H_r x B', `${formatGbps(t.bounds['reader-host NICs'])} GB/s`],
      ['aggregate throughput', 'min of the four', `**${formatGbps(t.gbps)} GB/s**, bound by the ${t.limit}`],
      ['one epoch over D', 'D / aggregate', `${epochSeconds(ex.datasetBytes, t.gbps).toFixed(1)} s`],
    );
  } else {
    rows.push(['aggregate throughput', 'min(S x r_s, R x r_c, H_s x B, H_r x B)', MISSING]);
  }
  rows.push([
    'memory per shard',
    'D x F / S x k',
    inputs.rssToData ? formatBytes(memoryPerShard(ex.datasetBytes, ex.replication, shards, inputs.rssToData.value)) : MISSING,
  ]);
  const calls = readers * ex.infoCallsPerReaderPerSecond;
  rows.push([
    'coordinator load',
    'R x f x c',
    inputs.getFlightInfoSeconds ? `${coordinatorCores(calls, inputs.getFlightInfoSeconds.value).toFixed(3)} cores at ${calls} calls/s` : MISSING,
  ]);
  const assumptions =
    `Assumed: D = ${formatBytes(ex.datasetBytes)}, F = ${ex.replication}, S = ${shards} shards on H_s = ${shardHosts} hosts, ` +
    `R = ${readers} readers on H_r = ${readerHosts} hosts, ${ex.nicGbit} GbE NICs at ${ex.nicEfficiency} efficiency ` +
    `(B = ${formatGbps(nic)} GB/s per host), f = ${ex.infoCallsPerReaderPerSecond} GetFlightInfo call per reader per second.`;
  return `${assumptions}\n\n${mdTable(['quantity', 'formula', 'value'], rows)}`;
}

/** The generated block: measured inputs, then the worked example computed from them. */
export function renderScalingBlock(inputs: ModelInputs, example: WorkedExample = WORKED_EXAMPLE): string {
  return ['### Measured inputs', inputsTable(inputs), '### Worked example', exampleTable(inputs, example)].join('\n\n');
}
