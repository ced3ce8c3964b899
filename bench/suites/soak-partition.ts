/**
 * The soak suite's network-partition case: a coordinator and three shards, each in a network
 * namespace this run makes (test/helpers/netns.ts), R = 2. One shard's link to the others is cut
 * while its process keeps running; the run records what the coordinator, readers and writers on the
 * majority side and a client on the shard's side see, then heals the link and records what is left.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { createHosts, execIn, type SimulatedHosts } from '../../test/helpers/netns.js';
import { startProcess, type StartedProcess } from '../../test/helpers/process.js';
import { repoRoot, venvPython } from '../../test/helpers/python.js';
import { sleep } from './soak-cluster.js';

const SUBNET = '10.213.91';
const PORT = 18821;
const READY = /^flightcache ready (grpc:\/\/\S+)$/;
const BATCHES = 16;
const ROWS = 1000;
const WAIT_MS = 30_000;
const SCRIPT = join(repoRoot(), 'bench', 'py', 'soak_partition.py');

/** A read through the coordinator: rows, lost and duplicated ids, or the gRPC code it failed with. */
export interface PartitionRead {
  rows?: number;
  lost?: number;
  duplicated?: number;
  error?: string;
}

/** What the partition case observed. */
export interface PartitionResult {
  /** Seconds from cutting the link until the coordinator marked the shard down. */
  noticedDownSeconds: number;
  /** Dataset statuses at the coordinator while the shard was cut off. */
  statusDuringPartition: Record<string, string>;
  /** Reading the dataset put before the cut, through the coordinator, during it. */
  readDuringPartition: PartitionRead;
  /** Dropping that dataset and putting a new one through the coordinator during the cut: "ok" or the gRPC code. */
  dropDuringPartition: string;
  putDuringPartition: string;
  /** The cut-off shard's process was still running at the end of the cut. */
  isolatedShardRan: boolean;
  /** A client beside the cut-off shard: the coordinator, and the shard's copies of the dropped dataset (served directly). */
  coordinatorFromIsolatedSide: string;
  isolatedStaleCopies: { partitions: number; rows: number } | { error: string };
  /** Seconds from healing the link until every member was live and every dataset healthy. */
  healedSeconds: number;
  /** The shard's copies of the dropped dataset after healing, and reading the new dataset through the coordinator. */
  staleCopiesAfterHeal: { partitions: number; rows: number } | { error: string };
  readAfterHeal: PartitionRead;
}

