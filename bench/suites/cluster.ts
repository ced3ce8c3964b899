/**
 * cluster: a flightcache cluster (`serve --shards N --replicas 1`) read by M pyarrow processes, each
 * reading its rank's share (GetFlightInfo at the coordinator, DoGet at the shards). Reports aggregate
 * GB/s, the CPU of the coordinator (which must stay off the data path: under 5% of one core) and of
 * each shard over the streaming windows, and the time from GetFlightInfo to the first record batch
 * for pyarrow and for our TS client (p50 / p99).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { ArrowStreamDecoder } from '../../client/src/flight/protocol/arrow-codec.js';
import { LocationClients } from '../../client/src/share-reader.js';
import type { ClusterStats } from '../../cache-server/cluster/cluster-actions.js';
import { startProcess, type StartedProcess } from '../../test/helpers/process.js';
import { repoRoot, runPython } from '../../test/helpers/python.js';
import type { SuiteOptions, SuiteOutput } from '../suite.js';
import { asClusterWindow, asFirstBatchTimes, asReaderReady, ClusterReaderProcess, type FirstBatchTimes } from './cluster-reader.js';
import { hostsUnavailable, measureSeparateHosts, type SeparateHostsResult } from './cluster-hosts.js';
import {
  COORDINATOR_CPU_LIMIT_PERCENT,
  runNanosOfSchedstat,
  ticksOfStat,
  CLOCK_TICKS_PER_SECOND,
  coordinatorWithinLimit,
  FIRST_BATCH_TARGET_P50_MS,
  firstBatchResult,
  renderClusterText,
  rollUpWindows,
  type ClusterConfigResult,
  type FirstBatchResult,
  type WindowSample,
} from './cluster-results.js';

const DATASET = 'bench-cluster';
const SEED = 42;
const BATCH_ROWS = 65_536;
/** First-batch latency reads a dataset of training-sized batches (8,192 rows, 384 KiB), as a trainer would. */
const LATENCY_DATASET = 'bench-cluster-latency';
const LATENCY_BATCH_ROWS = 8_192;
const LATENCY_MIB = 16;
const SHARDS = [1, 2];
const READERS = [1, 2, 4];
/** The share timed for first-batch latency: rank 0 of 4, as one trainer of four would ask for it. */
const LATENCY_SHARE = { rank: 0, world: 4 };
const LATENCY_CHUNK = 10;
const LATENCY_WARMUP = 5;
const START_TIMEOUT_MS = 60_000;
const LOAD_TIMEOUT_MS = 20 * 60_000;
const READY = /^flightcache ready (grpc:\/\/\S+)$/;
const PARTS = ['throughput', 'latency', 'hosts'] as const;
type Part = (typeof PARTS)[number];

/** What the suite runs. */
export interface ClusterSettings {
  parts: Part[];
  mib: number;
  windowSeconds: number;
  runs: number;
  warmup: number;
  latencyIterations: number;
}

