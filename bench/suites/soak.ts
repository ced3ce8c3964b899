/**
 * soak: a 3-shard cluster with R = 2 under reader streams (plain pyarrow, flightcache.Client and the
 * PyTorch FlightCacheDataset, some shuffled, some over the same-host shared memory) and writers
 * (put, append, load, drop of datasets of their own) while shards are SIGKILLed and restarted,
 * frozen past the down timeout, restarted one at a time, and the coordinator is lost: with the
 * active/standby set-up (on where the kube control plane binaries are cached, off with
 * FLIGHTCACHE_SOAK_STANDBY=0) the active one of two coordinators on a Lease is SIGKILLed and the
 * standby takes over; without it the coordinator is killed and restarted in place. Every finished
 * read pass must deliver each row of the dataset exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { pathDescriptor } from '../../client/src/flight-client.js';
import { idBatches } from '../../test/cluster/cluster-helpers.js';
import { repoRoot, venvPython } from '../../test/helpers/python.js';
import { unavailableReason } from '../../test/operator/control-plane.js';
import type { SuiteOptions, SuiteOutput } from '../suite.js';
import { LineProcess } from './line-process.js';
import { SoakCluster, sleep } from './soak-cluster.js';
import { partitionUnavailable, runPartition, type PartitionResult } from './soak-partition.js';
import { asWorkerReport, renderSoakText, rollUpSoak, summarizeRss, type FaultEvent, type WorkerReport } from './soak-results.js';

const DATASET = 'soak-main';
const SHARDS = 3;
const REPLICAS = 2;
const READER_KINDS = ['pyarrow', 'client', 'client-shuffle', 'dataset', 'dataset-shuffle', 'dataset-shm'];
const THREADS_PER_READER_PROCESS = 8;
const SETTLE_TIMEOUT_MS = 60_000;
/** Worker processes import pyarrow and torch before they report started: slow on a loaded machine. */
const WORKER_START_TIMEOUT_MS = 120_000;
const DOWN_TIMEOUT_MS = 10_000;
const RSS_EVERY_MS = 1000;
/** How long a killed shard stays dead, and a frozen one stays frozen once it is marked down. */
const DEAD_MS = 1000;
/** Readers finish the pass they are in after `stop`; one may wait out a failover. */
const REPORT_TIMEOUT_MS = 150_000;

/** What one run does. */
export interface SoakSettings {
  seconds: number;
  readers: number;
  writers: number;
  batches: number;
  batchRows: number;
  /** Two coordinators on a Lease, the active one SIGKILLed mid-run, rather than one restarted in place. */
  standby: boolean;
}

/** Whether the soak runs coordinators active/standby by default: where the control plane can start, unless FLIGHTCACHE_SOAK_STANDBY=0. */
export function standbyByDefault(): boolean {
  return process.env.FLIGHTCACHE_SOAK_STANDBY !== '0' && unavailableReason() === undefined;
}

/** Settings from the command line: 60 s, 64 readers, 8 writers; --quick 30 s, 16 and 4. */
export function soakSettings(options: SuiteOptions): SoakSettings {
  if (options.only !== undefined) throw new Error('soak: --only is not supported (the faults run in one sequence)');
  const standby = standbyByDefault();
  return options.quick ? { seconds: 30, readers: 16, writers: 4, batches: 32, batchRows: 2048, standby } : { seconds: 60, readers: 64, writers: 8, batches: 64, batchRows: 4096, standby };
}

/** One soak_worker.py process. */
class SoakWorker extends LineProcess {
  readonly pid: number | undefined;

  private constructor(child: ChildProcess, label: string) {
    super(child, label);
    this.pid = child.pid;
  }

