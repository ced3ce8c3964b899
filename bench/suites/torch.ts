/**
 * torch: one full epoch into torch tensors (dicts of tensors of 8,192 rows, every tensor touched),
 * from a local flightcache cluster through FlightCacheDataset (num_workers 0 and 2) and from the
 * same data as local Parquet (pyarrow.dataset in one process, behind a 2-worker DataLoader, and
 * through Ray Data's iter_torch_batches). Contenders alternate round by round. Method: bench/README.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
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
  aggregateTorch,
  FLIGHTCACHE_W0,
  FLIGHTCACHE_W2,
  PARQUET,
  PARQUET_LOADER_W2,
  RAY_TORCH,
  renderTorchText,
  selectTorchContenders,
  torchConditions,
  torchRatios,
  verifyTorchRun,
  type TorchExpected,
  type TorchParams,
  type TorchRun,
} from './torch-results.js';

const DATASET = 'torch';
const SEED = 42;
const BATCH_ROWS = 8192;
const ROW_BYTES = 76;
const SCHEMA = 'id int64, features fixed_size_list<float32>[16], label int32';
const SHARDS = 2;
const REPLICAS = 1;
const LOADER_WORKERS = 2;
const READY = /^flightcache ready (grpc:\/\/\S+)$/;
const START_TIMEOUT_MS = 60_000;
const READY_TIMEOUT_MS = 3 * 60_000;
const RUN_TIMEOUT_MS = 10 * 60_000;
const DATA_TIMEOUT_MS = 10 * 60_000;

/** Sizes and repetitions of a quick and of a full run. */
const SIZES = {
  quick: { mib: 143, runs: 3, warmup: 1, objectStoreMiB: 512 },
  full: { mib: 763, runs: 5, warmup: 1, objectStoreMiB: 2048 },
};

interface Loaded extends TorchExpected {
  parquetDir: string;
  parquetFiles: number;
  parquetFileBytes: number;
}

function progress(message: string): void {
  console.error(`torch: ${message}`);
}

function script(name: string): string {
  return join(repoRoot(), 'bench', 'py', name);
}

