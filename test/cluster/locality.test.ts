/**
 * Locality on simulated hosts: a coordinator and three shards, each in its own network namespace
 * (test/helpers/netns.ts), and one rank per shard namespace reading its share, over two clusters on
 * the same simulated hosts: one with a replica of every partition on every shard, one with a single
 * copy of each. Every row is read exactly once; with every shard holding a copy all bytes are read
 * from the rank's own namespace, whether a rank names only its own host (the Python client does so by
 * itself) or every rank's host ("hosts"); with one copy, "hosts" reads as many bytes locally as the
 * balanced counts allow. Reports the fraction of bytes read locally.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess, type StartedProcess } from '../helpers/process.js';
import { pythonScript, repoRoot, venvPython } from '../helpers/python.js';
import { createHosts, execIn, type SimulatedHosts } from '../helpers/netns.js';
import { CLI } from './cluster-helpers.js';

const SUBNET = '10.213.77';
const PORT = 18815;
const BATCHES = 48;
const ROWS = 1000;
const READY = /^flightcache ready (grpc:\/\/\S+)$/;
const env = { ...process.env, FLIGHTCACHE_LOG_LEVEL: 'warn', PYTHONPATH: join(repoRoot(), 'client', 'python', 'src') };

let net: SimulatedHosts | undefined;
let skip: string | false = false;
try {
  net = createHosts(`fcl${process.pid}`, ['head', 'h0', 'h1', 'h2'], SUBNET);
} catch (err) {
  skip = `network namespaces cannot be made here (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
  console.log(`# locality test skipped: ${skip}`);
}
// Removed on any exit, also when the runner is interrupted.
process.once('exit', () => net?.remove());

const processes: StartedProcess[] = [];
const shmDirs: string[] = [];
/** The coordinator of the cluster whose processes listen on `port`. */
const coordinatorUrl = (port: number): string => `grpc://${SUBNET}.10:${port}`;
/** Ports of the cluster with 3 replicas and of the one with 1. */
const EVERYWHERE = PORT;
const ONCE = PORT + 1;

/** Starts `flightcache ARGS` in a namespace and waits for its ready line. */
async function startIn(namespace: string, args: readonly string[]): Promise<StartedProcess> {
  const started = await startProcess('ip', ['netns', 'exec', namespace, process.execPath, CLI, ...args], READY, { env, timeoutMs: 60_000 });
  processes.push(started);
  return started;
}

/** Runs test/python/locality_read.py in a namespace and parses its JSON line. */
async function rank<T>(namespace: string, args: readonly string[]): Promise<T> {
  const out = await execIn(namespace, venvPython(), [pythonScript('locality_read.py'), ...args], env);
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

interface ReadReport {
  host: string;
  ids: number[];
  localBytes: number;
  remoteBytes: number;
}

/** Starts a coordinator with `replicas` and a shard in every shard namespace, all on `port`, and puts the dataset "ids". */
async function startCluster(port: number, replicas: number): Promise<void> {
  const [head, ...shards] = net!.hosts;
  await startIn(head!.namespace, ['coordinator', '--host', head!.address, '--port', String(port), '--replicas', String(replicas)]);
  await Promise.all(
    shards.map((shard) => {
      const dir = mkdtempSync('/dev/shm/fcl-');
      shmDirs.push(dir);
      const args = ['shard', '--host', shard.address, '--port', String(port), '--coordinator', coordinatorUrl(port), '--id', shard.name, '--shm-dir', dir];
      return startIn(shard.namespace, args);
    }),
  );
  await rank(head!.namespace, ['put', '--url', coordinatorUrl(port), '--dataset', 'ids', '--batches', String(BATCHES), '--rows', String(ROWS), '--members', '3']);
}

before(async () => {
  if (!net) return;
  await Promise.all([startCluster(EVERYWHERE, 3), startCluster(ONCE, 1)]);
});

after(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  net?.remove();
  for (const dir of shmDirs) rmSync(dir, { recursive: true, force: true });
});

/** Every rank's report of one read from the cluster on `port`, ranks on h0, h1, h2 in order. */
async function readAll(port: number, extra: readonly string[]): Promise<ReadReport[]> {
  const shards = net!.hosts.slice(1);
  return Promise.all(
    shards.map((shard, r) =>
      rank<ReadReport>(shard.namespace, ['read', '--url', coordinatorUrl(port), '--dataset', 'ids', '--rank', String(r), '--world', '3', '--address', shard.address, ...extra]),
    ),
  );
}

/** Every rank's host id, as a JSON list for --hosts. */
async function rankHosts(): Promise<string> {
  return JSON.stringify((await Promise.all(net!.hosts.slice(1).map((h) => rank<{ host: string }>(h.namespace, ['host'])))).map((i) => i.host));
}

