/**
 * Drops outlive a coordinator restart, with real processes: a shard frozen (SIGSTOP, so it keeps
 * its data) while a dataset is dropped, then the coordinator restarted, then the shard resumed:
 * the restarted coordinator learns the drop from the other shard's tombstone, never adopts the
 * dataset back and has the resumed shard drop its stale copies; a put of the same name afterwards
 * is stored and read like any other. When the shard that missed the drop answers the restarted
 * coordinator first, the dataset is adopted from it and dropped again once a shard with the
 * tombstone answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { Code } from '../../client/src/flight/errors.js';
import { rejectsWith } from '../helpers/flight.js';
import type { StartedProcess } from '../helpers/process.js';
import { clusterStats, idBatches, sortedIds, startCli, waitFor } from './cluster-helpers.js';

/** Names of the datasets a process stores (ListFlights). */
async function held(url: string): Promise<string[]> {
  const client = new FlightClient(url);
  try {
    const names: string[] = [];
    for await (const info of client.listFlights()) names.push(info.flightDescriptor!.path[0]!);
    return names.sort();
  } finally {
    client.close();
  }
}

/** Reads every row of a dataset through the coordinator's plan. */
async function readIds(coordinator: FlightClient, name: string): Promise<number[]> {
  const info = await coordinator.getFlightInfo(pathDescriptor(name));
  const batches = [];
  for (const endpoint of info.endpoints) {
    const shard = new FlightClient(endpoint.locations[0]!.uri);
    for await (const batch of shard.doGet(endpoint.ticket)) batches.push(batch);
    shard.close();
  }
  return sortedIds(batches);
}

const startCoordinator = (shards: readonly StartedProcess[]): Promise<StartedProcess> =>
  startCli(['coordinator', '--port', '0', '--replicas', '2', '--replace-after', '0', '--shard-list', shards.map((s) => s.url).join(',')]);

