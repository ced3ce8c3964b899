/** Rank shares, resume cursors and elastic resume on one real node, read with our TypeScript client. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Table, tableFromArrays, vectorFromArray, type RecordBatch } from 'apache-arrow';
import { startCacheNode, type CacheNode } from '../../cache-server/node/cache-node.js';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { ArrowStreamDecoder } from '../../client/src/flight/protocol/arrow-codec.js';
import { Code } from '../../client/src/flight/errors.js';
import { decodeCursor } from '../../cache-server/node/cursor.js';
import type { FlightInfo } from '../../client/src/flight/protocol/messages.js';
import { rejectsWith, jsonCommand as json } from '../helpers/flight.js';

const BATCHES = 7;
const ROWS = 10;
/** Seven batches of ten rows; batch b holds ids b*10 .. b*10+9. */
const dataset = (): RecordBatch[] =>
  Array.from({ length: BATCHES }, (_, b) => new Table({ id: vectorFromArray(Int32Array.from({ length: ROWS }, (_, i) => b * ROWS + i)) }).batches[0]!);
const allIds = Array.from({ length: BATCHES * ROWS }, (_, i) => i);

interface Read {
  ids: number[];
  cursors: string[];
}

/** Reads every endpoint of a FlightInfo, returning the ids in stream order and each batch's cursor. */
async function readInfo(client: FlightClient, info: FlightInfo, stopAfterBatches = Infinity): Promise<Read> {
  const out: Read = { ids: [], cursors: [] };
  for (const endpoint of info.endpoints) {
    const decoder = new ArrowStreamDecoder();
    for await (const data of client.doGetRaw(endpoint.ticket)) {
      const decoded = decoder.decode(data.dataHeader, data.dataBody);
      if (decoded.kind !== 'batch') continue;
      if (out.cursors.length === stopAfterBatches) return out;
      out.ids.push(...Array.from(decoded.batch.getChild('id')!, Number));
      out.cursors.push(Buffer.from(data.appMetadata).toString('utf8'));
    }
  }
  return out;
}



describe('a node holding one dataset of 7 batches', () => {
  let node: CacheNode;
  let client: FlightClient;
  before(async () => {
    node = await startCacheNode({ port: 0 });
    client = new FlightClient(node.url);
    await client.doPut(pathDescriptor('seven'), dataset());
  });
  after(async () => {
    client.close();
    await node.close();
  });

  test('every world size splits the batches into balanced shares whose rows concatenate to the dataset', async () => {
    for (const world of [1, 2, 3, 5, 7, 9]) {
      const ids: number[] = [];
      const counts: number[] = [];
      for (let rank = 0; rank < world; rank++) {
        const info = await client.getFlightInfo(pathDescriptor('seven', String(rank), String(world)));
        assert.ok(info.endpoints.every((e) => e.locations.length === 1 && e.locations[0]!.uri === node.url));
        const read = await readInfo(client, info);
        assert.equal(info.totalRecords, BigInt(read.ids.length));
        assert.equal(read.cursors.length, read.ids.length / ROWS);
        counts.push(read.cursors.length);
        ids.push(...read.ids);
      }
      assert.deepEqual(ids, allIds, `world ${world}`);
      assert.ok(Math.max(...counts) - Math.min(...counts) <= 1);
    }
  });

  test('an empty share has zero endpoints and zero records', async () => {
    const info = await client.getFlightInfo(pathDescriptor('seven', '8', '9'));
    assert.deepEqual(info.endpoints, []);
    assert.equal(info.totalRecords, 0n);
  });

  test('path [RANK, WORLD] reads the only dataset exactly like [name, RANK, WORLD]', async () => {
    const short = await readInfo(client, await client.getFlightInfo(pathDescriptor('1', '3')));
    const named = await readInfo(client, await client.getFlightInfo(pathDescriptor('seven', '1', '3')));
    assert.deepEqual(short, named);
    assert.deepEqual(short.ids, allIds.slice(30, 50));
  });

  test('every batch carries a printable cursor naming its dataset, rank and position', async () => {
    const read = await readInfo(client, await client.getFlightInfo(json({ rank: 1, world_size: 2 })));
    assert.ok(read.cursors.every((c) => /^[A-Za-z0-9_-]+$/.test(c)));
    assert.deepEqual(
      read.cursors.map(decodeCursor),
      [4, 5, 6].map((batch, position) => ({ dataset: 'seven', world: 2, rank: 1, position, batch, done: ROWS, options: 0, batches: 7, rows: 70 })),
    );
  });

  test('start_after resumes with exactly the batches after the cursor, and after the last one with nothing', async () => {
    const first = await readInfo(client, await client.getFlightInfo(json({ dataset: 'seven', rank: 0, world_size: 2 })), 2);
    const rest = await readInfo(client, await client.getFlightInfo(json({ dataset: 'seven', rank: 0, world_size: 2, start_after: first.cursors[1] })));
    assert.deepEqual([...first.ids, ...rest.ids], allIds.slice(0, 40));
    const end = await client.getFlightInfo(json({ rank: 0, world_size: 2, start_after: rest.cursors.at(-1) }));
    assert.deepEqual(end.endpoints, []);
  });

  test('an epoch interrupted at world size 3 resumes at world size 2 with each remaining row delivered once', async () => {
    const seen: number[] = [];
    const cursors: Array<string | null> = [];
    for (const [rank, stop] of [[0, 1], [1, 0], [2, 2]] as const) {
      const read = await readInfo(client, await client.getFlightInfo(json({ rank, world_size: 3 })), stop);
      seen.push(...read.ids);
      cursors.push(read.cursors.at(-1) ?? null);
    }
    const resume = { world_size: 3, cursors };
    const counts: number[] = [];
    for (const rank of [0, 1]) {
      const read = await readInfo(client, await client.getFlightInfo(json({ dataset: 'seven', rank, world_size: 2, resume })));
      counts.push(read.cursors.length);
      seen.push(...read.ids);
    }
    assert.deepEqual(counts, [2, 2]);
    assert.deepEqual(seen.sort((a, b) => a - b), allIds);
  });

  test('bad requests fail with precise statuses and messages', async () => {
    await rejectsWith(client.getFlightInfo(pathDescriptor('seven', '2', '2')), Code.INVALID_ARGUMENT, 'rank 2 is out of range for world size 2 (0 <= rank < world size)');
    await rejectsWith(client.getFlightInfo(pathDescriptor('seven', '0', 'x')), Code.INVALID_ARGUMENT, 'WORLD must be a decimal integer >= 1, got "x"');
    await rejectsWith(client.getFlightInfo(json({ rank: 0, world_size: 1, epoch: 1 })), Code.INVALID_ARGUMENT, '"epoch" only applies with "shuffle": true');
    await rejectsWith(
      client.getFlightInfo(json({ rank: 0, world_size: 1, speed: 2 })),
      Code.INVALID_ARGUMENT,
      'unknown option "speed"; known options: dataset, rank, world_size, start_after, resume, columns, shuffle, seed, epoch, batch_rows, transport, host, hosts, sql, filter',
    );
    await rejectsWith(
      client.getFlightInfo(json({ rank: 0, world_size: 1, start_after: 'garbage!' })),
      Code.INVALID_ARGUMENT,
      'malformed cursor "garbage!": not base64url; use the app_metadata of a batch DoGet sent',
    );
    await rejectsWith(client.getFlightInfo(json({ dataset: 'nope', rank: 0, world_size: 1 })), Code.NOT_FOUND, 'unknown dataset "nope"');
  });
});

