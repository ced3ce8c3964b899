/**
 * scale: aggregate DoGet throughput of N independent flightcache nodes read by M pyarrow reader
 * processes at once, each process pinned to its own core with `taskset -c`. Reports aggregate,
 * per-server and per-reader GB/s per (N, M) and the GetFlightInfo latency: the measured inputs of
 * the capacity model in docs/scaling.md. A "server" is an independent node, since flightcache has
 * no cluster yet; the coordinator-based version of this suite arrives with the cluster issue.
 */
import { join } from 'node:path';

import { startProcess, type StartedProcess } from '../../test/helpers/process.js';
import { repoRoot, runPython } from '../../test/helpers/python.js';
import { bestRates } from '../report/model.js';
import { formatMiB, formatTable } from '../report.js';
import { summarize, type Summary } from '../stats.js';
import type { SuiteOptions, SuiteOutput } from '../suite.js';
import { allowedCpus, findExecutable, parseCounts, place, planShapes, type Placement, type ScaleShape } from './scale-plan.js';
import { asWindowResult, ReaderProcess, type WindowResult } from './scale-reader.js';

const DATASET = 'bench-scale';
const SEED = 42;
const BATCH_ROWS = 65_536;
const START_TIMEOUT_MS = 60_000;
const LOAD_TIMEOUT_MS = 20 * 60_000;
const READY = /^flightcache ready (grpc:\/\/\S+)$/;

/** What the suite runs: configurations (undefined = planned from the cores), data size, windows. */
export interface ScaleSettings {
  servers: number[] | undefined;
  readers: number[] | undefined;
  mib: number;
  windowSeconds: number;
  runs: number;
  warmup: number;
  infoCalls: number;
}

/** One (N, M) configuration's results. */
export interface ScaleConfigResult extends ScaleShape, Placement {
  aggregateGbps: Summary;
  perServerGbps: Summary;
  perReaderGbps: Summary;
  windows: { server: number; bytes: number; seconds: number; reads: number }[][];
}

function positiveNumber(text: string, what: string): number {
  const value = Number(text);
  if (!(Number.isFinite(value) && value > 0)) throw new Error(`${what} must be a positive number, got ${JSON.stringify(text)}`);
  return value;
}

/**
 * Settings from the command line and the environment: BENCH_SCALE_SERVERS / BENCH_SCALE_READERS
 * ("1,2,4") fix N and M, BENCH_SCALE_MIB the data size, BENCH_SCALE_SECONDS the window length.
 */
export function scaleSettings(options: SuiteOptions, env: NodeJS.ProcessEnv): ScaleSettings {
  if (options.only !== undefined && options.only !== 'ours') throw new Error(`scale measures flightcache alone: --only must be ours, got ${options.only}`);
  const servers = env['BENCH_SCALE_SERVERS'];
  const readers = env['BENCH_SCALE_READERS'];
  const mib = env['BENCH_SCALE_MIB'];
  const seconds = env['BENCH_SCALE_SECONDS'];
  return {
    servers: servers === undefined ? undefined : parseCounts(servers, 'BENCH_SCALE_SERVERS'),
    readers: readers === undefined ? undefined : parseCounts(readers, 'BENCH_SCALE_READERS'),
    mib: mib === undefined ? (options.quick ? 64 : 512) : Math.ceil(positiveNumber(mib, 'BENCH_SCALE_MIB')),
    windowSeconds: seconds === undefined ? (options.quick ? 1 : 2) : positiveNumber(seconds, 'BENCH_SCALE_SECONDS'),
    runs: options.runs ?? (options.quick ? 3 : 5),
    warmup: 1,
    infoCalls: options.quick ? 100 : 500,
  };
}

/**
 * Aggregate, per-server and per-reader GB/s of one configuration. Aggregate per window = the sum of
 * the readers' rates (their windows start together and have the same length); a server's rate is the
 * sum of its readers' rates; servers without a reader (N > M) are left out of the per-server summary.
 */
