/**
 * epoch: one full epoch of one dataset into a consumer, for flightcache and its peers, all on the
 * same data (generated once with a fixed seed as an Arrow IPC file and as Parquet) in the same run:
 * contenders alternate round by round. Also measures the machine's physical limits and three sweeps
 * (rows per batch, concurrent readers, columns per dataset). Method: bench/README.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { StartedProcess } from '../../test/helpers/process.js';
import { repoRoot, runPython, venvPython } from '../../test/helpers/python.js';
import type { ContenderPlan } from '../peers/contender.js';
import { FLIGHTCACHE_PYARROW, FLIGHTCACHE_TS, flightcachePlans } from '../peers/flightcache.js';
import { localFilePlans, PARQUET_JS, parquetJsPlan, parquetJsProblem } from '../peers/local-files.js';
import { PYARROW_FLIGHT, pyarrowFlightPlan } from '../peers/pyarrow-flight.js';
import { RAY_DATA, rayPlan, rayProblem } from '../peers/ray.js';
import { REDIS, redisPlan, redisProblem, startRedis } from '../peers/redis.js';
import { EpochWorker } from '../peers/worker.js';
import { startOurServer, startPyarrowServer } from '../servers.js';
import type { SuiteOptions, SuiteOutput } from '../suite.js';
import { renderEpoch, type EpochParams } from './epoch-report.js';
import {
  aggregateContenders,
  pairRatios,
  roundOrder,
  selectParts,
  verifyRun,
  type ContenderRun,
  type ExpectedData,
} from './epoch-results.js';
import { runSweeps, type Sweeps } from './epoch-sweeps.js';
import { measureLimits, type LimitResult } from './limits.js';

const DATASET = 'epoch';
const SEED = 42;
const BATCH_ROWS = 65_536;
const COLUMNS = 8;
const OUR_MEMORY = '4GiB';
const READY_TIMEOUT_MS = 3 * 60_000;
const RUN_TIMEOUT_MS = 10 * 60_000;
const DATA_TIMEOUT_MS = 20 * 60_000;

/** Sizes and repetitions of a quick and of a full run. */
const SIZES = {
  quick: { mib: 200, runs: 3, warmup: 1, limitMiB: 256, objectStoreMiB: 512 },
  full: { mib: 1024, runs: 5, warmup: 2, limitMiB: 1024, objectStoreMiB: 2048 },
};

const SWEEP_VALUES = { batchRows: [8192, 65_536, 262_144], readers: [1, 2, 4], columns: [1, 2, 4, 8] };

interface Generated extends ExpectedData {
  batches: number;
  ipcPath: string;
  ipcFileBytes: number;
  parquetDir: string;
  parquetFileBytes: number;
  parquetFiles: number;
}

function progress(message: string): void {
  console.error(`epoch: ${message}`);
}

function dataScript(): string {
  return join(repoRoot(), 'bench', 'py', 'epoch_data.py');
}

/** Throws unless a loader stored exactly the generated rows and checksum. */
function checkLoaded(what: string, loaded: ExpectedData, expected: ExpectedData): void {
  if (loaded.rows !== expected.rows || loaded.checksum !== expected.checksum) {
    throw new Error(`epoch: ${what} loaded ${loaded.rows} rows (checksum ${loaded.checksum}), generated ${expected.rows} (${expected.checksum})`);
  }
}

/** Starts every worker, then runs warm-up and measured rounds, rotating the order each round. */
async function measureContenders(plans: readonly ContenderPlan[], expected: ExpectedData, runs: number, warmup: number): Promise<ContenderRun[]> {
  const workers: EpochWorker[] = [];
  try {
    for (const plan of plans) {
      progress(`starting ${plan.name}`);
      workers.push(await EpochWorker.start(plan.name, plan.command, READY_TIMEOUT_MS));
    }
    const measured: ContenderRun[] = [];
    for (let round = 0; round < warmup + runs; round++) {
      progress(`round ${round + 1} of ${warmup + runs}${round < warmup ? ' (warm-up)' : ''}`);
      for (const worker of roundOrder(workers, round)) {
        const run: ContenderRun = { contender: worker.name, ...(await worker.run(RUN_TIMEOUT_MS)) };
        verifyRun(run, expected);
        if (round >= warmup) measured.push(run);
      }
    }
    return measured;
  } finally {
    await Promise.all(workers.map((worker) => worker.close()));
  }
}