describe('cursors and tickets of a dataset that changed', () => {
  test('are refused with FAILED_PRECONDITION', async () => {
    const node = await startCacheNode({ port: 0 });
    const client = new FlightClient(node.url);
    try {
      await client.doPut(pathDescriptor('growing'), dataset());
      const info = await client.getFlightInfo(pathDescriptor('growing', '0', '2'));
      const read = await readInfo(client, info, 1);
      await client.doPut(pathDescriptor('growing'), dataset().slice(0, 1));
      const changed = 'is for an earlier version of dataset "growing" (7 batches, 70 rows; now 8 batches, 80 rows): restart the epoch with GetFlightInfo';
      await rejectsWith(client.getFlightInfo(json({ rank: 0, world_size: 2, start_after: read.cursors[0] })), Code.FAILED_PRECONDITION, `start_after cursor ${changed}`);
      await rejectsWith(readInfo(client, info), Code.FAILED_PRECONDITION, `ticket ${changed}`);
    } finally {
      client.close();
      await node.close();
    }
  });
});

describe('the default dataset of path [RANK, WORLD]', () => {
  test('is NOT_FOUND without datasets, FAILED_PRECONDITION among several, and the named one with --default-dataset', async () => {
    const plain = await startCacheNode({ port: 0 });
    const chosen = await startCacheNode({ port: 0, defaultDataset: 'b' });
    const a = new FlightClient(plain.url);
    const b = new FlightClient(chosen.url);
    try {
      await rejectsWith(
        a.getFlightInfo(pathDescriptor('0', '1')),
        Code.NOT_FOUND,
        'no dataset to read: path [RANK, WORLD] reads the default dataset and this node holds none',
      );
      for (const client of [a, b]) {
        await client.doPut(pathDescriptor('a'), dataset().slice(0, 2));
        await client.doPut(pathDescriptor('b'), dataset().slice(0, 3));
      }
      await rejectsWith(
        a.getFlightInfo(pathDescriptor('0', '1')),
        Code.FAILED_PRECONDITION,
        'path [RANK, WORLD] reads the default dataset, but this node holds 2 datasets (a, b) and was started without --default-dataset: ' +
          'use [name, RANK, WORLD] or start it with --default-dataset NAME',
      );
      assert.equal((await b.getFlightInfo(pathDescriptor('0', '1'))).totalRecords, 30n);
      assert.equal((await b.getFlightInfo(json({ rank: 0, world_size: 1 }))).totalRecords, 30n);
    } finally {
      a.close();
      b.close();
      await plain.close();
      await chosen.close();
    }
  });
});

describe('a dictionary-encoded dataset whose batches replace their dictionary', () => {
  test('each rank decodes its rows with the dictionary in force for them', async () => {
    const node = await startCacheNode({ port: 0 });
    const client = new FlightClient(node.url);
    try {
      const parts = [['a', 'b'], ['c', 'd'], ['e', 'a'], ['f', 'g']];
      for (const s of parts) await client.doPut(pathDescriptor('dict'), tableFromArrays({ s }));
      const values: string[] = [];
      for (let rank = 0; rank < 3; rank++) {
        const info = await client.getFlightInfo(pathDescriptor('dict', String(rank), '3'));
        for (const endpoint of info.endpoints) for await (const batch of client.doGet(endpoint.ticket)) values.push(...Array.from(batch.getChild('s')!, String));
      }
      assert.deepEqual(values, parts.flat());
    } finally {
      client.close();
      await node.close();
    }
  });
});