/** Why the case cannot run here (no network namespaces), or null when it can. */
export function partitionUnavailable(): string | null {
  try {
    createHosts(`fcsp${process.pid}`, ['probe'], '10.213.92').remove();
    return null;
  } catch (err) {
    return `network namespaces cannot be made here (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
  }
}

interface Step {
  error?: string;
  [key: string]: unknown;
}

/** Runs the partition case. */
export async function runPartition(): Promise<PartitionResult> {
  const net: SimulatedHosts = createHosts(`fcsp${process.pid}`, ['head', 'h0', 'h1', 'h2'], SUBNET);
  const processes: StartedProcess[] = [];
  const env = { ...process.env, FLIGHTCACHE_LOG_LEVEL: 'warn', PYTHONPATH: [join(repoRoot(), 'client', 'python', 'src'), join(repoRoot(), 'bench', 'py')].join(':') };
  const [head, ...shards] = net.hosts;
  const url = `grpc://${head!.address}:${PORT}`;
  const shardUrl = (i: number): string => `grpc://${shards[i]!.address}:${PORT}`;
  const isolated = shards[2]!;
  const step = async (namespace: string, args: readonly string[]): Promise<Step> => {
    const out = await execIn(namespace, venvPython(), [SCRIPT, ...args], env);
    return JSON.parse(out.trim().split('\n').pop()!) as Step;
  };
  const outcome = (s: Step): string => s.error ?? 'ok';
  const copies = (s: Step): PartitionResult['isolatedStaleCopies'] =>
    s.error !== undefined ? { error: s.error } : { partitions: (s.partitions as string[]).length, rows: s.rows as number };
  /** Polls the coordinator's stats until `check` accepts them; the seconds it took. */
  const until = async (what: string, check: (s: Step) => boolean): Promise<number> => {
    const start = Date.now();
    for (;;) {
      const stats = await step(head!.namespace, ['stats', '--url', url]);
      if (stats.error === undefined && check(stats)) return (Date.now() - start) / 1000;
      if (Date.now() - start > WAIT_MS) throw new Error(`soak partition: timed out waiting for ${what}: ${JSON.stringify(stats)}`);
      await sleep(100);
    }
  };
  const settled = (s: Step): boolean =>
    Object.values(s.live as Record<string, boolean>).filter(Boolean).length === 3 && Object.values(s.datasets as Record<string, string>).every((d) => d === 'healthy');
  const cut = (state: 'up' | 'down'): void => {
    // p3 is the isolated host's port on the bridge (netns.ts numbers them head, h0, h1, h2).
    execFileSync('ip', ['-n', `fcsp${process.pid}-sw`, 'link', 'set', 'p3', state], { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  try {
    const start = (namespace: string, args: readonly string[]): Promise<StartedProcess> =>
      startProcess('ip', ['netns', 'exec', namespace, process.execPath, join(repoRoot(), 'dist', 'cache-server', 'cli', 'main.js'), ...args], READY, { env, timeoutMs: 60_000 });
    for (const [i, shard] of shards.entries()) processes.push(await start(shard.namespace, ['shard', '--host', shard.address, '--port', String(PORT), '--shm-dir', 'off', '--id', `h${i}`]));
    const list = shards.map((_, i) => shardUrl(i)).join(',');
    processes.push(await start(head!.namespace, ['coordinator', '--host', head!.address, '--port', String(PORT), '--replicas', '2', '--shard-list', list]));
    await until('three live members', settled);
    const put = await step(head!.namespace, ['put', '--url', url, '--dataset', 'before', '--batches', String(BATCHES), '--rows', String(ROWS)]);
    if (put.rows !== BATCHES * ROWS) throw new Error(`soak partition: the first put failed: ${JSON.stringify(put)}`);
    await until('the dataset healthy', settled);

    const cutAt = Date.now();
    cut('down');
    const isolatedId = shardUrl(2);
    await until('the cut-off shard down', (s) => (s.members as Record<string, string>)[isolatedId] === 'down');
    const noticedDownSeconds = (Date.now() - cutAt) / 1000;
    const during = await step(head!.namespace, ['stats', '--url', url]);
    const readDuringPartition = (await step(head!.namespace, ['read', '--url', url, '--dataset', 'before', '--rows', String(BATCHES * ROWS)])) as PartitionRead;
    const dropDuringPartition = outcome(await step(head!.namespace, ['drop', '--url', url, '--dataset', 'before']));
    const putDuringPartition = outcome(await step(head!.namespace, ['put', '--url', url, '--dataset', 'after', '--batches', String(BATCHES), '--rows', String(ROWS)]));
    const coordinatorFromIsolatedSide = outcome(await step(isolated.namespace, ['stats', '--url', url]));
    const isolatedStaleCopies = copies(await step(isolated.namespace, ['held', '--url', isolatedId, '--prefix', 'before']));
    const isolatedShardRan = processes[2]!.child.exitCode === null && processes[2]!.child.signalCode === null;

    const healAt = Date.now();
    cut('up');
    await until('every member live and every dataset healthy after healing', settled);
    const healedSeconds = (Date.now() - healAt) / 1000;
    const staleCopiesAfterHeal = copies(await step(isolated.namespace, ['held', '--url', isolatedId, '--prefix', 'before']));
    const readAfterHeal = (await step(head!.namespace, ['read', '--url', url, '--dataset', 'after', '--rows', String(BATCHES * ROWS)])) as PartitionRead;
    return {
      noticedDownSeconds,
      statusDuringPartition: (during.datasets ?? {}) as Record<string, string>,
      readDuringPartition,
      dropDuringPartition,
      putDuringPartition,
      isolatedShardRan,
      coordinatorFromIsolatedSide,
      isolatedStaleCopies,
      healedSeconds,
      staleCopiesAfterHeal,
      readAfterHeal,
    };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    net.remove();
  }
}