/** Settings from the command line: --quick shrinks everything, --only picks throughput, latency or hosts. */
export function clusterSettings(options: SuiteOptions): ClusterSettings {
  const parts = options.only === undefined ? [...PARTS] : options.only.split(',').map((p) => p.trim());
  const unknown = parts.find((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown !== undefined) throw new Error(`cluster: --only takes ${PARTS.join(', ')}, got ${unknown}`);
  return {
    parts: parts as Part[],
    mib: options.quick ? 128 : 512,
    windowSeconds: options.quick ? 1 : 2,
    runs: options.runs ?? (options.quick ? 3 : 5),
    warmup: 2,
    latencyIterations: options.quick ? 50 : 200,
  };
}

/**
 * On-CPU seconds of a process, all its threads: the scheduler's exact run time from
 * /proc/PID/task/TID/schedstat. (utime+stime in /proc/PID/stat are sampled at clock ticks, which
 * over-charges a process that wakes briefly and often, like a coordinator, in short windows.)
 * Threads that have ended (a load's worker threads) are counted from those ticks, as only the
 * process's own counters keep their time.
 */
export function cpuSeconds(pid: number): number {
  const total = ticksOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  let nanoseconds = 0;
  let liveTicks = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      nanoseconds += runNanosOfSchedstat(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8'));
      liveTicks += ticksOfStat(readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8'));
    } catch {
      // A thread that ended between listing and reading has no file any more; its time is in `total`.
    }
  }
  return nanoseconds / 1e9 + Math.max(0, total - liveTicks) / CLOCK_TICKS_PER_SECOND;
}

/**
 * Node options of the coordinator's process, as docs/cluster.md tells operators to run it: V8's memory
 * reducer would otherwise follow a large put with up to three compacting collections (20-90 ms each)
 * some 30 s later, in the middle of streaming, to give back a few MB of a ~10 MB heap.
 */
const COORDINATOR_NODE_OPTIONS = ['--no-memory-reducer'];

/** Starts `flightcache serve --shards N --replicas 1` with the coordinator's Node options. */
export async function startCluster(shards: number): Promise<StartedProcess> {
  const main = join(repoRoot(), 'dist', 'cache-server', 'cli', 'main.js');
  const args = [...COORDINATOR_NODE_OPTIONS, main, 'serve', '--host', '127.0.0.1', '--port', '0', '--shards', String(shards), '--replicas', '1'];
  try {
    return await startProcess(process.execPath, args, READY, { timeoutMs: START_TIMEOUT_MS, env: { ...process.env, FLIGHTCACHE_LOG_LEVEL: 'warn' } });
  } catch (err) {
    throw new Error(`could not start a flightcache cluster (run \`npx tsc -p tsconfig.json\` first): ${(err as Error).message}`, { cause: err });
  }
}

/** The shard processes' pids in member order, and the dataset's partition count, from `stats`. */
async function clusterLayout(url: string, shards: number): Promise<{ pids: number[]; partitions: number }> {
  const client = new FlightClient(url);
  try {
    const stats = await client.action<ClusterStats>('stats');
    const members = [...stats.members].sort((a, b) => a.id.localeCompare(b.id));
    const pids = members.map((m) => m.pid);
    if (members.length !== shards || !pids.every((pid): pid is number => typeof pid === 'number')) {
      throw new Error(`cluster: expected ${shards} local shards with pids, stats list ${JSON.stringify(stats.members)}`);
    }
    const dataset = stats.datasets.find((d) => d.name === DATASET);
    if (!dataset || dataset.status !== 'healthy') throw new Error(`cluster: ${DATASET} is not healthy after the load: ${JSON.stringify(dataset)}`);
    return { pids, partitions: dataset.partitions };
  } finally {
    client.close();
  }
}

interface Loaded {
  rows: number;
  bytes: number;
  batches: number;
}

/** Starts `world` readers, one per rank, and checks that their shares together are the dataset. */
async function startReaders(url: string, world: number, shards: number, loaded: Loaded, dataset = DATASET): Promise<{ readers: ClusterReaderProcess[]; endpoints: number }> {
  const readers = Array.from({ length: world }, (_, rank) => ClusterReaderProcess.start({ url, dataset, rank, world }, `reader ${rank}/${world} of ${shards} shard(s)`));
  try {
    const ready = await Promise.all(readers.map(async (r) => asReaderReady(await r.next(START_TIMEOUT_MS), r.label)));
    const rows = ready.reduce((sum, r) => sum + r.rows, 0);
    const bytes = ready.reduce((sum, r) => sum + r.bytes, 0);
    if (rows !== loaded.rows || bytes !== loaded.bytes) {
      throw new Error(`cluster: ${world} ranks read ${rows} rows / ${bytes} bytes together, loaded ${loaded.rows} / ${loaded.bytes}`);
    }
    return { readers, endpoints: ready[0]!.endpoints };
  } catch (err) {
    await Promise.all(readers.map((r) => r.stop()));
    throw err;
  }
}

/** One timed window: every reader streams its share for `seconds` while the parent samples CPU. */
async function timeWindow(readers: readonly ClusterReaderProcess[], pids: { coordinator: number; shards: number[] }, seconds: number): Promise<WindowSample> {
  const replyMs = seconds * 1000 + START_TIMEOUT_MS;
  const coordinatorBefore = cpuSeconds(pids.coordinator);
  const shardsBefore = pids.shards.map((pid) => cpuSeconds(pid));
  const start = process.hrtime.bigint();
  const replies = await Promise.all(readers.map(async (r) => asClusterWindow(await r.ask(`read ${seconds}`, replyMs), r.label)));
  const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  return {
    readers: replies,
    wallSeconds,
    coordinatorCpuSeconds: cpuSeconds(pids.coordinator) - coordinatorBefore,
    shardCpuSeconds: pids.shards.map((pid, i) => cpuSeconds(pid) - shardsBefore[i]!),
  };
}

/** Rotates a list by `round` so every entry runs in every position across rounds. */
function rotate<T>(items: readonly T[], round: number): T[] {
  const shift = round % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

async function measureThroughput(url: string, shards: number, pids: { coordinator: number; shards: number[] }, loaded: Loaded, settings: ClusterSettings): Promise<ClusterConfigResult[]> {
  const sets: { world: number; readers: ClusterReaderProcess[]; endpoints: number }[] = [];
  try {
    for (const world of READERS) sets.push({ world, ...(await startReaders(url, world, shards, loaded)) });
    const windows = new Map<number, WindowSample[]>(READERS.map((m) => [m, []]));
    for (let round = 0; round < settings.warmup + settings.runs; round++) {
      for (const set of rotate(sets, round)) {
        const sample = await timeWindow(set.readers, pids, settings.windowSeconds);
        if (round >= settings.warmup) windows.get(set.world)!.push(sample);
      }
    }
    return sets.map((set) => rollUpWindows(shards, set.world, set.endpoints, windows.get(set.world)!));
  } finally {
    await Promise.all(sets.flatMap((set) => set.readers.map((r) => r.stop())));
  }
}

/** Our TS client's first-batch times: FlightClient.getFlightInfo at the coordinator, doGetRaw at the first endpoint's shard. */
async function tsFirstBatch(head: FlightClient, locations: LocationClients, count: number): Promise<FirstBatchTimes> {
  const descriptor = pathDescriptor(LATENCY_DATASET, String(LATENCY_SHARE.rank), String(LATENCY_SHARE.world));
  const times: FirstBatchTimes = { first: [], plan: [] };
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    const info = await head.getFlightInfo(descriptor);
    const planned = process.hrtime.bigint();
    const endpoint = info.endpoints[0]!;
    const decoder = new ArrowStreamDecoder();
    let batch = false;
    // Leaving the loop ends the DoGet stream: a trainer that stops after one batch cancels the rest.
    for await (const data of locations.get(endpoint.locations[0]?.uri ?? '').doGetRaw(endpoint.ticket)) {
      if (decoder.decode(data.dataHeader, data.dataBody).kind === 'batch') {
        batch = true;
        break;
      }
    }
    if (!batch) throw new Error('cluster: the first endpoint of the latency share sent no record batch');
    times.first.push(Number(process.hrtime.bigint() - start) / 1e9);
    times.plan.push(Number(planned - start) / 1e9);
  }
  return times;
}

/** pyarrow and TS first-batch latencies, alternating in chunks of LATENCY_CHUNK after a warm-up of each. */
async function measureLatency(url: string, shards: number, loaded: Loaded, settings: ClusterSettings): Promise<FirstBatchResult[]> {
  const { readers } = await startReaders(url, 1, shards, loaded, LATENCY_DATASET);
  const py = readers[0]!;
  const head = new FlightClient(url);
  const locations = new LocationClients(head, () => undefined);
  const all: Record<'pyarrow' | 'ts', FirstBatchTimes> = { pyarrow: { first: [], plan: [] }, ts: { first: [], plan: [] } };
  const run = async (client: 'pyarrow' | 'ts', count: number): Promise<FirstBatchTimes> =>
    client === 'ts'
      ? tsFirstBatch(head, locations, count)
      : asFirstBatchTimes(await py.ask(`first ${count} ${LATENCY_SHARE.rank} ${LATENCY_SHARE.world}`, START_TIMEOUT_MS + count * 1000), py.label);
  try {
    await run('pyarrow', LATENCY_WARMUP);
    await run('ts', LATENCY_WARMUP);
    for (let done = 0, chunk = 0; done < settings.latencyIterations; done += LATENCY_CHUNK, chunk++) {
      const count = Math.min(LATENCY_CHUNK, settings.latencyIterations - done);
      for (const client of chunk % 2 === 0 ? (['pyarrow', 'ts'] as const) : (['ts', 'pyarrow'] as const)) {
        const times = await run(client, count);
        all[client].first.push(...times.first);
        all[client].plan.push(...times.plan);
      }
    }
    return [firstBatchResult('pyarrow', shards, all.pyarrow), firstBatchResult('ts', shards, all.ts)];
  } finally {
    locations.close();
    head.close();
    await py.stop();
  }
}

/** CPU % of one core of the coordinator and each shard over `seconds` with no reader running. */
async function idleCpu(pids: { coordinator: number; shards: number[] }, seconds: number): Promise<{ coordinatorCpuPercent: number; shardCpuPercent: number[] }> {
  const coordinatorBefore = cpuSeconds(pids.coordinator);
  const shardsBefore = pids.shards.map((pid) => cpuSeconds(pid));
  const start = process.hrtime.bigint();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  return {
    coordinatorCpuPercent: ((cpuSeconds(pids.coordinator) - coordinatorBefore) / wall) * 100,
    shardCpuPercent: pids.shards.map((pid, i) => ((cpuSeconds(pid) - shardsBefore[i]!) / wall) * 100),
  };
}

/** Runs the cluster suite with explicit settings. */
export async function runClusterWith(settings: ClusterSettings): Promise<SuiteOutput> {
  const configs: ClusterConfigResult[] = [];
  const latency: FirstBatchResult[] = [];
  const clusters: { shards: number; partitions: number; idle: { coordinatorCpuPercent: number; shardCpuPercent: number[] } }[] = [];
  let loaded: Loaded | null = null;
  for (const shards of SHARDS) {
    const cluster = await startCluster(shards);
    try {
      const load = ['load', '--target', `coordinator=${cluster.url}`, '--name', DATASET, '--mib', String(settings.mib), '--seed', String(SEED), '--batch-rows', String(BATCH_ROWS)];
      loaded = await runPython<Loaded>(join(repoRoot(), 'bench', 'py', 'doget_client.py'), load, { timeoutMs: LOAD_TIMEOUT_MS });
      const layout = await clusterLayout(cluster.url, shards);
      const pids = { coordinator: cluster.pid, shards: layout.pids };
      clusters.push({ shards, partitions: layout.partitions, idle: await idleCpu(pids, settings.windowSeconds) });
      if (settings.parts.includes('throughput')) configs.push(...(await measureThroughput(cluster.url, shards, pids, loaded, settings)));
      if (settings.parts.includes('latency')) {
        const small = ['load', '--target', `coordinator=${cluster.url}`, '--name', LATENCY_DATASET, '--mib', String(LATENCY_MIB), '--seed', String(SEED), '--batch-rows', String(LATENCY_BATCH_ROWS)];
        const latencyLoaded = await runPython<Loaded>(join(repoRoot(), 'bench', 'py', 'doget_client.py'), small, { timeoutMs: LOAD_TIMEOUT_MS });
        latency.push(...(await measureLatency(cluster.url, shards, latencyLoaded, settings)));
      }
    } finally {
      await cluster.stop();
    }
  }
  const notes = [
    `clusters: \`node ${COORDINATOR_NODE_OPTIONS.join(' ')} flightcache serve --shards N --replicas 1\` for N = ${SHARDS.join(', ')}; readers (M = ${READERS.join(', ')}) read share [name, RANK, M] each, processes not pinned (${cpus().length} CPUs)`,
    `CPU: exact on-CPU time of every thread (/proc/PID/task/*/schedstat) over each ${settings.windowSeconds} s window, as % of one core; each share read starts with GetFlightInfo (plans/s)`,
    ...clusters.map((c) => `${c.shards} shard(s): ${c.partitions} partitions; idle CPU % coordinator ${c.idle.coordinatorCpuPercent.toFixed(1)}, shards ${c.idle.shardCpuPercent.map((p) => p.toFixed(1)).join(' / ')}`),
    `first batch: share [name, ${LATENCY_SHARE.rank}, ${LATENCY_SHARE.world}] of a ${LATENCY_MIB} MiB dataset of ${LATENCY_BATCH_ROWS}-row batches, ${settings.latencyIterations} iterations per client after ${LATENCY_WARMUP} warm-up, clients alternating every ${LATENCY_CHUNK}`,
  ];
  let separateHosts: SeparateHostsResult | { unavailable: string } | undefined;
  if (settings.parts.includes('hosts')) {
    const unavailable = hostsUnavailable();
    separateHosts = unavailable !== null
      ? { unavailable }
      : await measureSeparateHosts({ mib: settings.mib, seed: SEED, batchRows: BATCH_ROWS, windowSeconds: settings.windowSeconds, runs: settings.runs, warmup: settings.warmup, nodeOptions: COORDINATOR_NODE_OPTIONS, timeWindow });
    notes.push('unavailable' in separateHosts
      ? `separate hosts: not measured: ${separateHosts.unavailable}`
      : `separate hosts: N shards serving N readers (N = 1, 2), the coordinator, each shard and each reader in a network namespace of its own on one bridge (${separateHosts.subnet}); two shards deliver ${separateHosts.scaling.toFixed(2)}x one shard's aggregate rate`);
  }
  const within = configs.length > 0 ? coordinatorWithinLimit(configs) : null;
  return {
    text: renderClusterText(configs, latency, notes, loaded!.bytes),
    data: {
      params: {
        dataBytes: loaded!.bytes,
        rows: loaded!.rows,
        batches: loaded!.batches,
        batchRows: BATCH_ROWS,
        seed: SEED,
        replicas: 1,
        windowSeconds: settings.windowSeconds,
        runs: settings.runs,
        warmup: settings.warmup,
        latencyIterations: settings.latencyIterations,
        latencyWarmup: LATENCY_WARMUP,
        latencyShare: LATENCY_SHARE,
        latencyBatchRows: LATENCY_BATCH_ROWS,
        coordinatorCpuLimitPercent: COORDINATOR_CPU_LIMIT_PERCENT,
        firstBatchTargetP50Ms: FIRST_BATCH_TARGET_P50_MS,
      },
      placement: { pinned: false, cpus: cpus().length },
      clusters,
      configs,
      coordinatorWithinLimit: within,
      firstBatch: latency,
      ...(separateHosts ? { separateHosts } : {}),
    },
  };
}

/** The cluster suite (see runClusterWith). */
export async function runCluster(options: SuiteOptions): Promise<SuiteOutput> {
  return runClusterWith(clusterSettings(options));
}
