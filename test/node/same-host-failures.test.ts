/** Same-host reads when things go wrong or run as a cluster: a full shm directory, a shard killed mid-read, `serve --shards` sockets. Real processes and mounts. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { tableFromArrays, type RecordBatch } from 'apache-arrow';
import { startCacheNode } from '../../cache-server/node/cache-node.js';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { Code } from '../../client/src/flight/errors.js';
import type { NodeStats } from '../../cache-server/node/node-actions.js';
import { collectGarbage } from '../../native/lib/testing/collect-garbage.js';
import { jsonCommand, rejectsWith } from '../helpers/flight.js';
import { doGetBatches, readerArgs, readSameHost, startPausedReader } from '../helpers/same-host.js';
import { startCli } from '../cluster/cluster-helpers.js';
import { venvPython } from '../helpers/python.js';

const MIB = 1024 * 1024;

/** `count` batches of `rows` int64 ids each, ids from 0. */
function idBatches(count: number, rows: number): RecordBatch[] {
  return Array.from({ length: count }, (_, b) =>
    tableFromArrays({ id: BigInt64Array.from({ length: rows }, (_, i) => BigInt(b * rows + i)) }).batches[0]!,
  );
}

describe('a node whose shm directory is a full 8 MiB tmpfs', () => {
  test('a put that does not fit fails RESOURCE_EXHAUSTED naming the directory, and the node keeps serving', async (t) => {
    const dir = mkdtempSync('/tmp/flightcache-small-tmpfs-');
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir], { encoding: 'utf8' });
    if (mount.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      t.skip(`cannot mount a tmpfs here (${(mount.stderr || mount.error?.message || '').trim()}): the full-directory case is not tested`);
      return;
    }
    const node = await startCacheNode({ port: 0, shmDir: dir });
    const client = new FlightClient(node.url);
    try {
      const small = tableFromArrays({ id: Int32Array.from({ length: 1000 }, (_, i) => i) }).batches;
      await client.doPut(pathDescriptor('kept'), small);
      await rejectsWith(client.doPut(pathDescriptor('big'), idBatches(12, MIB / 8)), Code.RESOURCE_EXHAUSTED, new RegExp(`^shared memory directory ${dir} cannot take \\d+ more bytes: No space left on device \\(ENOSPC\\)$`));
      const stats = await client.action<NodeStats>('stats');
      assert.deepEqual(stats.datasets.map((d) => d.name), ['kept']);
      assert.equal(stats.memory.usedBytes, stats.datasets[0]!.bytes);
      const [ticket] = (await client.getFlightInfo(pathDescriptor('kept'))).endpoints.map((e) => e.ticket);
      const report = await readSameHost(readerArgs(node.shmSocket!, ticket!));
      assert.deepEqual(report.batches.map((b) => b.body_sha256), (await doGetBatches(client, ticket!)).map((b) => b.body_sha256));
      // The failed put's memory goes back to the tmpfs once its regions are collected; then puts fit again.
      await collectGarbage();
      await client.doPut(pathDescriptor('after'), small);
      assert.equal((await client.action<NodeStats>('stats')).datasets.length, 2);
    } finally {
      client.close();
      await node.close();
      // Segments close when their regions are collected; a lazy unmount does not wait for that.
      await collectGarbage();
      spawnSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the same-host socket path', () => {
  test('a stale socket file left by a dead process is replaced; a path a live node answers on is refused', async () => {
    const dir = mkdtempSync('/dev/shm/flightcache-test-');
    const path = `${dir}/fixed.sock`;
    try {
      // Python binds without ever unlinking: the file stays behind like a killed process's.
      const bind = spawnSync(venvPython(), ['-c', `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(path)})`]);
      assert.equal(bind.status, 0);
      assert.ok(lstatSync(path).isSocket());
      const node = await startCacheNode({ port: 0, shmDir: dir, shmSocket: path });
      try {
        assert.equal(node.shmSocket, path);
        await rejectsWith(startCacheNode({ port: 0, shmDir: dir, shmSocket: path }), Code.FAILED_PRECONDITION, `--shm-socket ${path} is in use by a running process`);
        const report = await readSameHost(['--socket', path, '--ticket', Buffer.from('{"v":2,"dataset":"none"}').toString('base64')]);
        assert.equal(report.hello?.location, node.url);
      } finally {
        await node.close();
      }
      assert.equal(existsSync(path), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a shard process killed while a same-host reader streams from it', () => {
  test('the reader gets a clean UNAVAILABLE error and the batches it has mapped stay intact', async () => {
    const dir = mkdtempSync('/dev/shm/flightcache-test-');
    const shard = await startCli(['shard', '--port', '0', '--shm-dir', dir]);
    const client = new FlightClient(shard.url);
    try {
      // 200 shuffled batches of 2,000 rows: 16 KB of row picks each, far more than a socket buffers.
      await client.doPut(pathDescriptor('big'), idBatches(200, 2000));
      const [ticket] = (await client.getFlightInfo(jsonCommand({ dataset: 'big', rank: 0, world_size: 1, shuffle: true, seed: 3 }))).endpoints.map((e) => e.ticket);
      const { socket } = await client.action<{ socket: string }>('same-host');
      const reader = startPausedReader(readerArgs(socket, ticket!), 1);
      try {
        await reader.paused;
        process.kill(shard.pid, 'SIGKILL');
        await shard.exited;
        reader.resume();
        const report = await reader.report;
        assert.deepEqual(report.error, { code: 'UNAVAILABLE', message: 'connection closed before the stream ended' });
        assert.ok(report.batches.length >= 1 && report.batches.length < 200, `${report.batches.length} batches read`);
        assert.equal(report.unchanged, true);
      } finally {
        reader.kill();
      }
    } finally {
      client.close();
      await shard.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('serve --shards 2 with shared memory', () => {
  test('each shard has its own socket and serves its partitions same-host; the coordinator has none', async () => {
    const dir = mkdtempSync('/dev/shm/flightcache-test-');
    const cluster = await startCli(['serve', '--port', '0', '--shards', '2', '--replicas', '1', '--shm-dir', dir, '--partition-size', '64KiB']);
    const client = new FlightClient(cluster.url);
    try {
      // 32 partitions of two 32 KiB batches, placed by rendezvous hashing over ids that differ per run:
      // with 8 partitions, one run in 128 put them all on one shard.
      await client.doPut(pathDescriptor('spread'), idBatches(64, 4096));
      await rejectsWith(client.action('same-host'), Code.UNIMPLEMENTED, /^unknown action "same-host"/);
      const info = await client.getFlightInfo(pathDescriptor('spread'));
      const sockets = new Map<string, string>();
      let batches = 0;
      for (const endpoint of info.endpoints) {
        const location = endpoint.locations[0]!.uri;
        const shard = new FlightClient(location);
        try {
          if (!sockets.has(location)) sockets.set(location, (await shard.action<{ socket: string }>('same-host')).socket);
          const expected = await doGetBatches(shard, endpoint.ticket);
          const report = await readSameHost(readerArgs(sockets.get(location)!, endpoint.ticket, undefined, location));
          assert.equal(report.error, null);
          assert.deepEqual(report.batches.map(({ body_sha256, cursor, rows }) => ({ body_sha256, cursor, rows })), expected);
          assert.ok(report.batches.every((b) => b.equals_grpc === true));
          batches += report.batches.length;
        } finally {
          shard.close();
        }
      }
      assert.equal(batches, 64);
      assert.equal(sockets.size, 2);
      assert.equal(new Set(sockets.values()).size, 2);
    } finally {
      client.close();
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