/** Checks every row was read exactly once; returns the fraction of bytes read locally. */
function exactlyOnceLocalFraction(reports: readonly ReadReport[]): number {
  const ids = reports.flatMap((r) => r.ids).sort((a, b) => a - b);
  assert.deepEqual(ids, Array.from({ length: BATCHES * ROWS }, (_, i) => i));
  const local = reports.reduce((sum, r) => sum + r.localBytes, 0);
  return local / reports.reduce((sum, r) => sum + r.localBytes + r.remoteBytes, 0);
}

test('each namespace is its own host: the host ids differ and share the kernel\'s boot id', { skip }, async () => {
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const ids = await Promise.all(net!.hosts.slice(1).map((h) => rank<{ host: string }>(h.namespace, ['host'])));
  assert.equal(new Set(ids.map((i) => i.host)).size, 3);
  for (const { host } of ids) assert.match(host, new RegExp(`^${boot} net:\\[\\d+\\]$`));
});

test('ranks naming their own host, or every rank\'s host, read each row once and every byte from their own host when every shard holds a copy', { skip }, async () => {
  const hosts = await rankHosts();
  const hostOnly = exactlyOnceLocalFraction(await readAll(EVERYWHERE, []));
  const withHosts = exactlyOnceLocalFraction(await readAll(EVERYWHERE, ['--hosts', hosts]));
  const shuffled = exactlyOnceLocalFraction(await readAll(EVERYWHERE, ['--hosts', hosts, '--shuffle']));
  console.log(`# locality (3 simulated hosts, 3 replicas, ${BATCHES} batches): bytes read locally: host ${(hostOnly * 100).toFixed(1)}%, hosts ${(withHosts * 100).toFixed(1)}%, hosts shuffled ${(shuffled * 100).toFixed(1)}%`);
  assert.deepEqual([hostOnly, withHosts, shuffled], [1, 1, 1]);
});

test('FlightCacheDataset beside each shard reads each row once, the first replica of every endpoint from its own shard\'s shared memory', { skip }, async () => {
  const shards = net!.hosts.slice(1);
  const reports = await Promise.all(
    shards.map((shard, r) =>
      rank<{ ids: number[]; firstTransports: string[]; transport: string }>(shard.namespace, ['dataset', '--url', coordinatorUrl(EVERYWHERE), '--dataset', 'ids', '--rank', String(r), '--world', '3']),
    ),
  );
  assert.deepEqual(
    reports.flatMap((r) => r.ids).sort((a, b) => a - b),
    Array.from({ length: BATCHES * ROWS }, (_, i) => i),
  );
  // The other shards run in other namespaces: their replicas are read over gRPC, the own one over shm.
  assert.deepEqual(
    reports.map((r) => [r.firstTransports, r.transport]),
    shards.map(() => [['shm'], 'shm+grpc']),
  );
});

test('with one copy of each partition, ranks passing every rank\'s host read each row once and as many bytes locally as their equal counts allow', { skip }, async () => {
  const hosts = await rankHosts();
  const held = await Promise.all(net!.hosts.slice(1).map((h) => rank<{ rows: number }>(h.namespace, ['held', '--url', `grpc://${h.address}:${ONCE}`])));
  // Each rank reads 16 of the 48 batches; at most min(16, batches its host holds) of them locally.
  const best = held.reduce((sum, { rows }) => sum + Math.min(BATCHES / 3, rows / ROWS), 0) / BATCHES;
  const hostOnly = exactlyOnceLocalFraction(await readAll(ONCE, []));
  const withHosts = exactlyOnceLocalFraction(await readAll(ONCE, ['--hosts', hosts]));
  const shuffled = exactlyOnceLocalFraction(await readAll(ONCE, ['--hosts', hosts, '--shuffle']));
  console.log(
    `# locality (3 simulated hosts, 1 replica, ${BATCHES} batches, held ${held.map((h) => h.rows / ROWS).join('/')}): bytes read locally: ` +
      `host ${(hostOnly * 100).toFixed(1)}%, hosts ${(withHosts * 100).toFixed(1)}%, hosts shuffled ${(shuffled * 100).toFixed(1)}%, best possible ${(best * 100).toFixed(1)}%`,
  );
  assert.equal(withHosts, best);
  assert.equal(shuffled, best);
});

test('FlightCacheDataset given every rank\'s host reads exactly the shares of a request with "hosts" (the most local bytes), shuffled or not', { skip }, async () => {
  const hosts = await rankHosts();
  const shards = net!.hosts.slice(1);
  for (const shuffle of [[], ['--shuffle']]) {
    const requested = await readAll(ONCE, ['--hosts', hosts, ...shuffle]);
    const read = await Promise.all(
      shards.map((shard, r) =>
        rank<{ ids: number[] }>(shard.namespace, ['dataset', '--url', coordinatorUrl(ONCE), '--dataset', 'ids', '--rank', String(r), '--world', '3', '--hosts', hosts, ...shuffle]),
      ),
    );
    assert.deepEqual(
      read.map((r) => r.ids),
      requested.map((r) => r.ids),
    );
  }
});
