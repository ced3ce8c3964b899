/**
 * Membership with real processes: a coordinator with a static shard list and a shard that registers
 * itself; heartbeats mark a killed shard down within 3 s and up again when it answers; /readyz and
 * stats show the members.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { LocationClients, readShare } from '../../client/src/share-reader.js';
import { clusterStats, idBatches, sortedIds, startCli, waitFor } from './cluster-helpers.js';
import { freePort, type StartedProcess } from '../helpers/process.js';
import type { RecordBatch } from 'apache-arrow';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { GrpcServer } from '../../cache-server/flight/http2/server.js';
import { bindFlightService, type FlightService } from '../../client/src/flight/service.js';
import type { Action, Result } from '../../client/src/flight/protocol/messages.js';
import { silentLogger } from '../../cache-server/logger.js';
import { requestLimits } from '../../cache-server/config.js';
import { NodeService } from '../../cache-server/node/node-service.js';
import { DatasetStore } from '../../cache-server/storage/dataset-store.js';

const portOf = (url: string): string => new URL(url.replace(/^grpc:/, 'http:')).port;

test('a static member that is killed is down within 3 s, comes back up on the same port, and is refilled; a registered shard joins', async () => {
  const a = await startCli(['shard', '--port', '0']);
  let b = await startCli(['shard', '--port', '0']);
  const httpPort = await freePort();
  const coordinator = await startCli(['coordinator', '--port', '0', '--http-port', String(httpPort), '--replicas', '2', '--shard-list', `${a.url},${b.url}`]);
  const client = new FlightClient(coordinator.url);
  const registered = await startCli(['shard', '--port', '0', '--coordinator', coordinator.url, '--id', 'joiner']);
  try {
    const live = await waitFor('three live members', async () => {
      const stats = await clusterStats(client);
      return stats.members.filter((m) => m.live).length === 3 ? stats : undefined;
    });
    assert.deepEqual(
      live.members.map((m) => [m.id, m.source]).sort(),
      [[a.url, 'static'], [b.url, 'static'], ['joiner', 'registered']].sort(),
    );
    assert.equal(live.members.find((m) => m.id === 'joiner')!.pid, registered.pid);
    const health = new FlightClient(a.url);
    assert.equal(live.members.find((m) => m.id === a.url)!.instance, (await health.action<{ instance: string }>('health')).instance);
    health.close();
    const readyz = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
    assert.equal(readyz.status, 200);
    assert.deepEqual((await readyz.text()).split('\n').sort(), ['', 'ready', `${a.url} ${a.url} live`, `${b.url} ${b.url} live`, `joiner ${registered.url} live`].sort());
    await client.doPut(pathDescriptor('d'), idBatches(24, 20));

    const killedAt = Date.now();
    b.child.kill('SIGKILL');
    await waitFor('the killed member to be down', async () => ((await clusterStats(client)).members.find((m) => m.id === b.url)!.state === 'down' ? true : undefined));
    const noticedAfter = Date.now() - killedAt;
    assert.ok(noticedAfter < 3000, `marked down after ${noticedAfter} ms`);
    const degraded = (await clusterStats(client)).datasets[0]!;
    assert.ok(degraded.status === 'degraded' || degraded.status === 'healthy', degraded.status);

    // Reads go on from the other replicas meanwhile.
    const locations = new LocationClients(client, () => undefined);
    const batches: RecordBatch[] = [];
    for await (const { batch } of readShare(locations, 'd')) batches.push(batch);
    locations.close();
    assert.deepEqual(sortedIds(batches), Array.from({ length: 480 }, (_, i) => i));

    const before = live.members.find((m) => m.id === b.url)!.instance;
    b = await startCli(['shard', '--port', portOf(b.url)]);
    const restarted = new FlightClient(b.url);
    // stats names the process it knows: the restarted one's instance id, not the killed one's.
    const instance = (await restarted.action<{ instance: string }>('health')).instance;
    assert.notEqual(instance, before);
    const healed = await waitFor('the restarted member to be live and the dataset healthy', async () => {
      const stats = await clusterStats(client);
      return stats.members.every((m) => m.live) && stats.datasets[0]!.status === 'healthy' && stats.members.find((m) => m.id === b.url)!.instance === instance ? stats : undefined;
    });
    assert.equal(healed.datasets[0]!.rows, 480);
    const held = [];
    for await (const info of restarted.listFlights()) held.push(info.flightDescriptor!.path[0]);
    restarted.close();
    assert.ok(held.length > 0 && held.every((name) => /^d#p\d+\.[0-9a-f]+\.b\d+-\d+of24$/.test(name!)), held.join(','));
  } finally {
    client.close();
    for (const p of [registered, coordinator, a, b]) await p.stop();
  }
});

test('shard processes of serve --shards exit when their coordinator is SIGKILLed', async () => {
  const cluster = await startCli(['serve', '--port', '0', '--shards', '2', '--replicas', '1']);
  const client = new FlightClient(cluster.url);
  const pids = (await clusterStats(client)).members.map((m) => m.pid!);
  client.close();
  assert.equal(pids.length, 2);
  cluster.child.kill('SIGKILL');
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  await waitFor('the shard processes to exit', async () => (pids.some(alive) ? undefined : true), 10_000);
});

test('a shard that joins takes over about a third of the partitions from two, and every row stays readable exactly once', async () => {
  const a = await startCli(['shard', '--port', '0']);
  const b = await startCli(['shard', '--port', '0']);
  const coordinator = await startCli(['coordinator', '--port', '0', '--replicas', '1', '--partition-size', '1KiB', '--shard-list', `${a.url},${b.url}`]);
  const client = new FlightClient(coordinator.url);
  let c: StartedProcess | undefined;
  try {
    await waitFor('two live members', async () => ((await clusterStats(client)).members.filter((m) => m.live).length === 2 ? true : undefined));
    await client.doPut(pathDescriptor('spread'), idBatches(60, 20));
    const before = await client.getFlightInfo(pathDescriptor('spread'));
    const partitions = before.endpoints.length;
    assert.ok(partitions >= 20, `${partitions} partitions`);
    c = await startCli(['shard', '--port', '0', '--coordinator', coordinator.url, '--id', 'joiner']);
    const joiner = c.url;
    const after = await waitFor('partitions to move to the new shard', async () => {
      const info = await client.getFlightInfo(pathDescriptor('spread'));
      return info.endpoints.some((e) => e.locations[0]!.uri === joiner) ? info : undefined;
    });
    // Rendezvous hashing moves only the partitions the newcomer wins: each moves from a or b to it, none between a and b.
    const moved = after.endpoints.filter((e, i) => e.locations[0]!.uri !== before.endpoints[i]!.locations[0]!.uri);
    assert.ok(moved.every((e) => e.locations[0]!.uri === joiner));
    assert.ok(moved.length >= 1 && moved.length <= (partitions * 2) / 3, `${moved.length} of ${partitions} moved`);
    const locations = new LocationClients(client, () => undefined);
    const batches: RecordBatch[] = [];
    for await (const { batch } of readShare(locations, 'spread')) batches.push(batch);
    locations.close();
    assert.deepEqual(sortedIds(batches), Array.from({ length: 1200 }, (_, i) => i));
    assert.equal((await clusterStats(client)).datasets[0]!.status, 'healthy');
  } finally {
    client.close();
    for (const p of [c, coordinator, a, b]) await p?.stop();
  }
});

test('a restarted coordinator adopts the datasets its shard holds and leaves their partitions in place; datasets dropped before the restart stay gone', async () => {
  const shard = await startCli(['shard', '--port', '0']);
  let coordinator = await startCli(['coordinator', '--port', '0', '--replicas', '1', '--shard-list', shard.url]);
  let client = new FlightClient(coordinator.url);
  const held = async (): Promise<string[]> => {
    const direct = new FlightClient(shard.url);
    const names: string[] = [];
    for await (const info of direct.listFlights()) names.push(info.flightDescriptor!.path[0]!);
    direct.close();
    return names.sort();
  };
  try {
    await waitFor('a live member', async () => ((await clusterStats(client)).members.some((m) => m.live) ? true : undefined));
    await client.doPut(pathDescriptor('keep'), idBatches(8, 10));
    await client.doPut(pathDescriptor('gone'), idBatches(8, 10));
    await client.action('drop', 'gone');
    const before = await held();
    assert.ok(before.length > 0 && before.every((name) => name.startsWith('keep#')), before.join(','));
    client.close();
    await coordinator.stop();
    coordinator = await startCli(['coordinator', '--port', '0', '--replicas', '1', '--shard-list', shard.url]);
    client = new FlightClient(coordinator.url);
    const stats = await waitFor('the shard to be live again', async () => {
      const now = await clusterStats(client);
      return now.members.some((m) => m.live) ? now : undefined;
    });
    assert.deepEqual(stats.datasets.map((d) => [d.name, d.rows, d.batches, d.status]), [['keep', 80, 8, 'healthy']]);
    assert.deepEqual(await held(), before);
    const locations = new LocationClients(client, () => undefined);
    const batches: RecordBatch[] = [];
    for await (const { batch } of readShare(locations, 'keep')) batches.push(batch);
    locations.close();
    assert.deepEqual(sortedIds(batches), Array.from({ length: 80 }, (_, i) => i));
  } finally {
    client.close();
    await coordinator.stop();
    await shard.stop();
  }
});

test('a member whose describe fails still goes live, serving what the catalog knows; its other partitions stay on it', async () => {
  const store = new DatasetStore();
  let url = '';
  const node = new NodeService({ store, location: () => url });
  // A shard that lists a partition but cannot describe it (a fault, not an older version).
  async function* failingDescribe(action: Action): AsyncIterable<Result> {
    if (action.type === 'describe') throw new FlightError(Code.INTERNAL, 'cannot read the store');
    yield* node.doAction(action);
  }
  const faulty = new Proxy(node, {
    get: (target, prop) => (prop === 'doAction' ? failingDescribe : (Reflect.get(target, prop) as unknown)),
  }) as FlightService;
  const server = new GrpcServer({ methods: bindFlightService(faulty, requestLimits()), interceptors: [], logger: silentLogger });
  url = `grpc://127.0.0.1:${(await server.listen({ host: '127.0.0.1', port: 0 })).port}`;
  const partition = 'old#p0.0badcafe.b0-8of8';
  const direct = new FlightClient(url);
  await direct.doPut(pathDescriptor(partition), idBatches(8, 10));
  const coordinator = await startCli(['coordinator', '--port', '0', '--replicas', '1', '--shard-list', url]);
  const client = new FlightClient(coordinator.url);
  try {
    const stats = await waitFor('the member live', async () => {
      const now = await clusterStats(client);
      return now.members[0]?.live ? now : undefined;
    });
    assert.deepEqual(stats.datasets, []);
    await client.doPut(pathDescriptor('fresh'), idBatches(4, 10));
    assert.equal((await clusterStats(client)).datasets.find((d) => d.name === 'fresh')?.status, 'healthy');
    const held: string[] = [];
    for await (const info of direct.listFlights()) held.push(info.flightDescriptor!.path[0]!);
    assert.ok(held.includes(partition), held.join(','));
  } finally {
    client.close();
    direct.close();
    await coordinator.stop();
    await server.close(2000);
  }
});
