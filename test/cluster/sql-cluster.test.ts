/**
 * SQL pushdown on a cluster (`flightcache serve --shards 3 --replicas 2`): the coordinator asks the
 * shards which rows a query selects in their partitions and plans shares over them; the shards
 * stream the selected rows. Read with the TypeScript client, with shares, shuffle and batch_rows.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FlightClient, cmdDescriptor, pathDescriptor } from '../../client/src/flight-client.js';
import { LocationClients, readShare } from '../../client/src/share-reader.js';
import { Code } from '../../client/src/flight/errors.js';
import type { StartedProcess } from '../helpers/process.js';
import { rejectsWith } from '../helpers/flight.js';
import { clusterStats, idBatches, startCli } from './cluster-helpers.js';

const BATCHES = 24;
const ROWS = 50;
const ALL = Array.from({ length: BATCHES * ROWS }, (_, i) => i);
const FILTER = 'id % 7 = 0 OR id BETWEEN 100 AND 260 OR value > 550';
const SELECTED = ALL.filter((id) => id % 7 === 0 || (id >= 100 && id <= 260) || id * 0.5 > 550);

describe('SQL pushdown on a cluster of a coordinator and 3 shards with 2 replicas', () => {
  let cluster: StartedProcess;
  let client: FlightClient;
  let locations: LocationClients;
  before(async () => {
    cluster = await startCli(['serve', '--port', '0', '--shards', '3', '--replicas', '2', '--partition-size', '16KiB']);
    client = new FlightClient(cluster.url);
    locations = new LocationClients(client, () => undefined);
    await client.doPut(pathDescriptor('ids'), idBatches(BATCHES, ROWS));
  });
  after(async () => {
    locations.close();
    client.close();
    assert.deepEqual(await cluster.stop(), { code: 0, signal: null });
  });

  test('every rank of any world size reads each selected row once, from the shards, and total_records counts them', async () => {
    const info = await client.getFlightInfo(cmdDescriptor(JSON.stringify({ dataset: 'ids', filter: FILTER })));
    assert.equal(info.totalRecords, BigInt(SELECTED.length));
    assert.ok(info.endpoints.length > 1, `${info.endpoints.length} endpoints`);
    for (const [world, options] of [[1, {}], [3, { shuffle: true, seed: 4, epoch: 2 }], [4, { batchRows: 33 }]] as const) {
      const ids: number[] = [];
      for (let rank = 0; rank < world; rank++) {
        for await (const { batch } of readShare(locations, 'ids', { rank, worldSize: world, filter: FILTER, ...options })) ids.push(...Array.from(batch.getChild('id')!, Number));
      }
      assert.deepEqual(ids.sort((a, b) => a - b), SELECTED, `world ${world}`);
    }
  });

  test('"sql" with a select list, split_hash and LIMIT (the first selected rows in stored order) runs on the shards; bad columns are refused by the coordinator', async () => {
    const ids: number[] = [];
    for await (const { batch } of readShare(locations, 'ids', { filter: 'split_hash(id) < 0.5' })) ids.push(...Array.from(batch.getChild('id')!, Number));
    const other: number[] = [];
    for await (const { batch } of readShare(locations, 'ids', { filter: 'split_hash(id) >= 0.5' })) other.push(...Array.from(batch.getChild('id')!, Number));
    assert.deepEqual([...ids, ...other].sort((a, b) => a - b), ALL);
    assert.ok(ids.length > ALL.length * 0.4 && ids.length < ALL.length * 0.6);
    const info = await client.getFlightInfo(cmdDescriptor(JSON.stringify({ sql: 'SELECT value AS v FROM ids WHERE id < 10' })));
    assert.equal(info.totalRecords, 10n);
    for (const [world, limit] of [[1, 5], [2, 333], [3, 5000]] as const) {
      const limited: number[] = [];
      for (let rank = 0; rank < world; rank++) {
        const info = await client.getFlightInfo(cmdDescriptor(JSON.stringify({ sql: `SELECT id FROM ids WHERE ${FILTER} LIMIT ${limit}`, rank, world_size: world })));
        for (const endpoint of info.endpoints) {
          for await (const batch of locations.get(endpoint.locations[0]!.uri).doGet(endpoint.ticket)) limited.push(...Array.from(batch.getChild('id')!, Number));
        }
      }
      assert.deepEqual(limited.sort((a, b) => a - b), SELECTED.slice(0, limit), `LIMIT ${limit} over ${world} ranks`);
    }
    await rejectsWith(client.getFlightInfo(cmdDescriptor(JSON.stringify({ dataset: 'ids', filter: 'nope = 1' }))), Code.INVALID_ARGUMENT, /unknown column "nope"/);
    await rejectsWith(client.getFlightInfo(cmdDescriptor(JSON.stringify({ dataset: 'ids', filter: 'id / 0 = 1' }))), Code.INVALID_ARGUMENT, /Divide by zero/);
  });

  test('computed select-list columns are evaluated on the shards over the selected rows of each partition', async () => {
    const rows: [number, number, boolean][] = [];
    for (const world of [1, 2]) {
      rows.length = 0;
      for (let rank = 0; rank < world; rank++) {
        const sql = `SELECT id, value * 4 - id AS twice, id % 3 = 0 AS third FROM ids WHERE ${FILTER}`;
        const info = await client.getFlightInfo(cmdDescriptor(JSON.stringify({ sql, rank, world_size: world })));
        for (const endpoint of info.endpoints) {
          for await (const batch of locations.get(endpoint.locations[0]!.uri).doGet(endpoint.ticket)) {
            assert.deepEqual(batch.schema.fields.map((f) => `${f.name}: ${String(f.type)}`), ['id: Int32', 'twice: Float64', 'third: Bool']);
            for (let i = 0; i < batch.numRows; i++) rows.push([Number(batch.getChild('id')!.get(i)), batch.getChild('twice')!.get(i) as number, batch.getChild('third')!.get(i) as boolean]);
          }
        }
      }
      assert.deepEqual(rows.sort((a, b) => a[0] - b[0]), SELECTED.map((id) => [id, id, id % 3 === 0]), `world ${world}`);
    }
  });

  test('ranks reading a filtered share while a shard is SIGKILLed fail over and deliver each selected row exactly once', async () => {
    const victim = (await clusterStats(client)).members[2]!;
    const world = 3;
    let delivered = 0;
    let killed = false;
    const read = async (rank: number): Promise<number[]> => {
      const clients = new LocationClients(client, () => undefined);
      const ids: number[] = [];
      try {
        for await (const { batch } of readShare(clients, 'ids', { rank, worldSize: world, filter: FILTER, batchRows: 10 })) {
          ids.push(...Array.from(batch.getChild('id')!, Number));
          if (++delivered === 8 && !killed) {
            killed = true;
            process.kill(victim.pid!, 'SIGKILL');
          }
          // A consumer that takes its time, so the kill lands mid-stream.
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      } finally {
        clients.close();
      }
      return ids;
    };
    const ids = (await Promise.all(Array.from({ length: world }, (_, rank) => read(rank)))).flat();
    assert.ok(killed);
    assert.deepEqual(ids.sort((a, b) => a - b), SELECTED);
  });
});
