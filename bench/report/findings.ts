/**
 * The "Findings" of docs/benchmarks.md: what the records show, each number pulled from the record
 * it names. A finding whose record (or part of it) is missing is left out, never written from memory.
 */
import { basename } from 'node:path';

import { TORCH_CONDITION_KEYS } from '../suites/torch-results.js';
import { conditionsText, likeForLikePairs } from './pairs.js';
import { isObject, numberAt, objectsAt, stringAt, type ResultRecord } from './results.js';
import { clusterConfigs, clusterLatencies } from './sections/cluster.js';
import { formatGbps, formatRatio } from './sections/common.js';
import { dogetTargets } from './sections/doget.js';
import { namedRates, sweepSeries } from './sections/epoch.js';
import { microCases } from './sections/micro.js';
import { ratioNote, torchCompared, torchRatioRows, torchRows } from './sections/torch.js';

type Finding = (results: ReadonlyMap<string, ResultRecord>) => string | null;

const source = (record: ResultRecord): string => `(\`${basename(record.file)}\`)`;
const range = (values: readonly number[], format: (v: number) => string): string => {
  const low = Math.min(...values);
  const high = Math.max(...values);
  return low === high ? format(low) : `${format(low)}-${format(high)}`;
};

const doget: Finding = (results) => {
  const record = results.get('doget');
  const targets = record ? dogetTargets(record) : [];
  const ours = targets.find((t) => t.name === 'ours');
  const peer = targets.find((t) => t.name === 'pyarrow');
  if (!record || !ours || !peer) return null;
  const ratio = formatRatio(ours.gbps.median / peer.gbps.median);
  const throughput = `**DoGet against pyarrow's C++ Flight server:** ours/pyarrow median throughput ${ratio} (${formatGbps(ours.gbps.median)} vs ${formatGbps(peer.gbps.median)} GB/s) ${source(record)}.`;
  const efficiency =
    ours.serverGbPerCpuSecond && peer.serverGbPerCpuSecond && peer.serverGbPerCpuSecond.median > 0
      ? ` Served bytes per server CPU-second: ours/pyarrow ${formatRatio(ours.serverGbPerCpuSecond.median / peer.serverGbPerCpuSecond.median)} ` +
        `(${ours.serverGbPerCpuSecond.median.toFixed(2)} vs ${peer.serverGbPerCpuSecond.median.toFixed(2)} GB per CPU-second).`
      : ' Bytes per server CPU-second: not in this record.';
  if (!ours.cpu || !peer.cpu) return `${throughput}${efficiency}`;
  return (
    `${throughput} The pyarrow client used ${ours.cpu.clientCores.toFixed(2)} cores reading ours and ${peer.cpu.clientCores.toFixed(2)} reading pyarrow's, ` +
    `its busiest thread at most ${Math.max(ours.cpu.clientBusiestThreadCores, peer.cpu.clientBusiestThreadCores).toFixed(2)} of a core; ` +
    `the servers used ${ours.cpu.serverCores.toFixed(2)} (ours) and ${peer.cpu.serverCores.toFixed(2)} (pyarrow) cores. ` +
    'Throughput on one machine measures client and server together; the server\'s CPU per byte decides how many readers one shard can feed.' +
    efficiency
  );
};

const framing: Finding = () =>
  '**HTTP/2 framing:** `node:http2` (nghttp2) sends DATA frames no larger than the protocol\'s default maximum frame size, whatever ' +
  '`SETTINGS_MAX_FRAME_SIZE` the client advertises, while gRPC C++ servers send larger frames, so our server sends more frames for the ' +
  'same bytes. No record measures the cost of this yet.';

const epoch: Finding = (results) => {
  const record = results.get('epoch');
  if (!record) return null;
  const pair = (objectsAt(record.data, 'pairs') ?? []).find((p) => stringAt(p, 'ours') === 'flightcache-pyarrow' && stringAt(p, 'peer') === 'pyarrow-flight');
  const ratio = numberAt(pair, 'ratio');
  const rates = namedRates(record);
  const ours = rates.find((r) => r.name === 'flightcache-pyarrow');
  const peer = rates.find((r) => r.name === 'pyarrow-flight');
  if (ratio === null || !ours || !peer) return null;
  return (
    `**Epoch, flightcache vs pyarrow Flight (same pyarrow client):** median ratio ${formatRatio(ratio)} ${source(record)}; ` +
    `the runs spread over ${formatGbps(ours.gbps.min)}-${formatGbps(ours.gbps.max)} GB/s for ours and ${formatGbps(peer.gbps.min)}-${formatGbps(peer.gbps.max)} for pyarrow's, so compare ranges, not single runs.`
  );
};

const selectivity: Finding = (results) => {
  const record = results.get('epoch');
  if (!record) return null;
  const series = sweepSeries(record, 'columns', 'selectivity');
  const ours = series.find((s) => s.name === 'flightcache-pyarrow');
  const peer = series.find((s) => s.name === 'pyarrow-flight');
  if (!ours || !peer) return null;
  const lowest = Math.min(...ours.points.map((p) => p.x));
  const a = ours.points.find((p) => p.x === lowest);
  const b = peer.points.find((p) => p.x === lowest);
  if (!a || !b || b.median <= 0) return null;
  return (
    `**Projection pushdown:** at selectivity ${lowest.toFixed(3)} flightcache projects at the server and delivers ${formatGbps(a.median)} GB/s of useful bytes ` +
    `against ${formatGbps(b.median)} for pyarrow Flight, which sends every column (${formatRatio(a.median / b.median)}x) ${source(record)}.`
  );
};

