/**
 * A cluster of real processes (`flightcache serve --shards 3 --replicas 2`): placement, endpoints,
 * rank shares, the Kubeflow path, and failover when a shard is SIGKILLed mid-epoch.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { RecordBatch } from 'apache-arrow';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { LocationClients, readShare } from '../../client/src/share-reader.js';
import { Code } from '../../client/src/flight/errors.js';
import { defaultMemoryBytes } from '../../cache-server/config.js';
import type { NodeStats } from '../../cache-server/node/node-actions.js';
import type { StartedProcess } from '../helpers/process.js';
import { runPython } from '../helpers/python.js';
import { clusterStats, idBatches, sortedIds, startCli, waitFor } from './cluster-helpers.js';

const BATCHES = 48;
const ROWS = 100;
const ALL = Array.from({ length: BATCHES * ROWS }, (_, i) => i);

describe('a cluster of a coordinator and 3 shard processes with 2 replicas', () => {
  let cluster: StartedProcess;
  let client: FlightClient;
  before(async () => {
    cluster = await startCli(['serve', '--port', '0', '--shards', '3', '--replicas', '2']);
    client = new FlightClient(cluster.url);
    await client.doPut(pathDescriptor('ids'), idBatches(BATCHES, ROWS));
  });
  after(async () => {
    client.close();
    assert.deepEqual(await cluster.stop(), { code: 0, signal: null });
  });

  test('stats list the three local shards, live, with their process ids, and the dataset healthy', async () => {
    const stats = await clusterStats(client);
    assert.equal(stats.role, 'coordinator');
    assert.deepEqual(stats.members.map((m) => [m.id, m.state, m.live, m.source]), [
      ['shard-0', 'up', true, 'local'],
      ['shard-1', 'up', true, 'local'],
      ['shard-2', 'up', true, 'local'],
    ]);
    assert.ok(stats.members.every((m) => typeof m.pid === 'number' && m.pid !== cluster.pid));
    const dataset = stats.datasets.find((d) => d.name === 'ids')!;
    assert.deepEqual([dataset.rows, dataset.batches, dataset.status], [BATCHES * ROWS, BATCHES, 'healthy']);
    // The staged put was freed once acknowledged, not left for a garbage collection during reads.
    assert.deepEqual([stats.memory.usedBytes, stats.memory.nativeLiveBytes], [0, 0]);
  });

  test('without --memory the coordinator staging and the three shards share the default limit in four equal parts', async () => {
    const share = Math.floor(defaultMemoryBytes() / 4);
    const stats = await clusterStats(client);
    const limits = [stats.memory.limitBytes];
    for (const member of stats.members) {
      const shard = new FlightClient(member.location);
      try {
        limits.push((await shard.action<NodeStats>('stats')).memory.limitBytes);
      } finally {
        shard.close();
      }
    }
    assert.deepEqual(limits, [share, share, share, share]);
  });

  test('GetFlightInfo [name] lists one endpoint per partition, each at two distinct live shards, in a stable order', async () => {
    const info = await client.getFlightInfo(pathDescriptor('ids'));
    const again = await client.getFlightInfo(pathDescriptor('ids'));
    const stats = await clusterStats(client);
    const shards = new Set(stats.members.map((m) => m.location));
    assert.equal(info.totalRecords, BigInt(BATCHES * ROWS));
    assert.equal(info.endpoints.length, stats.datasets.find((d) => d.name === 'ids')!.partitions);
    assert.ok(info.endpoints.length >= 3);
    for (const endpoint of info.endpoints) {
      const uris = endpoint.locations.map((l) => l.uri);
      assert.equal(new Set(uris).size, 2);
      assert.ok(uris.every((uri) => shards.has(uri)));
    }
    assert.deepEqual(again.endpoints.map((e) => e.locations), info.endpoints.map((e) => e.locations));
    // Every shard holds some partition: placement spreads them.
    assert.equal(new Set(info.endpoints.flatMap((e) => e.locations.map((l) => l.uri))).size, 3);
  });

  test('the TS client reads every row once, in order, from the shards; DoGet at the coordinator explains where data is', async () => {
    const locations = new LocationClients(client, () => undefined);
    const ids: number[] = [];
    for await (const { batch } of readShare(locations, 'ids')) ids.push(...Array.from(batch.getChild('id')!, Number));
    locations.close();
    assert.deepEqual(ids, ALL);
    const info = await client.getFlightInfo(pathDescriptor('ids'));
    await assert.rejects(async () => {
      for await (const _ of client.doGetRaw(info.endpoints[0]!.ticket)) break;
    }, { code: Code.FAILED_PRECONDITION, message: /coordinator, which serves no data/ });
  });

  test('rank shares [name, RANK, WORLD] are disjoint, cover every row and differ by at most one batch', async () => {
    for (const world of [1, 2, 4, 5]) {
      const ids: number[] = [];
      const batches: number[] = [];
      for (let rank = 0; rank < world; rank++) {
        const locations = new LocationClients(client, () => undefined);
        let count = 0;
        for await (const { batch } of readShare(locations, 'ids', { rank, worldSize: world })) {
          ids.push(...Array.from(batch.getChild('id')!, Number));
          count++;
        }
        locations.close();
        batches.push(count);
      }
      assert.deepEqual(ids, ALL, `world ${world}`);
      assert.ok(Math.max(...batches) - Math.min(...batches) <= 1, `world ${world}: ${batches.join(',')}`);
    }
  });

  test('the Kubeflow DataCacheDataset pattern (path [RANK, WORLD], DoGet at every location) reads every row once, one location per endpoint', async () => {
    for (const total of [1, 3, 4]) {
      const { shares } = await runPython<{ shares: Array<{ ids: number[]; locations: string[] }> }>('kubeflow_reader.py', [cluster.url, 'read', String(total)]);
      assert.deepEqual(shares.flatMap((s) => s.ids).sort((a, b) => a - b), ALL, `total ${total}`);
      const used = new Set(shares.flatMap((s) => s.locations));
      assert.ok(used.size >= 2, `replicas share the load: ${[...used].join(', ')}`);
    }
  });

  test('shuffled, re-chunked shares across partitions cover every row once, repeat for the same epoch and differ for the next', async () => {
    const read = async (epoch: number): Promise<number[][]> => {
      const ranks: number[][] = [];
      for (let rank = 0; rank < 3; rank++) {
        const locations = new LocationClients(client, () => undefined);
        const ids: number[] = [];
        for await (const { batch } of readShare(locations, 'ids', { rank, worldSize: 3, shuffle: true, seed: 7, epoch, batchRows: 64 })) {
          assert.ok(batch.numRows <= 64);
          ids.push(...Array.from(batch.getChild('id')!, Number));
        }
        locations.close();
        ranks.push(ids);
      }
      return ranks;
    };
    const first = await read(1);
    assert.deepEqual(first.flat().sort((a, b) => a - b), ALL);
    assert.notDeepEqual(first.flat(), ALL);
    assert.deepEqual(await read(1), first);
    assert.notDeepEqual(await read(2), first);
  });

  test('4 ranks read while a shard is SIGKILLed mid-epoch: every rank finishes and the rows delivered equal the dataset exactly', async () => {
    const stats = await clusterStats(client);
    const victim = stats.members[1]!;
    const world = 4;
    let delivered = 0;
    let killed = false;
    const read = async (rank: number): Promise<{ batches: RecordBatch[]; locations: Set<string> }> => {
      const locations = new LocationClients(client, () => undefined);
      const out = { batches: [] as RecordBatch[], locations: new Set<string>() };
      try {
        for await (const { batch, location } of readShare(locations, 'ids', { rank, worldSize: world, batchRows: 25 })) {
          out.batches.push(batch);
          out.locations.add(location);
          if (++delivered === 20 && !killed) {
            killed = true;
            process.kill(victim.pid!, 'SIGKILL');
          }
          // A consumer that takes its time, so the kill lands mid-stream.
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      } finally {
        locations.close();
      }
      return out;
    };
    const results = await Promise.all(Array.from({ length: world }, (_, rank) => read(rank)));
    assert.ok(killed);
    const batches = results.flatMap((r) => r.batches);
    assert.deepEqual(sortedIds(batches), ALL);
    const checksum = batches.reduce((sum, b) => sum + Array.from(b.getChild('value')!, Number).reduce((a, v) => a + v, 0), 0);
    assert.equal(checksum, ALL.reduce((a, id) => a + id * 0.5, 0));
    assert.ok(batches.every((b) => b.numRows <= 25));
    // The shard is restarted empty and refilled from the surviving replicas.
    const healed = await waitFor('the dataset to be healthy again', async () => {
      const now = await clusterStats(client);
      const member = now.members.find((m) => m.id === victim.id)!;
      const dataset = now.datasets.find((d) => d.name === 'ids')!;
      return member.live && member.pid !== victim.pid && dataset.status === 'healthy' ? now : undefined;
    });
    assert.ok(healed);
    const locations = new LocationClients(client, () => undefined);
    const ids: number[] = [];
    for await (const { batch } of readShare(locations, 'ids')) ids.push(...Array.from(batch.getChild('id')!, Number));
    locations.close();
    assert.deepEqual(ids, ALL);
  });
});

describe('a cluster with one replica', () => {
  test('losing a shard gives the ranks reading its partitions a clear UNAVAILABLE naming the partition, and the dataset reports lost', async () => {
    const cluster = await startCli(['serve', '--port', '0', '--shards', '2', '--replicas', '1']);
    const client = new FlightClient(cluster.url);
    try {
      await client.doPut(pathDescriptor('single'), idBatches(16, 50));
      // The shard of the first partition, so that some rank certainly loses rows.
      const first = (await client.getFlightInfo(pathDescriptor('single'))).endpoints[0]!.locations[0]!.uri;
      const victim = (await clusterStats(client)).members.find((m) => m.location === first)!;
      // Frozen first, so that none of its data is already in flight when it dies: a small share
      // would otherwise reach a reader whole before the kill, and nothing would be lost.
      process.kill(victim.pid!, 'SIGSTOP');
      const world = 4;
      let delivered = 0;
      const killed = new Promise<void>((resolve) => setTimeout(resolve, 1000)).then(() => process.kill(victim.pid!, 'SIGKILL'));
      const outcomes = await Promise.all(
        Array.from({ length: world }, async (_, rank) => {
          const locations = new LocationClients(client, () => undefined);
          let rows = 0;
          try {
            for await (const { batch } of readShare(locations, 'single', { rank, worldSize: world, batchRows: 10 })) {
              rows += batch.numRows;
              delivered += batch.numRows;
            }
            return { rows };
          } catch (err) {
            const { code, message } = err as { code: number; message: string };
            return { rows, error: { code, message } };
          } finally {
            locations.close();
          }
        }),
      );
      await killed;
      const failed = outcomes.filter((o) => o.error);
      assert.ok(failed.length >= 1, JSON.stringify(outcomes));
      // Ranks that needed nothing from the lost shard got their whole share; the lost rows never arrived.
      for (const outcome of outcomes.filter((o) => !o.error)) assert.equal(outcome.rows, 200, JSON.stringify(outcomes));
      assert.ok(delivered < 16 * 50, `${delivered} rows delivered`);
      for (const { error } of failed) {
        assert.equal(error!.code, Code.UNAVAILABLE, JSON.stringify(outcomes));
        assert.match(error!.message, /^partition \d+ of dataset "single" \(batches \d+-\d+\) has no live replica \(placed on grpc:\/\/127\.0\.0\.1:\d+\)$/);
      }
      const stats = await clusterStats(client);
      assert.equal(stats.datasets[0]!.status, 'lost');
      assert.ok(stats.datasets[0]!.lost.length >= 1);
    } finally {
      client.close();
      await cluster.stop();
    }
  });
});

describe('a cluster with credentials', () => {
  test('one Handshake at the coordinator gives a token every shard accepts; shards refuse calls without it', async () => {
    const cluster = await startCli(['serve', '--port', '0', '--shards', '2', '--replicas', '2', '--user', 'alice', '--password', 'secret']);
    const client = new FlightClient(cluster.url);
    try {
      await client.handshake('alice', 'secret');
      await client.doPut(pathDescriptor('private'), idBatches(6, 10));
      const locations = new LocationClients(client, () => client.bearerToken);
      const batches: RecordBatch[] = [];
      for await (const { batch } of readShare(locations, 'private')) batches.push(batch);
      locations.close();
      assert.deepEqual(sortedIds(batches), Array.from({ length: 60 }, (_, i) => i));
      const info = await client.getFlightInfo(pathDescriptor('private'));
      const anonymous = new FlightClient(info.endpoints[0]!.locations[0]!.uri);
      await assert.rejects(async () => {
        for await (const _ of anonymous.doGetRaw(info.endpoints[0]!.ticket)) break;
      }, { code: Code.UNAUTHENTICATED });
      anonymous.close();
    } finally {
      client.close();
      await cluster.stop();
    }
  });
});
