/**
 * doget: full-table DoGet throughput of flightcache against a pyarrow FlightServerBase serving
 * the same ~1 GiB table (4 int64 + 4 float32 columns, 64Ki-row batches, fixed seed), read by a
 * pyarrow client that counts bytes without building a Table. Also reports each server's RSS, the
 * CPU each read took in the client (all threads and the busiest) and in the server (which side
 * limits), and each server's bytes per CPU-second of its own, with the client pinned to other CPUs
 * than the servers where the machine has two or more and taskset is installed.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import type { StartedProcess } from '../../test/helpers/process.js';
import { repoRoot, runPython } from '../../test/helpers/python.js';
import { formatMiB, formatTable } from '../report.js';
import { readMemoryUse, startOurServer, startPyarrowServer, type MemoryUse } from '../servers.js';
import { ratio, summarize, type Summary } from '../stats.js';
import type { SuiteOptions, SuiteOutput } from '../suite.js';
import { allowedCpus, findExecutable } from './scale-plan.js';

const TARGETS = ['ours', 'pyarrow'] as const;
type Target = (typeof TARGETS)[number];

const DATASET = 'bench-doget';
const SEED = 42;
const BATCH_ROWS = 65_536;
const OUR_MEMORY = '4GiB';
const DRIVER_TIMEOUT_MS = 20 * 60_000;

interface LoadResult {
  rows: number;
  bytes: number;
  batches: number;
  put_seconds: Record<string, number>;
}

interface ReadRun {
  target: string;
  seconds: number;
  rows: number;
  bytes: number;
  batches: number;
  /** CPU during the read, in cores: the pyarrow client (all threads, its busiest one) and the server. */
  client_cores: number;
  client_busiest_thread_cores: number;
  server_cores: number;
  /** The server process's own CPU time during the read (all its threads). */
  server_cpu_seconds: number;
}

/** Where the reads ran: servers and client on disjoint CPUs, or unpinned with the reason. */
export type DogetPinning = { serverCpus: number[]; clientCpus: number[] } | { unpinned: string };

/**
 * Servers on the first half of the CPUs, the client on the rest (the client has the larger half:
 * it takes about a core here, a server less), so a server's CPU time is its own work, not time
 * shared with the client on one core. Unpinned on one CPU or without taskset.
 */
export function planPinning(cpus: readonly number[], taskset: string | null): DogetPinning {
  if (taskset === null) return { unpinned: 'taskset is not installed' };
  if (cpus.length < 2) return { unpinned: `only ${cpus.length} CPU is allowed` };
  const servers = Math.floor(cpus.length / 2);
  return { serverCpus: cpus.slice(0, servers), clientCpus: cpus.slice(servers) };
}

const run = promisify(execFile);

/**
 * Pins every thread of each server (and the threads they start later) to the plan's server CPUs.
 * Where taskset fails (a container may refuse it), the servers get all allowed CPUs back and the
 * run goes on unpinned, saying why: CI measures whether the suite works, not where it ran.
 */
export async function pinServers(plan: DogetPinning, taskset: string | null, pids: readonly number[], allowed: readonly number[]): Promise<DogetPinning> {
  if ('unpinned' in plan || taskset === null) return plan;
  const pinTo = (cpus: readonly number[], pid: number): Promise<unknown> => run(taskset, ['-a', '-p', '-c', cpus.join(','), String(pid)]);
  try {
    for (const pid of pids) await pinTo(plan.serverCpus, pid);
    return plan;
  } catch (err) {
    await Promise.allSettled(pids.map((pid) => pinTo(allowed, pid)));
    return { unpinned: `taskset failed: ${(err as Error).message.split('\n')[0]}` };
  }
}

/** Per-server results: GB/s is 1e9 bytes of Arrow buffers per second. */
export interface DogetTargetResult {
  gbps: number[];
  summary: Summary;
  putSeconds: number;
  afterLoad: MemoryUse;
  afterReads: MemoryUse;
  rssToData: number;
  /** Median cores used during a read: by the client (all threads, busiest thread) and by the server. */
  cpu: { clientCores: number; clientBusiestThreadCores: number; serverCores: number };
  /** GB served per CPU-second of the server's own threads, one sample per read. */
  serverGbPerCpuSecond: Summary;
}

function selectTargets(only: string | undefined): Target[] {
  if (only === undefined) return [...TARGETS];
  const target = TARGETS.find((t) => t === only);
  if (!target) throw new Error(`doget: --only must be one of ${TARGETS.join(', ')}, got ${only}`);
  return [target];
}

async function start(target: Target): Promise<StartedProcess> {
  return target === 'ours' ? startOurServer(OUR_MEMORY) : startPyarrowServer();
}

function driver(args: string[]): Promise<unknown> {
  return runPython<unknown>(join(repoRoot(), 'bench', 'py', 'doget_client.py'), args, { timeoutMs: DRIVER_TIMEOUT_MS });
}

