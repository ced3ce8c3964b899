/**
 * Locality on simulated hosts: a coordinator and three shards, each in its own network namespace
 * (test/helpers/netns.ts), every shard holding a replica of every partition, and one rank per shard
 * namespace reading its share. Every row is read exactly once, and all bytes are read from the rank's
 * own namespace, whether a rank names only its own host (the Python client does so by itself) or
 * every rank's host ("hosts"). Reports the fraction of bytes read locally.
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
const coordinatorUrl = `grpc://${SUBNET}.10:${PORT}`;

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

before(async () => {
  if (!net) return;
  const [head, ...shards] = net.hosts;
  await startIn(head!.namespace, ['coordinator', '--host', head!.address, '--port', String(PORT), '--replicas', '3']);
  await Promise.all(
    shards.map((shard) => {
      const dir = mkdtempSync('/dev/shm/fcl-');
      shmDirs.push(dir);
      return startIn(shard.namespace, ['shard', '--host', shard.address, '--port', String(PORT), '--coordinator', coordinatorUrl, '--id', shard.name, '--shm-dir', dir]);
    }),
  );
  await rank(head!.namespace, ['put', '--url', coordinatorUrl, '--dataset', 'ids', '--batches', String(BATCHES), '--rows', String(ROWS), '--members', '3']);
});

after(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  net?.remove();
  for (const dir of shmDirs) rmSync(dir, { recursive: true, force: true });
});

/** Every rank's report of one read, ranks on h0, h1, h2 in order. */
async function readAll(extra: readonly string[]): Promise<ReadReport[]> {
  const shards = net!.hosts.slice(1);
  return Promise.all(
    shards.map((shard, r) =>
      rank<ReadReport>(shard.namespace, ['read', '--url', coordinatorUrl, '--dataset', 'ids', '--rank', String(r), '--world', '3', '--address', shard.address, ...extra]),
    ),
  );
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

test('ranks naming their own host, or every rank\'s host, read each row once and every byte from their own host', { skip }, async () => {
  const hosts = JSON.stringify((await Promise.all(net!.hosts.slice(1).map((h) => rank<{ host: string }>(h.namespace, ['host'])))).map((i) => i.host));
  const hostOnly = exactlyOnceLocalFraction(await readAll([]));
  const withHosts = exactlyOnceLocalFraction(await readAll(['--hosts', hosts]));
  const shuffled = exactlyOnceLocalFraction(await readAll(['--hosts', hosts, '--shuffle']));
  console.log(`# locality (3 simulated hosts, 3 replicas, ${BATCHES} batches): bytes read locally: host ${(hostOnly * 100).toFixed(1)}%, hosts ${(withHosts * 100).toFixed(1)}%, hosts shuffled ${(shuffled * 100).toFixed(1)}%`);
  assert.deepEqual([hostOnly, withHosts, shuffled], [1, 1, 1]);
});