/** Runs the epoch suite. */
export async function runEpoch(options: SuiteOptions): Promise<SuiteOutput> {
  const parts = selectParts(options.only);
  const size = options.quick ? SIZES.quick : SIZES.full;
  const runs = options.runs ?? size.runs;
  const python = venvPython();
  const dir = mkdtempSync(join(tmpdir(), 'fc-epoch-'));
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
  };
  try {
    progress(`generating ${size.mib} MiB (seed ${SEED}) in ${dir}`);
    const genArgs = ['generate', '--dir', dir, '--mib', String(size.mib), '--seed', String(SEED), '--batch-rows', String(BATCH_ROWS)];
    const data = await runPython<Generated>(dataScript(), genArgs, { timeoutMs: DATA_TIMEOUT_MS });
    const expected: ExpectedData = { rows: data.rows, bytes: data.bytes, checksum: data.checksum };

    const wantsOurs = parts.sweeps || parts.contenders.includes(FLIGHTCACHE_PYARROW) || parts.contenders.includes(FLIGHTCACHE_TS);
    const wantsPeer = parts.sweeps || parts.contenders.includes(PYARROW_FLIGHT);
    // Flight servers by the contender name their pyarrow.flight reader has (the sweeps' target names).
    const targets: Record<string, string> = {};
    const startServer = async (name: string, start: () => Promise<StartedProcess>): Promise<void> => {
      const server = await start();
      stops.push(() => server.stop());
      targets[name] = server.url;
    };
    if (wantsOurs) await startServer(FLIGHTCACHE_PYARROW, () => startOurServer(OUR_MEMORY));
    if (wantsPeer) await startServer(PYARROW_FLIGHT, startPyarrowServer);
    if (Object.keys(targets).length > 0) {
      progress(`loading the Flight servers (${Object.keys(targets).join(', ')})`);
      const loadArgs = ['load-flight', ...Object.entries(targets).flatMap(([name, url]) => ['--target', `${name}=${url}`])];
      const loaded = await runPython<ExpectedData>(dataScript(), [...loadArgs, '--ipc', data.ipcPath, '--name', DATASET], { timeoutMs: DATA_TIMEOUT_MS });
      checkLoaded('DoPut', loaded, expected);
    }

    const plans: ContenderPlan[] = [];
    const skipped: { name: string; reason: string }[] = [];
    const wanted = (name: string): boolean => parts.contenders.includes(name);
    if (wantsOurs) plans.push(...flightcachePlans(python, targets[FLIGHTCACHE_PYARROW]!, DATASET).filter((plan) => wanted(plan.name)));
    if (wanted(PYARROW_FLIGHT)) plans.push(pyarrowFlightPlan(python, targets[PYARROW_FLIGHT]!, DATASET));
    plans.push(...localFilePlans(python, data).filter((plan) => wanted(plan.name)));
    if (wanted(PARQUET_JS)) {
      const problem = parquetJsProblem();
      if (problem) skipped.push({ name: PARQUET_JS, reason: problem });
      else plans.push(parquetJsPlan(data.parquetDir));
    }
    if (wanted(RAY_DATA)) {
      const problem = await rayProblem(python);
      if (problem) skipped.push({ name: RAY_DATA, reason: problem });
      else plans.push(rayPlan(python, data.parquetDir, join(dir, 'ray'), size.objectStoreMiB));
    }
    let redisStop: (() => Promise<unknown>) | undefined;
    if (wanted(REDIS)) {
      const problem = await redisProblem(python);
      if (problem) skipped.push({ name: REDIS, reason: problem });
      else {
        const redis = await startRedis(dir);
        redisStop = () => redis.process.stop();
        stops.push(redisStop);
        progress(`loading redis-server on port ${redis.port}`);
        const loadArgs = ['load-redis', '--port', String(redis.port), '--ipc', data.ipcPath, '--prefix', DATASET];
        checkLoaded('Redis', await runPython<ExpectedData>(dataScript(), loadArgs, { timeoutMs: DATA_TIMEOUT_MS }), expected);
        plans.push(redisPlan(python, redis.port, DATASET));
      }
    }
    for (const s of skipped) progress(`skipping ${s.name}: ${s.reason}`);

    const measured = plans.length > 0 ? await measureContenders(plans, expected, runs, size.warmup) : [];
    const contenders = aggregateContenders(plans, measured, expected);
    if (redisStop) {
      stops.splice(stops.indexOf(redisStop), 1);
      await redisStop();
    }

    let sweeps: Sweeps | null = null;
    if (parts.sweeps) {
      progress('sweeps: rows per batch, concurrent readers, columns');
      sweeps = await runSweeps(targets, data.ipcPath, { ...SWEEP_VALUES, runs, warmup: size.warmup });
    }
    await stopAll();
    let limits: LimitResult[] = [];
    if (parts.limits) {
      progress('physical limits: loopback TCP, memcpy');
      limits = await measureLimits(size.limitMiB, runs, size.warmup);
    }

    const params: EpochParams = {
      dataBytes: data.bytes,
      rows: data.rows,
      batches: data.batches,
      batchRows: BATCH_ROWS,
      columns: COLUMNS,
      seed: SEED,
      runs,
      warmup: size.warmup,
      ipcFileBytes: data.ipcFileBytes,
      parquetFileBytes: data.parquetFileBytes,
      parquetFiles: data.parquetFiles,
    };
    const report = { params, contenders, pairs: pairRatios(contenders), skipped, limits, sweeps };
    return { text: renderEpoch(report), data: { ...report } };
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}
