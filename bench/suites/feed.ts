/**
 * feed: one full epoch into torch tensors, every tensor touched, in two shapes (76-byte rows in
 * 16,384-row batches; 2,048-token LLM samples in 8-row batches), in stored order and shuffled, from
 * a local flightcache cluster (same-host shared memory and gRPC, num_workers 0 and 2) against the
 * same data as a memory-mapped Arrow IPC file (the physical anchor), local Parquet (one process and
 * a 2-worker DataLoader), Ray Data and a plain copy. Contenders alternate round by round; wall and
 * CPU time (client and server process trees) are recorded. Method: bench/README.md.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startProcess, type StartedProcess } from '../../test/helpers/process.js';
import { repoRoot, runPython, venvPython } from '../../test/helpers/python.js';
import { pythonImportProblem, type ContenderPlan } from '../peers/contender.js';
import type { WorkerCommand } from '../peers/worker.js';
import { EpochWorker } from '../peers/worker.js';
import type { SuiteOptions, SuiteOutput } from '../suite.js';
import { roundOrder } from './epoch-results.js';
import {
  aggregateFeed,
  caseName,
  FEED_CASES,
  feedRatios,
  GRPC_W0,
  GRPC_W2,
  IPC_MMAP,
  MEMCPY,
  PARQUET,
  PARQUET_LOADER_W2,
  RAY,
  renderFeedText,
  selectFeedContenders,
  SHM_W0,
  SHM_W2,
  verifyFeedRun,
  type FeedCase,
  type FeedCaseResult,
  type FeedExpected,
  type FeedRun,
  type FeedShape,
  type FeedShapeParams,
} from './feed-results.js';

const SEED = 42;
const SHARDS = 2;
const REPLICAS = 1;
const LOADER_WORKERS = 2;
const CLOCK_TICKS = 100;
const READY = /^flightcache ready (grpc:\/\/\S+)$/;
const START_TIMEOUT_MS = 60_000;
const READY_TIMEOUT_MS = 3 * 60_000;
const RUN_TIMEOUT_MS = 10 * 60_000;
const DATA_TIMEOUT_MS = 15 * 60_000;

/** MiB of each shape (two shapes: about 800 MB in all at full size) and repetitions. */
const SIZES = {
  quick: { mib: 24, runs: 2, warmup: 1, objectStoreMiB: 512 },
  full: { mib: 400, runs: 3, warmup: 1, objectStoreMiB: 2048 },
};

/** Per-shape facts: bytes per row, batch sizes, schema text. */
const SHAPE_FACTS: Record<FeedShape, { schema: string; rowBytes: number; batchRows: number; storedBatchRows: number }> = {
  rows76: { schema: 'id int64, features fixed_size_list<float32>[16], label int32', rowBytes: 76, batchRows: 16_384, storedBatchRows: 16_384 },
  tokens: { schema: 'input_ids fixed_size_list<int32>[2048]', rowBytes: 8192, batchRows: 8, storedBatchRows: 256 },
};

interface LoadedShape extends FeedExpected {
  ipcPath: string;
  parquetDir: string;
  parquetFiles: number;
  parquetFileBytes: number;
}

type Loaded = Record<FeedShape, LoadedShape>;

function progress(message: string): void {
  console.error(`feed: ${message}`);
}

/** CPU seconds (user + system, reaped children included) of a process and its live descendants, from /proc. */
export function treeCpuSeconds(root: number): number {
  const children = new Map<number, number[]>();
  const stats = new Map<number, string[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const pid = Number(name);
    stats.set(pid, fields);
    const parent = Number(fields[1]);
    children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  let ticks = 0;
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    const fields = stats.get(pid);
    if (!fields) continue;
    // After the command: state, ppid, ...; utime, stime, cutime, cstime are fields 11-14 (0-based).
    for (let i = 11; i <= 14; i++) ticks += Number(fields[i]);
    pending.push(...(children.get(pid) ?? []));
  }
  return ticks / CLOCK_TICKS;
}

