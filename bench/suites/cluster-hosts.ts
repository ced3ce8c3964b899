/**
 * The cluster suite's separate-hosts part: N shards serving N readers (N = 1, 2), every shard, the
 * coordinator and every reader in a network namespace of its own (test/helpers/netns.ts: veth pairs on
 * one bridge, as separate hosts on one switch), so each byte crosses a simulated NIC between two
 * hosts. Per-shard scaling is measured rather than assumed: the aggregate rate with two shards against
 * one, and each shard's CPU seconds per gigabyte served.
 */
import { join } from 'node:path';

import { createHosts, execIn, type SimulatedHost } from '../../test/helpers/netns.js';
import { startProcess, type StartedProcess } from '../../test/helpers/process.js';
import { repoRoot, venvPython } from '../../test/helpers/python.js';
import { summarize, type Summary } from '../stats.js';
import { asReaderReady, ClusterReaderProcess } from './cluster-reader.js';
import { rollUpWindows, type ClusterConfigResult, type WindowSample } from './cluster-results.js';

const SUBNET = '10.213.94';
const PORT = 18831;
const READY = /^flightcache ready (grpc:\/\/\S+)$/;
const START_TIMEOUT_MS = 60_000;
const LOAD_TIMEOUT_MS = 20 * 60_000;
const DATASET = 'bench-cluster-hosts';

/** One configuration on separate hosts: N shards, N readers. */
export interface HostsConfigResult extends ClusterConfigResult {
  /** Shard CPU seconds per gigabyte served, all shards together, per window. */
  shardCpuSecondsPerGb: Summary;
}

/** What the part measured. */
export interface SeparateHostsResult {
  subnet: string;
  configs: HostsConfigResult[];
  /** Median aggregate GB/s with two shards (two readers) over one shard (one reader). */
  scaling: number;
}

/** What a window runs with: the suite's settings, and the CPU reading and timing it uses. */
export interface HostsSettings {
  mib: number;
  seed: number;
  batchRows: number;
  windowSeconds: number;
  runs: number;
  warmup: number;
  nodeOptions: readonly string[];
  /** The suite's timed window: every reader streams for `seconds` while the CPU of the pids is read. */
  timeWindow(readers: readonly ClusterReaderProcess[], pids: { coordinator: number; shards: number[] }, seconds: number): Promise<WindowSample>;
}

/** Why the part cannot run here (no network namespaces), or null when it can. */
export function hostsUnavailable(): string | null {
  try {
    createHosts(`fcch${process.pid}`, ['probe'], SUBNET).remove();
    return null;
  } catch (err) {
    return `network namespaces cannot be made here (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
  }
}

/** Starts a flightcache role inside a namespace (`ip netns exec` execs node, so the pid is node's). */
function startIn(host: SimulatedHost, nodeOptions: readonly string[], args: readonly string[]): Promise<StartedProcess> {
  const main = join(repoRoot(), 'dist', 'cache-server', 'cli', 'main.js');
  return startProcess('ip', ['netns', 'exec', host.namespace, process.execPath, ...nodeOptions, main, ...args], READY, {
    timeoutMs: START_TIMEOUT_MS,
    env: { ...process.env, FLIGHTCACHE_LOG_LEVEL: 'warn' },
  });
}

/** One configuration: n shards and n readers, each on its own simulated host, plus the coordinator's. */
async function measureConfig(n: number, settings: HostsSettings): Promise<HostsConfigResult> {
  const names = ['head', ...Array.from({ length: n }, (_, i) => `s${i}`), ...Array.from({ length: n }, (_, i) => `r${i}`)];
  const net = createHosts(`fcch${process.pid}`, names, SUBNET);
  const [head, ...rest] = net.hosts;
  const shardHosts = rest.slice(0, n);
  const readerHosts = rest.slice(n);
  const processes: StartedProcess[] = [];
  const readers: ClusterReaderProcess[] = [];
  try {
    for (const [i, host] of shardHosts.entries()) {
      processes.push(await startIn(host, [], ['shard', '--host', host.address, '--port', String(PORT), '--shm-dir', 'off', '--id', `s${i}`]));
    }
    const shardList = shardHosts.map((h) => `grpc://${h.address}:${PORT}`).join(',');
    const coordinator = await startIn(head!, settings.nodeOptions, ['coordinator', '--host', head!.address, '--port', String(PORT), '--replicas', '1', '--shard-list', shardList]);
    processes.push(coordinator);
    const url = `grpc://${head!.address}:${PORT}`;
    const load = ['load', '--target', `coordinator=${url}`, '--name', DATASET, '--mib', String(settings.mib), '--seed', String(settings.seed), '--batch-rows', String(settings.batchRows)];
    const loadOut = await execIn(head!.namespace, venvPython(), [join(repoRoot(), 'bench', 'py', 'doget_client.py'), ...load], process.env, LOAD_TIMEOUT_MS);
    const loaded = JSON.parse(loadOut.trim().split('\n').pop()!) as { rows: number; bytes: number };
    for (const [rank, host] of readerHosts.entries()) {
      readers.push(ClusterReaderProcess.start({ url, dataset: DATASET, rank, world: n }, `reader ${rank}/${n} on ${host.name}`, host.namespace));
    }
    const ready = await Promise.all(readers.map(async (r) => asReaderReady(await r.next(START_TIMEOUT_MS), r.label)));
    const [rows, bytes] = [ready.reduce((s, r) => s + r.rows, 0), ready.reduce((s, r) => s + r.bytes, 0)];
    if (rows !== loaded.rows || bytes !== loaded.bytes) throw new Error(`cluster hosts: ${n} readers read ${rows} rows / ${bytes} bytes together, loaded ${loaded.rows} / ${loaded.bytes}`);
    const pids = { coordinator: coordinator.pid, shards: processes.slice(0, n).map((p) => p.pid) };
    const windows: WindowSample[] = [];
    for (let round = 0; round < settings.warmup + settings.runs; round++) {
      const sample = await settings.timeWindow(readers, pids, settings.windowSeconds);
      if (round >= settings.warmup) windows.push(sample);
    }
    const config = rollUpWindows(n, n, ready[0]!.endpoints, windows);
    const perGb = windows.map((w) => w.shardCpuSeconds.reduce((a, b) => a + b, 0) / (w.readers.reduce((s, r) => s + r.bytes, 0) / 1e9));
    return { ...config, shardCpuSecondsPerGb: summarize(perGb) };
  } finally {
    await Promise.all(readers.map((r) => r.stop()));
    for (const p of processes.reverse()) await p.stop();
    net.remove();
  }
}

/** Runs one and two shards, each with as many readers, on separate simulated hosts. */
export async function measureSeparateHosts(settings: HostsSettings): Promise<SeparateHostsResult> {
  const one = await measureConfig(1, settings);
  const two = await measureConfig(2, settings);
  return { subnet: `${SUBNET}.0/24`, configs: [one, two], scaling: two.aggregateGbps.median / one.aggregateGbps.median };
}