export function rollUp(shape: ScaleShape, windows: readonly (readonly WindowResult[])[]): Pick<ScaleConfigResult, 'aggregateGbps' | 'perServerGbps' | 'perReaderGbps'> {
  const aggregate: number[] = [];
  const perServer: number[] = [];
  const perReader: number[] = [];
  for (const window of windows) {
    if (window.length !== shape.readers) throw new Error(`a window of ${shape.readers} readers has ${window.length} results`);
    const rates = window.map((r) => r.bytes / r.seconds / 1e9);
    const byServer = new Array<number>(Math.min(shape.servers, shape.readers)).fill(0);
    rates.forEach((rate, j) => (byServer[j % shape.servers]! += rate));
    aggregate.push(rates.reduce((a, b) => a + b, 0));
    perServer.push(...byServer);
    perReader.push(...rates);
  }
  return { aggregateGbps: summarize(aggregate), perServerGbps: summarize(perServer), perReaderGbps: summarize(perReader) };
}

async function startServer(memory: string, core: number | null, taskset: string | null): Promise<StartedProcess> {
  const main = join(repoRoot(), 'dist', 'cache-server', 'cli', 'main.js');
  const serve = [process.execPath, main, 'serve', '--host', '127.0.0.1', '--port', '0', '--memory', memory];
  const argv = core === null || taskset === null ? serve : [taskset, '-c', String(core), ...serve];
  try {
    return await startProcess(argv[0]!, argv.slice(1), READY, { timeoutMs: START_TIMEOUT_MS });
  } catch (err) {
    throw new Error(`could not start a flightcache node (run \`npx tsc -p tsconfig.json\` first): ${(err as Error).message}`, { cause: err });
  }
}

async function runConfig(
  shape: ScaleShape,
  placement: Placement,
  urls: readonly string[],
  settings: ScaleSettings,
  taskset: string | null,
  expected: { rows: number; bytes: number },
  infoCalls: number,
): Promise<{ result: ScaleConfigResult; infoSeconds: number[] }> {
  const label = (j: number): string => `reader ${j} of N=${shape.servers} M=${shape.readers}`;
  const readers = Array.from({ length: shape.readers }, (_, j) =>
    ReaderProcess.start(urls[j % shape.servers]!, DATASET, placement.readerCores?.[j] ?? null, taskset, label(j)),
  );
  const replyMs = settings.windowSeconds * 1000 + START_TIMEOUT_MS;
  try {
    const ready = await Promise.all(readers.map((r) => r.next(START_TIMEOUT_MS)));
    ready.forEach((value, j) => {
      const v = value as { rows?: unknown; bytes?: unknown };
      if (v.rows !== expected.rows || v.bytes !== expected.bytes) {
        throw new Error(`${label(j)} read ${String(v.rows)} rows / ${String(v.bytes)} bytes, loaded ${expected.rows} / ${expected.bytes}`);
      }
    });
    let infoSeconds: number[] = [];
    if (infoCalls > 0) {
      readers[0]!.send(`info ${infoCalls}`);
      infoSeconds = ((await readers[0]!.next(replyMs)) as { info_seconds: number[] }).info_seconds;
    }
    const windows: WindowResult[][] = [];
    for (let w = 0; w < settings.warmup + settings.runs; w++) {
      for (const reader of readers) reader.send(`read ${settings.windowSeconds}`);
      const replies = await Promise.all(readers.map((r, j) => r.next(replyMs).then((v) => asWindowResult(v, label(j)))));
      if (w >= settings.warmup) windows.push(replies);
    }
    const result: ScaleConfigResult = {
      ...shape,
      ...placement,
      ...rollUp(shape, windows),
      windows: windows.map((window) => window.map((r, j) => ({ server: j % shape.servers, bytes: r.bytes, seconds: r.seconds, reads: r.reads }))),
    };
    return { result, infoSeconds };
  } finally {
    await Promise.all(readers.map((r) => r.stop()));
  }
}