function worker(python: string, kind: string, options: Record<string, string | number>, env?: NodeJS.ProcessEnv): WorkerCommand {
  const args = [script('torch_worker.py'), kind, ...Object.entries(options).flatMap(([key, value]) => [`--${key}`, String(value)])];
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

/** The plans of the wanted contenders; Ray is skipped, with its reason, when it cannot be imported. */
async function plansFor(wanted: readonly string[], python: string, url: string, loaded: Loaded, dir: string, objectStoreMiB: number): Promise<{ plans: ContenderPlan[]; skipped: { name: string; reason: string }[] }> {
  const all: ContenderPlan[] = [
    { name: FLIGHTCACHE_W0, description: 'flightcache cluster, FlightCacheDataset + make_dataloader, num_workers=0 (prefetch thread)', command: worker(python, 'flightcache', { url, name: DATASET, workers: 0 }) },
    { name: FLIGHTCACHE_W2, description: `flightcache cluster, FlightCacheDataset + make_dataloader, num_workers=${LOADER_WORKERS} (forkserver)`, command: worker(python, 'flightcache', { url, name: DATASET, workers: LOADER_WORKERS }) },
    { name: PARQUET, description: '(a) local Parquet, pyarrow.dataset to_batches in one process, batch_to_tensors', command: worker(python, 'parquet', { path: loaded.parquetDir }) },
    { name: PARQUET_LOADER_W2, description: `(b) (a) as an IterableDataset behind torch DataLoader, num_workers=${LOADER_WORKERS} (fork), files split by worker`, command: worker(python, 'parquet-loader', { path: loaded.parquetDir, workers: LOADER_WORKERS }) },
    {
      name: RAY_TORCH,
      description: '(c) local Parquet, Ray Data read_parquet(...).iter_torch_batches(batch_size=8192)',
      command: worker(python, 'ray', { path: loaded.parquetDir, 'temp-dir': join(dir, 'ray'), 'object-store-mib': objectStoreMiB }, { ...process.env, RAY_USAGE_STATS_ENABLED: '0' }),
    },
  ];
  const skipped: { name: string; reason: string }[] = [];
  const plans: ContenderPlan[] = [];
  for (const plan of all.filter((p) => wanted.includes(p.name))) {
    const problem = plan.name === RAY_TORCH ? await pythonImportProblem(python, ['ray', 'ray.data', 'ray.train.torch']) : undefined;
    if (problem) skipped.push({ name: plan.name, reason: problem });
    else plans.push(plan);
  }
  return { plans, skipped };
}

/** Starts every worker, then runs warm-up and measured rounds, rotating the order each round. */
async function measure(plans: readonly ContenderPlan[], expected: TorchExpected, runs: number, warmup: number): Promise<TorchRun[]> {
  const workers: EpochWorker[] = [];
  try {
    for (const plan of plans) {
      progress(`starting ${plan.name}`);
      workers.push(await EpochWorker.start(plan.name, plan.command, READY_TIMEOUT_MS));
    }
    const measured: TorchRun[] = [];
    for (let round = 0; round < warmup + runs; round++) {
      progress(`round ${round + 1} of ${warmup + runs}${round < warmup ? ' (warm-up)' : ''}`);
      for (const w of roundOrder(workers, round)) {
        const run: TorchRun = { contender: w.name, ...(await w.run(RUN_TIMEOUT_MS)) };
        verifyTorchRun(run, expected);
        if (round >= warmup) measured.push(run);
      }
    }
    return measured;
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
}

/** Runs the torch suite. */
export async function runTorch(options: SuiteOptions): Promise<SuiteOutput> {
  const wanted = selectTorchContenders(options.only);
  const size = options.quick ? SIZES.quick : SIZES.full;
  const runs = options.runs ?? size.runs;
  const python = venvPython();
  const dir = mkdtempSync(join(tmpdir(), 'fc-torch-'));
  let cluster: StartedProcess | undefined;
  try {
    cluster = await startCluster();
    progress(`cluster of ${SHARDS} shards at ${cluster.url}; generating ${size.mib} MiB (seed ${SEED}) as Parquet and loading it`);
    const dataArgs = ['--dir', dir, '--mib', String(size.mib), '--url', cluster.url, '--name', DATASET, '--seed', String(SEED)];
    const loaded = await runPython<Loaded>(script('torch_data.py'), dataArgs, { timeoutMs: DATA_TIMEOUT_MS });
    const expected: TorchExpected = { rows: loaded.rows, bytes: loaded.bytes, checksum: loaded.checksum };
    const { plans, skipped } = await plansFor(wanted, python, cluster.url, loaded, dir, size.objectStoreMiB);
    for (const s of skipped) progress(`skipping ${s.name}: ${s.reason}`);
    const measured = plans.length > 0 ? await measure(plans, expected, runs, size.warmup) : [];
    const withConditions = plans.map((plan) => ({ ...plan, conditions: torchConditions(plan.name, LOADER_WORKERS)! }));
    const contenders = aggregateTorch(withConditions, measured, expected);
    const params: TorchParams = {
      dataBytes: loaded.bytes,
      rows: loaded.rows,
      batchRows: BATCH_ROWS,
      rowBytes: ROW_BYTES,
      schema: SCHEMA,
      seed: SEED,
      runs,
      warmup: size.warmup,
      shards: SHARDS,
      replicas: REPLICAS,
      loaderWorkers: LOADER_WORKERS,
      parquetFiles: loaded.parquetFiles,
      parquetFileBytes: loaded.parquetFileBytes,
    };
    const report = { params, contenders, ratios: torchRatios(contenders), skipped };
    return { text: renderTorchText(report), data: { ...report } };
  } finally {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