function worker(python: string, kind: string, options: Record<string, string | number | boolean>, env?: NodeJS.ProcessEnv): WorkerCommand {
  const flags = Object.entries(options).flatMap(([key, value]) => (value === true ? [`--${key}`] : value === false ? [] : [`--${key}`, String(value)]));
  const args = [join(repoRoot(), 'bench', 'py', 'feed_worker.py'), kind, ...flags];
  return env ? { command: python, args, env } : { command: python, args };
}

async function startCluster(): Promise<StartedProcess> {
  const main = join(repoRoot(), 'dist', 'cache-server', 'cli', 'main.js');
  const args = [main, 'serve', '--host', '127.0.0.1', '--port', '0', '--shards', String(SHARDS), '--replicas', String(REPLICAS)];
  try {
    return await startProcess(process.execPath, args, READY, { timeoutMs: START_TIMEOUT_MS, env: { ...process.env, FLIGHTCACHE_LOG_LEVEL: 'warn' } });
  } catch (err) {
    throw new Error(`could not start a flightcache cluster (run \`npx tsc -p tsconfig.json\` first): ${(err as Error).message}`, { cause: err });
  }
}

/** Every contender's plan for one case. */
function casePlans(python: string, url: string, shape: LoadedShape, c: FeedCase, dir: string, objectStoreMiB: number): ContenderPlan[] {
  const common = { name: c.shape, shuffle: c.shuffled };
  const ours = (transport: string, workers: number): WorkerCommand => worker(python, 'flightcache', { ...common, url, transport, workers });
  const rayEnv = { ...process.env, RAY_USAGE_STATS_ENABLED: '0' };
  return [
    { name: SHM_W0, description: 'flightcache, FlightCacheDataset(transport="shm") + make_dataloader, num_workers=0', command: ours('shm', 0) },
    { name: SHM_W2, description: `flightcache, FlightCacheDataset(transport="shm"), num_workers=${LOADER_WORKERS} (forkserver, persistent)`, command: ours('shm', LOADER_WORKERS) },
    { name: GRPC_W0, description: 'flightcache, FlightCacheDataset(transport="grpc") + make_dataloader, num_workers=0', command: ours('grpc', 0) },
    { name: GRPC_W2, description: `flightcache, FlightCacheDataset(transport="grpc"), num_workers=${LOADER_WORKERS} (forkserver, persistent)`, command: ours('grpc', LOADER_WORKERS) },
    { name: IPC_MMAP, description: 'local Arrow IPC file, memory-mapped; zero-copy slices in order, numpy take into new tensors when shuffled', command: worker(python, 'ipc-mmap', { ...common, path: shape.ipcPath }) },
    { name: PARQUET, description: 'local Parquet, row group by row group (pyarrow threads), shuffled like the anchor, in one process', command: worker(python, 'parquet', { ...common, path: shape.parquetDir }) },
    { name: PARQUET_LOADER_W2, description: `local Parquet as above behind a torch DataLoader, num_workers=${LOADER_WORKERS} (fork), row groups split by worker`, command: worker(python, 'parquet', { ...common, path: shape.parquetDir, workers: LOADER_WORKERS }) },
    { name: RAY, description: 'local Parquet through Ray Data read_parquet(...).iter_torch_batches (local shuffle buffer of one stored batch when shuffled)', command: worker(python, 'ray', { ...common, path: shape.parquetDir, 'temp-dir': join(dir, 'ray'), 'object-store-mib': objectStoreMiB }, rayEnv) },
    { name: MEMCPY, description: 'the data in memory, each batch copied into reused tensors (no gather): the copy floor', command: worker(python, 'memcpy', { ...common, path: shape.ipcPath }) },
  ];
}

/** Starts each plan's worker; a same-host contender that cannot read (or Ray that cannot start) is skipped with its reason. */
async function startWorkers(plans: readonly ContenderPlan[], skipped: Map<string, string>): Promise<EpochWorker[]> {
  const workers: EpochWorker[] = [];
  for (const plan of plans) {
    if (skipped.has(plan.name)) continue;
    progress(`starting ${plan.name}`);
    try {
      workers.push(await EpochWorker.start(plan.name, plan.command, READY_TIMEOUT_MS));
    } catch (err) {
      if (plan.name !== SHM_W0 && plan.name !== SHM_W2 && plan.name !== RAY) {
        await Promise.all(workers.map((w) => w.close()));
        throw err;
      }
      const message = (err as Error).message;
      const reason = message.split('\n').filter((line) => /Error|error:/.test(line)).pop() ?? message.split('\n')[0]!;
      skipped.set(plan.name, `could not read: ${reason.trim()}`);
    }
  }
  return workers;
}

