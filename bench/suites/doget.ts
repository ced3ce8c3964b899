/**
 * doget: full-table DoGet throughput of flightcache against a pyarrow FlightServerBase serving
 * the same ~1 GiB table (4 int64 + 4 float32 columns, 64Ki-row batches, fixed seed), read by a
 * pyarrow client that counts bytes without building a Table. Also reports each server's RSS, and the
 * CPU each read took in the client (all threads and the busiest) and in the server: which side limits.
 */
import { join } from 'node:path';

import type { StartedProcess } from '../../test/helpers/process.js';
import { repoRoot, runPython } from '../../test/helpers/python.js';
import { formatMiB, formatTable } from '../report.js';
import { readMemoryUse, startOurServer, startPyarrowServer, type MemoryUse } from '../servers.js';
import { ratio, summarize, type Summary } from '../stats.js';
import type { SuiteOptions, SuiteOutput } from '../suite.js';

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

function render(targets: Target[], results: Map<Target, DogetTargetResult>, dataBytes: number, ours2py: number | null): string {
  const rows = [['server', 'median GB/s', 'min', 'max', 'runs', 'client cores (busiest thread)', 'server cores', 'RSS after load', 'RSS/data', 'RSS after reads']];
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
      formatMiB(r.afterLoad.rssBytes),
      r.rssToData.toFixed(2),
      formatMiB(r.afterReads.rssBytes),
    ]);
  }
  const lines = [`data: ${formatMiB(dataBytes)} of Arrow buffers per read`, formatTable(rows)];
  if (ours2py !== null) lines.push(`ours/pyarrow median throughput: ${ours2py.toFixed(3)}`);
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
    const readArgs = ['read', ...targetArgs, ...pidArgs, '--name', DATASET, '--runs', String(runs), '--warmup', String(warmup)];
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
      });
    }
    const ours = results.get('ours');
    const pyarrow = results.get('pyarrow');
    const ours2py = ours && pyarrow ? ratio(ours.summary.median, pyarrow.summary.median) : null;
    return {
      text: render(targets, results, loaded.bytes, ours2py),
      data: {
        params: { dataBytes: loaded.bytes, rows: loaded.rows, batches: loaded.batches, batchRows: BATCH_ROWS, seed: SEED, runs, warmup },
        targets: Object.fromEntries(results),
        oursToPyarrowMedian: ours2py,
      },
    };
  } finally {
    await Promise.all([...servers.values()].map((server) => server.stop()));
  }
}