function render(configs: readonly ScaleConfigResult[], notes: readonly string[], dataBytes: number, info: Summary | null): string {
  const cores = (list: number[] | null): string => (list ? list.join(',') : 'unpinned');
  const rows = [['N', 'M', 'server cores', 'reader cores', 'aggregate GB/s', 'min', 'max', 'per server', 'per reader']];
  for (const c of configs) {
    rows.push([
      String(c.servers),
      String(c.readers),
      cores(c.serverCores),
      cores(c.readerCores) + (c.oversubscribed ? ' (shared)' : ''),
      c.aggregateGbps.median.toFixed(3),
      c.aggregateGbps.min.toFixed(3),
      c.aggregateGbps.max.toFixed(3),
      c.perServerGbps.median.toFixed(3),
      c.perReaderGbps.median.toFixed(3),
    ]);
  }
  const lines = [...notes, `data: ${formatMiB(dataBytes)} of Arrow buffers on every node`, formatTable(rows)];
  const rates = bestRates(configs.map((c) => ({ servers: c.servers, readers: c.readers, perServer: { ...c.perServerGbps, runs: c.perServerGbps.n }, perReader: { ...c.perReaderGbps, runs: c.perReaderGbps.n } })));
  if (rates) {
    lines.push(`model input r_s (per-shard rate): ${rates.perShard.gbps.toFixed(3)} GB/s at N=${rates.perShard.servers}, M=${rates.perShard.readers}`);
    lines.push(`model input r_c (per-client rate): ${rates.perClient.gbps.toFixed(3)} GB/s at N=${rates.perClient.servers}, M=${rates.perClient.readers}`);
  }
  if (info) lines.push(`model input c (GetFlightInfo, client-observed median): ${(info.median * 1e3).toFixed(3)} ms over ${info.n} calls`);
  return lines.join('\n');
}

/** Runs the scale suite with explicit settings (runScale reads them from the command line and env). */
export async function runScaleWith(settings: ScaleSettings): Promise<SuiteOutput> {
  const cpuList = allowedCpus();
  const taskset = findExecutable('taskset', process.env['PATH']);
  const shapes = planShapes(cpuList.length, settings.servers, settings.readers);
  const planned = settings.servers === undefined && settings.readers === undefined;
  const fewCpus =
    planned && shapes.length === 1
      ? `This machine has ${cpuList.length} CPU${cpuList.length === 1 ? '' : 's'}: only N=1, M=1 fits, so the per-server and per-reader rates are one number, a lower bound of both.`
      : null;
  const notes = [
    taskset
      ? `pinning: taskset -c, servers on the first N of CPUs ${cpuList.join(',')}, readers on the next M`
      : 'pinning: none (taskset is not installed): processes float over all CPUs',
    `configurations (N servers x M readers): ${shapes.map((s) => `${s.servers}x${s.readers}`).join(' ')} on ${cpuList.length} CPUs`,
    ...(fewCpus ? [fewCpus] : []),
  ];
  const maxServers = Math.max(...shapes.map((s) => s.servers));
  const servers: StartedProcess[] = [];
  try {
    const serverPlacement = place({ servers: maxServers, readers: 0 }, cpuList, taskset !== null);
    const memory = `${settings.mib * 2 + 256}MiB`;
    for (let i = 0; i < maxServers; i++) servers.push(await startServer(memory, serverPlacement.serverCores?.[i] ?? null, taskset));
    const targets = servers.flatMap((s, i) => ['--target', `s${i}=${s.url}`]);
    const load = ['load', ...targets, '--name', DATASET, '--mib', String(settings.mib), '--seed', String(SEED), '--batch-rows', String(BATCH_ROWS)];
    const loaded = await runPython<{ rows: number; bytes: number; batches: number }>(join(repoRoot(), 'bench', 'py', 'doget_client.py'), load, { timeoutMs: LOAD_TIMEOUT_MS });

    const configs: ScaleConfigResult[] = [];
    let infoSeconds: number[] = [];
    for (const shape of shapes) {
      const placement = place(shape, cpuList, taskset !== null);
      const urls = servers.slice(0, shape.servers).map((s) => s.url);
      const out = await runConfig(shape, placement, urls, settings, taskset, loaded, configs.length === 0 ? settings.infoCalls : 0);
      if (out.infoSeconds.length > 0) infoSeconds = out.infoSeconds;
      configs.push(out.result);
    }
    const info = infoSeconds.length > 0 ? summarize(infoSeconds) : null;
    return {
      text: render(configs, notes, loaded.bytes, info),
      data: {
        params: { dataBytes: loaded.bytes, rows: loaded.rows, batches: loaded.batches, batchRows: BATCH_ROWS, seed: SEED, windowSeconds: settings.windowSeconds, runs: settings.runs, warmup: settings.warmup, infoCalls: settings.infoCalls },
        placement: { pinned: taskset !== null, cpus: cpuList, note: fewCpus },
        configs,
        getFlightInfoSeconds: info,
      },
    };
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

/** The scale suite: N nodes x M pinned readers, configurations from the cores or BENCH_SCALE_* (see scaleSettings). */
export async function runScale(options: SuiteOptions): Promise<SuiteOutput> {
  return runScaleWith(scaleSettings(options, process.env));
}