/** Runs warm-up and measured rounds of one case, rotating the order each round. */
async function measureCase(workers: readonly EpochWorker[], cluster: StartedProcess, expected: FeedExpected, label: string, runs: number, warmup: number): Promise<FeedRun[]> {
  const measured: FeedRun[] = [];
  for (let round = 0; round < warmup + runs; round++) {
    progress(`${label}: round ${round + 1} of ${warmup + runs}${round < warmup ? ' (warm-up)' : ''}`);
    for (const w of roundOrder(workers, round)) {
      const serverBefore = treeCpuSeconds(cluster.pid);
      const epoch = await w.run(RUN_TIMEOUT_MS);
      const serverCpuSeconds = treeCpuSeconds(cluster.pid) - serverBefore;
      const run: FeedRun = { contender: w.name, seconds: epoch.seconds, cpuSeconds: epoch.cpuSeconds ?? 0, serverCpuSeconds, rows: epoch.rows, bytes: epoch.bytes, checksum: epoch.checksum };
      verifyFeedRun(run, expected, label);
      if (round >= warmup) measured.push(run);
    }
  }
  return measured;
}

/** Runs the feed suite. */
export async function runFeed(options: SuiteOptions): Promise<SuiteOutput> {
  const wanted = selectFeedContenders(options.only);
  const size = options.quick ? SIZES.quick : SIZES.full;
  const runs = options.runs ?? size.runs;
  const python = venvPython();
  const dir = mkdtempSync(join(tmpdir(), 'fc-feed-'));
  let cluster: StartedProcess | undefined;
  try {
    cluster = await startCluster();
    progress(`cluster of ${SHARDS} shards at ${cluster.url}; generating ${size.mib} MiB of each shape (seed ${SEED}) and loading it`);
    const dataArgs = ['--dir', dir, '--mib', String(size.mib), '--url', cluster.url, '--seed', String(SEED)];
    const loaded = await runPython<Loaded>(join(repoRoot(), 'bench', 'py', 'feed_data.py'), dataArgs, { timeoutMs: DATA_TIMEOUT_MS });
    const skipped = new Map<string, string>();
    if (wanted.includes(RAY)) {
      const problem = await pythonImportProblem(python, ['ray', 'ray.data']);
      if (problem) skipped.set(RAY, problem);
    }
    const cases: FeedCaseResult[] = [];
    for (const c of FEED_CASES) {
      const label = caseName(c);
      const shape = loaded[c.shape];
      const expected: FeedExpected = { rows: shape.rows, bytes: shape.bytes, checksum: shape.checksum };
      const plans = casePlans(python, cluster.url, shape, c, dir, size.objectStoreMiB).filter((p) => wanted.includes(p.name));
      const workers = await startWorkers(plans, skipped);
      let measured: FeedRun[];
      try {
        measured = await measureCase(workers, cluster, expected, label, runs, size.warmup);
      } finally {
        await Promise.all(workers.map((w) => w.close()));
      }
      const contenders = aggregateFeed(plans, measured, expected, label);
      cases.push({ ...c, contenders, ratios: feedRatios(contenders, c.shuffled) });
    }
    const shapes: FeedShapeParams[] = (Object.keys(SHAPE_FACTS) as FeedShape[]).map((shape) => ({
      shape,
      ...SHAPE_FACTS[shape],
      rows: loaded[shape].rows,
      dataBytes: loaded[shape].bytes,
      parquetFiles: loaded[shape].parquetFiles,
      parquetFileBytes: loaded[shape].parquetFileBytes,
    }));
    const report = {
      params: { shapes, seed: SEED, runs, warmup: size.warmup, shards: SHARDS, replicas: REPLICAS, loaderWorkers: LOADER_WORKERS },
      cases,
      skipped: [...skipped].map(([name, reason]) => ({ name, reason })),
    };
    return { text: renderFeedText(report), data: { ...report } };
  } finally {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