  /** Starts soak_worker.py with ARGS, reading this checkout's Python client. */
  static start(args: readonly string[], label: string): SoakWorker {
    const env = { ...process.env, PYTHONPATH: join(repoRoot(), 'client', 'python', 'src') };
    const child = spawn(venvPython(), [join(repoRoot(), 'bench', 'py', 'soak_worker.py'), ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
    return new SoakWorker(child, label);
  }
}

/** The reader kinds of process p: the list rotated so that every process gets a mix. */
function kindsOf(p: number): string[] {
  const shift = (p * THREADS_PER_READER_PROCESS) % READER_KINDS.length;
  return [...READER_KINDS.slice(shift), ...READER_KINDS.slice(0, shift)];
}

/** Runs fn once the run is `atSeconds` old (at once when it already is). */
async function at(start: number, atSeconds: number): Promise<void> {
  const wait = start + atSeconds * 1000 - Date.now();
  if (wait > 0) await sleep(wait);
}

/** The fault sequence: kill, freeze, rolling restart, coordinator kill (or failover), at fixed fractions of the run. */
async function injectFaults(cluster: SoakCluster, start: number, seconds: number): Promise<FaultEvent[]> {
  const events: FaultEvent[] = [];
  const now = (): number => (Date.now() - start) / 1000;

  await at(start, seconds * 0.1);
  let injected = now();
  cluster.signal('shard0', 'SIGKILL');
  let down = await cluster.noticedDown(0, DOWN_TIMEOUT_MS);
  await sleep(DEAD_MS);
  await cluster.restart('shard0');
  events.push({ fault: 'kill', target: 'shard0', at: injected, noticedDownSeconds: down, settledSeconds: await cluster.settled(SETTLE_TIMEOUT_MS) });

  await at(start, seconds * 0.3);
  injected = now();
  cluster.signal('shard1', 'SIGSTOP');
  down = await cluster.noticedDown(1, DOWN_TIMEOUT_MS);
  await sleep(DEAD_MS);
  cluster.signal('shard1', 'SIGCONT');
  events.push({ fault: 'freeze', target: 'shard1', at: injected, noticedDownSeconds: down, settledSeconds: await cluster.settled(SETTLE_TIMEOUT_MS) });

  await at(start, seconds * 0.5);
  for (const shard of cluster.shards) {
    injected = now();
    await cluster.restart(shard.role);
    events.push({ fault: 'rolling-restart', target: shard.role, at: injected, noticedDownSeconds: null, settledSeconds: await cluster.settled(SETTLE_TIMEOUT_MS) });
  }

  await at(start, seconds * 0.8);
  injected = now();
  if (cluster.activeStandby) {
    const { killed, takeoverSeconds, planning } = await cluster.failover(DATASET);
    events.push({ fault: 'coordinator-failover', target: killed, at: injected, noticedDownSeconds: null, takeoverSeconds, planning, settledSeconds: await cluster.settled(SETTLE_TIMEOUT_MS) });
    return events;
  }
  cluster.signal('coordinator', 'SIGKILL');
  await sleep(DEAD_MS);
  await cluster.restart('coordinator');
  events.push({ fault: 'coordinator-kill', target: 'coordinator', at: injected, noticedDownSeconds: null, settledSeconds: await cluster.settled(SETTLE_TIMEOUT_MS) });
  return events;
}

/** Everything one run measured. */
export interface SoakRun {
  output: SuiteOutput;
  totals: ReturnType<typeof rollUpSoak>;
  rss: ReturnType<typeof summarizeRss>;
  faults: FaultEvent[];
  rows: number;
}

/** Runs the soak with explicit settings. */
export async function runSoakWith(settings: SoakSettings): Promise<SoakRun> {
  const cluster = await SoakCluster.start(SHARDS, REPLICAS, settings.standby);
  const dir = mkdtempSync(join(tmpdir(), 'fc-soak-'));
  const workers: SoakWorker[] = [];
  try {
    const rows = settings.batches * settings.batchRows;
    await cluster.client.doPut(pathDescriptor(DATASET), idBatches(settings.batches, settings.batchRows));
    await cluster.settled(SETTLE_TIMEOUT_MS);
    const common = ['--url', cluster.url];
    const readerProcesses = Math.ceil(settings.readers / THREADS_PER_READER_PROCESS);
    for (let p = 0; p < readerProcesses; p++) {
      const threads = Math.min(THREADS_PER_READER_PROCESS, settings.readers - p * THREADS_PER_READER_PROCESS);
      const args = ['readers', ...common, '--threads', String(threads), '--dataset', DATASET, '--rows', String(rows), '--kinds', kindsOf(p).join(',')];
      workers.push(SoakWorker.start(args, `soak readers ${p}`));
    }
    workers.push(SoakWorker.start(['writers', ...common, '--threads', String(settings.writers), '--dir', dir], 'soak writers'));
    workers.forEach((w, i) => cluster.watch(i === workers.length - 1 ? 'writers' : `readers${i}`, () => w.pid));
    await Promise.all(workers.map((w) => w.next(WORKER_START_TIMEOUT_MS)));
    // The run starts once every worker runs (importing torch takes seconds).
    const start = Date.now();
    cluster.startSampling(RSS_EVERY_MS);
    const faults = await injectFaults(cluster, start, settings.seconds);
    await at(start, settings.seconds);
    for (const w of workers) w.send('stop');
    const reports: WorkerReport[] = await Promise.all(workers.map(async (w) => asWorkerReport(await w.next(REPORT_TIMEOUT_MS), w.label)));
    const final = (await cluster.stats()).datasets.find((d) => d.name === DATASET);
    if (final?.rows !== rows || final.status !== 'healthy') throw new Error(`soak: ${DATASET} after the run: ${JSON.stringify(final)}`);
    const totals = rollUpSoak(reports, start / 1000);
    const rss = summarizeRss(cluster.rssSamples());
    const notes = [
      `cluster: ${settings.standby ? '2 coordinators active/standby on a Lease (real kube-apiserver) behind a readiness-routing loopback Service stand-in' : 'coordinator'} + ${SHARDS} shards (separate processes on loopback), --replicas ${REPLICAS}; ${DATASET}: ${rows} rows (${settings.batches} batches of ${settings.batchRows}: id int32, value float64)`,
      `${settings.readers} reader threads (${READER_KINDS.join(', ')}) in ${readerProcesses} processes, ${settings.writers} writer threads; ${((Date.now() - start) / 1000).toFixed(1)} s`,
    ];
    const output: SuiteOutput = {
      text: renderSoakText(totals, faults, rss, notes),
      data: {
        params: { ...settings, shards: SHARDS, replicas: REPLICAS, rows, readerKinds: READER_KINDS, threadsPerReaderProcess: THREADS_PER_READER_PROCESS, rssEveryMs: RSS_EVERY_MS },
        faults,
        totals,
        rss,
        rssSamples: cluster.rssSamples(),
      },
    };
    return { output, totals, rss, faults, rows };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The partition case's lines of the text report. */
function partitionText(result: PartitionResult | { skipped: string }): string {
  if ('skipped' in result) return `network partition: skipped: ${result.skipped}`;
  return [
    'network partition (coordinator + 3 shards in network namespaces, R = 2; one shard\'s link cut, its process running):',
    `  marked down after ${result.noticedDownSeconds.toFixed(2)} s; statuses ${JSON.stringify(result.statusDuringPartition)}; read through the coordinator ${JSON.stringify(result.readDuringPartition)}`,
    `  drop ${result.dropDuringPartition}, put ${result.putDuringPartition}; from the cut-off side: coordinator ${result.coordinatorFromIsolatedSide}, copies of the dropped dataset served directly ${JSON.stringify(result.isolatedStaleCopies)}`,
    `  healed: settled after ${result.healedSeconds.toFixed(2)} s; copies of the dropped dataset left ${JSON.stringify(result.staleCopiesAfterHeal)}; read ${JSON.stringify(result.readAfterHeal)}`,
  ].join('\n');
}

/** The soak suite (see runSoakWith), then the network-partition case where namespaces can be made. */
export async function runSoak(options: SuiteOptions): Promise<SuiteOutput> {
  const { output } = await runSoakWith(soakSettings(options));
  const unavailable = partitionUnavailable();
  const partition = unavailable === null ? await runPartition() : { skipped: unavailable };
  return { text: `${output.text}\n\n${partitionText(partition)}`, data: { ...output.data, partition } };
}
