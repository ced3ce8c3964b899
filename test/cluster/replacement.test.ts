/**
 * Replacement of a shard that stays down, with real processes: a coordinator with a static list of
 * three shards, R=2 and --replace-after 1s. A SIGKILLed shard's partitions get copies on the other
 * two, so the dataset is healthy again and reads exact from every replica; puts and appends go on;
 * when a shard returns on the killed one's address (same member id), rebalancing gives it back its
 * share and the extra copies are dropped, leaving exactly R copies of every partition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RecordBatch } from 'apache-arrow';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { PARTITION_NAME } from '../../cache-server/cluster/catalog.js';
import { placeReplicas } from '../../cache-server/cluster/placement.js';
import { startProcess, type StartedProcess } from '../helpers/process.js';
import { CLI, clusterStats, idBatches, startCli, waitFor } from './cluster-helpers.js';

const portOf = (url: string): string => new URL(url.replace(/^grpc:/, 'http:')).port;

/** Every (id, value) row of some batches, in order. */
const rowsOf = (batches: readonly RecordBatch[]): number[][] =>
  batches.flatMap((b) => Array.from({ length: b.numRows }, (_, i) => [b.getChild('id')!.get(i) as number, b.getChild('value')!.get(i) as number]));

/** The rows [id, id * 0.5] for ids [from, to). */
const expectedRows = (from: number, to: number): number[][] => Array.from({ length: to - from }, (_, i) => [from + i, (from + i) * 0.5]);

/** The dataset's rows read from every location of every endpoint; all replicas of an endpoint must agree. */
async function readEveryReplica(client: FlightClient, dataset: string): Promise<number[][]> {
  const info = await client.getFlightInfo(pathDescriptor(dataset));
  const rows: number[][] = [];
  for (const endpoint of info.endpoints) {
    const copies: number[][][] = [];
    for (const location of endpoint.locations) {
      const shard = new FlightClient(location.uri);
      const batches: RecordBatch[] = [];
      for await (const batch of shard.doGet(endpoint.ticket)) batches.push(batch);
      shard.close();
      copies.push(rowsOf(batches));
    }
    assert.equal(copies.length, 2, `endpoint served by ${endpoint.locations.map((l) => l.uri).join(', ')}`);
    assert.deepEqual(copies[1], copies[0]);
    rows.push(...copies[0]!);
  }
  return rows;
}

/** The partition copies each shard stores, by shard url. */
async function holdings(urls: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const url of urls) {
    const shard = new FlightClient(url);
    const names: string[] = [];
    for await (const info of shard.listFlights()) if (PARTITION_NAME.test(info.flightDescriptor!.path[0]!)) names.push(info.flightDescriptor!.path[0]!);
    shard.close();
    out.set(url, names.sort());
  }
  return out;
}

/** The shards holding each partition. */
function holdersOf(held: Map<string, string[]>): Map<string, string[]> {
  const holders = new Map<string, string[]>();
  for (const [url, names] of held) for (const name of names) holders.set(name, [...(holders.get(name) ?? []), url].sort());
  return holders;
}

test('a shard that stays down is replaced after --replace-after, and when it returns on its address the cluster settles to R copies', async () => {
  const shards = await Promise.all([0, 1, 2].map(() => startCli(['shard', '--port', '0'])));
  const urls = shards.map((s) => s.url);
  const processes: StartedProcess[] = [...shards];
  const coordinator = await startProcess(process.execPath, [CLI, 'coordinator', '--port', '0', '--replicas', '2', '--shard-list', urls.join(','), '--replace-after', '1s'], /^flightcache ready (grpc:\/\/\S+)$/, {
    env: { ...process.env, FLIGHTCACHE_LOG_LEVEL: 'info' },
  });
  processes.push(coordinator);
  const client = new FlightClient(coordinator.url);
  try {
    await waitFor('three live members', async () => ((await clusterStats(client)).members.filter((m) => m.live).length === 3 ? true : undefined));
    await client.doPut(pathDescriptor('d'), idBatches(24, 20));
    const [victim, ...survivors] = urls as [string, string, string];
    const victimHeld = (await holdings([victim])).get(victim)!;
    assert.ok(victimHeld.length > 0);

    shards[0]!.child.kill('SIGKILL');
    const partitions = (await clusterStats(client)).datasets[0]!.partitions;
    const replaced = await waitFor('the dataset healthy again on the two live shards', async () => {
      const stats = await clusterStats(client);
      if (stats.members.find((m) => m.id === victim)!.state !== 'down' || stats.datasets[0]!.status !== 'healthy') return undefined;
      const holders = holdersOf(await holdings(survivors));
      return holders.size === partitions && [...holders.values()].every((h) => h.length === 2) ? stats : undefined;
    });
    assert.deepEqual(replaced.datasets[0]!.degraded, []);
    assert.deepEqual(await readEveryReplica(client, 'd'), expectedRows(0, 480));
    // One info line for the replaced member, with every partition it held.
    const replacedLines = (): { member: string; partitions: number }[] =>
      coordinator
        .stderr()
        .split('\n')
        .filter((line) => line.includes('replace-after') && line.includes('"level":30'))
        .map((line) => JSON.parse(line) as { member: string; partitions: number });
    const logged = await waitFor('the replacement log line', async () => (replacedLines().length > 0 ? replacedLines() : undefined));
    assert.deepEqual(logged.map(({ member, partitions: n }) => [member, n]), [[victim, victimHeld.length]]);

    // Appended to and put while the victim is down: placed on the live shards only.
    await client.doPut(pathDescriptor('d'), idBatches(30, 20).slice(24));
    await client.doPut(pathDescriptor('e'), idBatches(8, 10));
    assert.deepEqual(
      (await clusterStats(client)).datasets.map((d) => [d.name, d.rows, d.status]),
      [['d', 600, 'healthy'], ['e', 80, 'healthy']],
    );

    processes.push(await startCli(['shard', '--port', portOf(victim)]));
    const settled = await waitFor(
      'the returned shard live and every partition on exactly its rendezvous placement',
      async () => {
        const stats = await clusterStats(client);
        if (!stats.members.every((m) => m.live) || !stats.datasets.every((d) => d.status === 'healthy')) return undefined;
        const holders = holdersOf(await holdings(urls));
        const total = stats.datasets.reduce((sum, d) => sum + d.partitions, 0);
        if (holders.size !== total) return undefined;
        const placed = [...holders].every(([name, h]) => {
          const wanted = placeReplicas(`${name.slice(0, name.indexOf('#'))}/${name}`, urls, 2).sort();
          return h.length === 2 && h[0] === wanted[0] && h[1] === wanted[1];
        });
        return placed ? holders : undefined;
      },
      25_000,
    );
    assert.ok([...settled.values()].some((h) => h.includes(victim)));
    assert.deepEqual(await readEveryReplica(client, 'd'), expectedRows(0, 600));
    assert.deepEqual(await readEveryReplica(client, 'e'), expectedRows(0, 80));
  } finally {
    client.close();
    for (const p of processes.reverse()) await p.stop();
  }
});