const memory: Finding = (results) => {
  const record = results.get('doget');
  const ours = record ? dogetTargets(record).find((t) => t.name === 'ours') : undefined;
  if (!record || !ours || ours.rssToData === null) return null;
  return `**Memory:** our server's resident size after loading the doget table is ${ours.rssToData.toFixed(2)}x the data ${source(record)}.`;
};

const storing: Finding = (results) => {
  const record = results.get('micro');
  const fill = record ? microCases(record).find((c) => c.name === 'storage-message-fill') : undefined;
  if (!record || !fill || fill.gbps === null) return null;
  const copy = fill.ratioOverBaseline === null || fill.baseline === null ? '' : `, ${formatRatio(fill.ratioOverBaseline)}x ${fill.baseline}`;
  return `**Storing bodies** (a put landing in native regions, one core): ${formatGbps(fill.gbps.median)} GB/s${copy} ${source(record)}.`;
};

const cluster: Finding = (results) => {
  const record = results.get('cluster');
  const configs = record ? clusterConfigs(record) : [];
  if (!record || configs.length === 0) return null;
  const limit = numberAt(record.data['params'], 'coordinatorCpuLimitPercent');
  const worst = Math.max(...configs.map((c) => c.coordinatorCpu.max));
  const perPlan = configs.flatMap((c) => (c.coordinatorCpuMsPerPlan ? [c.coordinatorCpuMsPerPlan.median] : []));
  const budget = limit === null ? '' : ` (budget ${limit}%)`;
  const plans = perPlan.length === 0 ? '' : `; it costs ${range(perPlan, (v) => v.toFixed(2))} ms of coordinator CPU per plan (median per configuration), so it follows the GetFlightInfo rate, not the bytes`;
  const latencies = record ? clusterLatencies(record) : [];
  const target = numberAt(record.data['params'], 'firstBatchTargetP50Ms');
  const first =
    latencies.length === 0
      ? ''
      : ` Time from GetFlightInfo to the first batch, p50: ${range(latencies.map((l) => l.p50Ms), (v) => v.toFixed(2))} ms over clients and shard counts${target === null ? '' : ` (target < ${target} ms)`}.`;
  return `**Cluster:** the coordinator stays off the data path: its CPU peaked at ${worst.toFixed(1)}% of one core in any window${budget}${plans} ${source(record)}.${first}`;
};

const torch: Finding = (results) => {
  const record = results.get('torch');
  const rows = record ? torchRows(record) : [];
  if (!record || rows.length === 0) return null;
  const headlines = torchRatioRows(record)
    .filter((r) => r.target !== null)
    .map((r) => `${r.ours} / ${r.peer} ${r.ratio.toFixed(2)}x (${ratioNote(rows, r)})`);
  const { ours, peers } = torchCompared(rows);
  const pairs = likeForLikePairs(ours, peers, TORCH_CONDITION_KEYS).map((p) => `${p.ours} / ${p.peer} ${p.ratio.toFixed(2)}x (${conditionsText(p.conditions, TORCH_CONDITION_KEYS)})`);
  if (headlines.length === 0 && pairs.length === 0) return null;
  const headline = headlines.length === 0 ? '' : `the issue's ratios of median samples/s: ${headlines.join('; ')}. `;
  const fair = pairs.length === 0 ? 'No like-for-like pair was measured' : `Like-for-like: ${pairs.join('; ')}`;
  return `**PyTorch epoch:** ${headline}${fair} ${source(record)}.`;
};

const gpu: Finding = (results) => {
  const record = results.get('gpu');
  const measured = record?.data['measured'];
  if (!record || !isObject(measured)) return null;
  const samples = numberAt(measured, 'samplesPerSec');
  const idle = numberAt(measured, 'gpuIdleFraction');
  const wait = numberAt(measured, 'dataWaitFraction');
  if (samples === null || idle === null || wait === null) return null;
  const shuffled = isObject(record.data['params']) && record.data['params']['shuffle'] === true ? 'shuffled' : 'unshuffled';
  return (
    `**GPU feed (${shuffled}):** ${(samples / 1e6).toFixed(2)} M samples/s with the GPU idle ${(idle * 100).toFixed(1)}% of the epoch and the loop ` +
    `waiting for data ${(wait * 100).toFixed(1)}% of it ${source(record)}; where the feed loses time is not measured yet.`
  );
};

const FINDINGS: readonly Finding[] = [doget, framing, epoch, selectivity, memory, storing, cluster, torch, gpu];

/** The findings section: one bullet per finding whose record is there. */
export function renderFindings(results: ReadonlyMap<string, ResultRecord>): string {
  const bullets = FINDINGS.flatMap((finding) => finding(results) ?? []);
  return ['## Findings', 'Drawn from the records rendered below; every number is taken from the record named with it, and the section of that record says whether it is stale.', bullets.map((b) => `- ${b}`).join('\n')].join('\n\n');
}