function render(targets: Target[], results: Map<Target, DogetTargetResult>, dataBytes: number, ratios: { throughput: number | null; efficiency: number | null }, pinning: DogetPinning): string {
  const rows = [['server', 'median GB/s', 'min', 'max', 'runs', 'client cores (busiest thread)', 'server cores', 'GB/server CPU-s', 'RSS after load', 'RSS/data', 'RSS after reads']];
  for (const target of targets) {
    const r = results.get(target)!;
    rows.push([
      target,
      r.summary.median.toFixed(3),
      r.summary.min.toFixed(3),
      r.summary.max.toFixed(3),
      String(r.summary.n),
      `${r.cpu.clientCores.toFixed(2)} (${r.cpu.clientBusiestThreadCores.toFixed(2)})`,
      r.cpu.serverCores.toFixed(2),
      r.serverGbPerCpuSecond.median.toFixed(2),
      formatMiB(r.afterLoad.rssBytes),
      r.rssToData.toFixed(2),
      formatMiB(r.afterReads.rssBytes),
    ]);
  }
  const where = 'unpinned' in pinning ? `not pinned: ${pinning.unpinned}` : `servers on CPUs ${pinning.serverCpus.join(',')}, client on CPUs ${pinning.clientCpus.join(',')}`;
  const lines = [`data: ${formatMiB(dataBytes)} of Arrow buffers per read; ${where}`, formatTable(rows)];
  if (ratios.throughput !== null) lines.push(`ours/pyarrow median throughput: ${ratios.throughput.toFixed(3)}`);
  if (ratios.efficiency !== null) lines.push(`ours/pyarrow median bytes per server CPU-second: ${ratios.efficiency.toFixed(3)}`);
  return lines.join('\n');
}

/** Runs the doget suite: start servers, load the table into each, alternate timed reads. */
export async function runDoget(options: SuiteOptions): Promise<SuiteOutput> {
  const targets = selectTargets(options.only);
  const mib = options.quick ? 256 : 1024;
  const runs = options.runs ?? (options.quick ? 3 : 7);
  const warmup = options.quick ? 1 : 2;
  const servers = new Map<Target, StartedProcess>();
  try {
    for (const target of targets) servers.set(target, await start(target));
    const targetArgs = targets.flatMap((t) => ['--target', `${t}=${servers.get(t)!.url}`]);
    const loadArgs = ['load', ...targetArgs, '--name', DATASET, '--mib', String(mib), '--seed', String(SEED)];
    const loaded = (await driver([...loadArgs, '--batch-rows', String(BATCH_ROWS)])) as LoadResult;
    const afterLoad = new Map(targets.map((t) => [t, readMemoryUse(servers.get(t)!.pid)]));
    const pidArgs = targets.flatMap((t) => ['--server-pid', `${t}=${servers.get(t)!.pid}`]);
    const taskset = findExecutable('taskset', process.env['PATH']);
    const allowed = allowedCpus();
    const pinning = await pinServers(planPinning(allowed, taskset), taskset, [...servers.values()].map((s) => s.pid), allowed);
    const cpuArgs = 'unpinned' in pinning ? [] : ['--cpus', pinning.clientCpus.join(',')];
    const readArgs = ['read', ...targetArgs, ...pidArgs, ...cpuArgs, '--name', DATASET, '--runs', String(runs), '--warmup', String(warmup)];
    const { runs: measured } = (await driver(readArgs)) as { runs: ReadRun[] };

    const results = new Map<Target, DogetTargetResult>();
    for (const target of targets) {
      const own = measured.filter((run) => run.target === target);
      const mismatch = own.find((run) => run.bytes !== loaded.bytes || run.rows !== loaded.rows);
      if (mismatch) {
        throw new Error(`doget: ${target} returned ${mismatch.rows} rows / ${mismatch.bytes} bytes, loaded ${loaded.rows} / ${loaded.bytes}`);
      }
      const gbps = own.map((run) => run.bytes / run.seconds / 1e9);
      const memory = afterLoad.get(target)!;
      results.set(target, {
        gbps,
        summary: summarize(gbps),
        putSeconds: loaded.put_seconds[target] ?? Number.NaN,
        afterLoad: memory,
        afterReads: readMemoryUse(servers.get(target)!.pid),
        rssToData: ratio(memory.rssBytes, loaded.bytes),
        cpu: {
          clientCores: summarize(own.map((run) => run.client_cores)).median,
          clientBusiestThreadCores: summarize(own.map((run) => run.client_busiest_thread_cores)).median,
          serverCores: summarize(own.map((run) => run.server_cores)).median,
        },
        serverGbPerCpuSecond: summarize(own.map((run) => run.bytes / run.server_cpu_seconds / 1e9)),
      });
    }
    const ours = results.get('ours');
    const pyarrow = results.get('pyarrow');
    const ours2py = ours && pyarrow ? ratio(ours.summary.median, pyarrow.summary.median) : null;
    const efficiency = ours && pyarrow ? ratio(ours.serverGbPerCpuSecond.median, pyarrow.serverGbPerCpuSecond.median) : null;
    return {
      text: render(targets, results, loaded.bytes, { throughput: ours2py, efficiency }, pinning),
      data: {
        params: { dataBytes: loaded.bytes, rows: loaded.rows, batches: loaded.batches, batchRows: BATCH_ROWS, seed: SEED, runs, warmup },
        pinning,
        targets: Object.fromEntries(results),
        oursToPyarrowMedian: ours2py,
        oursToPyarrowServerEfficiency: efficiency,
      },
    };
  } finally {
    await Promise.all([...servers.values()].map((server) => server.stop()));
  }
}