test('a dataset dropped while a shard was down stays dropped after a coordinator restart and the shard\'s return; a re-put of its name works', async () => {
  const a = await startCli(['shard', '--port', '0']);
  const b = await startCli(['shard', '--port', '0']);
  let coordinator = await startCoordinator([a, b]);
  let client = new FlightClient(coordinator.url);
  let frozen = false;
  try {
    await waitFor('two live members', async () => ((await clusterStats(client)).members.filter((m) => m.live).length === 2 ? true : undefined));
    await client.doPut(pathDescriptor('gone'), idBatches(6, 10));
    await client.doPut(pathDescriptor('kept'), idBatches(4, 10));
    const partitions = (await held(b.url)).filter((name) => name.startsWith('gone#'));
    assert.ok(partitions.length > 0);

    b.child.kill('SIGSTOP');
    frozen = true;
    await waitFor('the frozen shard to be down', async () => ((await clusterStats(client)).members.find((m) => m.id === b.url)!.state === 'down' ? true : undefined));
    assert.deepEqual(await client.action('drop', 'gone'), { dropped: 'gone' });
    assert.deepEqual((await held(a.url)).filter((name) => name.startsWith('gone#')), []);
    const tombstones = await new FlightClient(a.url).action<{ puts: string[] }>('tombstones');
    assert.equal(tombstones.puts.length, 1);
    assert.match(tombstones.puts[0]!, /^gone#[0-9a-f]+$/);

    client.close();
    await coordinator.stop();
    coordinator = await startCoordinator([a, b]);
    client = new FlightClient(coordinator.url);
    await waitFor('the live shard adopted', async () => ((await clusterStats(client)).datasets.some((d) => d.name === 'kept') ? true : undefined));

    b.child.kill('SIGCONT');
    frozen = false;
    const back = await waitFor('the resumed shard to be live', async () => {
      const stats = await clusterStats(client);
      return stats.members.every((m) => m.live) ? stats : undefined;
    });
    assert.deepEqual(back.datasets.map((d) => [d.name, d.rows, d.status]), [['kept', 40, 'healthy']]);
    await rejectsWith(client.getFlightInfo(pathDescriptor('gone')), Code.NOT_FOUND, /gone/);
    // Refill had the returning shard drop its copies of the dropped put, and it now holds the tombstone too.
    await waitFor('the stale copies dropped', async () => ((await held(b.url)).some((name) => name.startsWith('gone#')) ? undefined : true));
    assert.deepEqual((await new FlightClient(b.url).action<{ puts: string[] }>('tombstones')).puts, tombstones.puts);

    await client.doPut(pathDescriptor('gone'), idBatches(3, 10));
    assert.deepEqual(await readIds(client, 'gone'), Array.from({ length: 30 }, (_, i) => i));
    assert.deepEqual((await clusterStats(client)).datasets.map((d) => [d.name, d.rows, d.status]).sort(), [['gone', 30, 'healthy'], ['kept', 40, 'healthy']]);
    assert.deepEqual(await readIds(client, 'kept'), Array.from({ length: 40 }, (_, i) => i));
  } finally {
    if (frozen) b.child.kill('SIGCONT');
    client.close();
    for (const p of [coordinator, a, b]) await p.stop();
  }
});

test('a restarted coordinator that adopted a dropped dataset from a shard before the shard holding the tombstone answered drops it again once that one does', async () => {
  const a = await startCli(['shard', '--port', '0']);
  const b = await startCli(['shard', '--port', '0']);
  let coordinator = await startCoordinator([a, b]);
  let client = new FlightClient(coordinator.url);
  const frozen = new Set<StartedProcess>();
  const freeze = (p: StartedProcess): void => {
    p.child.kill('SIGSTOP');
    frozen.add(p);
  };
  const resume = (p: StartedProcess): void => {
    p.child.kill('SIGCONT');
    frozen.delete(p);
  };
  try {
    await waitFor('two live members', async () => ((await clusterStats(client)).members.filter((m) => m.live).length === 2 ? true : undefined));
    await client.doPut(pathDescriptor('gone'), idBatches(4, 10));
    freeze(b);
    await waitFor('b down', async () => ((await clusterStats(client)).members.find((m) => m.id === b.url)!.state === 'down' ? true : undefined));
    await client.action('drop', 'gone');
    client.close();
    await coordinator.stop();

    // Only b, which missed the drop, answers the new coordinator at first.
    freeze(a);
    resume(b);
    coordinator = await startCoordinator([a, b]);
    client = new FlightClient(coordinator.url);
    const adopted = await waitFor('the dropped dataset adopted from b', async () => (await clusterStats(client)).datasets.find((d) => d.name === 'gone'));
    assert.equal(adopted.rows, 40);

    resume(a);
    await waitFor('the dataset dropped again once a answers', async () => {
      const stats = await clusterStats(client);
      return stats.members.every((m) => m.live) && stats.datasets.length === 0 ? true : undefined;
    });
    await waitFor('b dropped its copies', async () => ((await held(b.url)).some((name) => name.startsWith('gone#')) ? undefined : true));
    await rejectsWith(client.getFlightInfo(pathDescriptor('gone')), Code.NOT_FOUND, /gone/);
  } finally {
    for (const p of frozen) p.child.kill('SIGCONT');
    client.close();
    for (const p of [coordinator, a, b]) await p.stop();
  }
});

test('a put that fails on one shard is tombstoned on the others, so no coordinator adopts what it left', async () => {
  // A shard too small for the put's copies refuses them; the roomy one stores its copies first.
  const roomy = await startCli(['shard', '--port', '0']);
  const small = await startCli(['shard', '--port', '0', '--memory', '64KiB']);
  const args = ['coordinator', '--port', '0', '--replicas', '2', '--partition-size', '16KiB', '--shard-list', `${roomy.url},${small.url}`];
  let coordinator = await startCli(args);
  let client = new FlightClient(coordinator.url);
  try {
    await waitFor('two live members', async () => ((await clusterStats(client)).members.filter((m) => m.live).length === 2 ? true : undefined));
    await rejectsWith(client.doPut(pathDescriptor('big'), idBatches(32, 1000)), Code.UNAVAILABLE, /^put not stored: \d+ copies failed/);
    const shard = new FlightClient(roomy.url);
    const { puts } = await shard.action<{ puts: string[] }>('tombstones');
    shard.close();
    assert.equal(puts.length, 1);
    assert.match(puts[0]!, /^big#[0-9a-f]+$/);

    client.close();
    await coordinator.stop();
    coordinator = await startCli(args);
    client = new FlightClient(coordinator.url);
    await waitFor('two live members', async () => ((await clusterStats(client)).members.filter((m) => m.live).length === 2 ? true : undefined));
    assert.deepEqual((await clusterStats(client)).datasets, []);
    await rejectsWith(client.getFlightInfo(pathDescriptor('big')), Code.NOT_FOUND, /^unknown dataset "big"$/);
  } finally {
    client.close();
    await coordinator.stop();
    await roomy.stop();
    await small.stop();
  }
});
