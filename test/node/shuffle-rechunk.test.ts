/** Shuffled and re-chunked reads on one real node: row coverage, order, cursors, resume and dictionaries, read with our TypeScript client. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Dictionary, Float64, Int32, Table, Utf8, tableFromArrays, vectorFromArray, type RecordBatch } from 'apache-arrow';
import { startCacheNode, type CacheNode } from '../../cache-server/node/cache-node.js';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { ArrowStreamDecoder } from '../../client/src/flight/protocol/arrow-codec.js';
import { Code } from '../../client/src/flight/errors.js';
import { decodeCursor } from '../../cache-server/node/cursor.js';
import { optionsTag } from '../../cache-server/node/flight-request.js';
import { epochOrder, rankShare, rowOrder, type Shuffle } from '../../cache-server/node/shares.js';
import type { FlightInfo } from '../../client/src/flight/protocol/messages.js';
import { rejectsWith, jsonCommand as json } from '../helpers/flight.js';

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);
const ascending = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);

/** Rows of the 9 stored batches; batch b holds ids BASE[b] .. BASE[b] + ROWS[b] - 1. */
const ROWS = [13, 1, 20, 7, 11, 16, 5, 9, 6];
const BASE = ROWS.map((_, b) => sum(ROWS.slice(0, b)));
const TOTAL = sum(ROWS);
const nameOf = (id: number): string | null => (id % 5 === 0 ? null : `n${id}`);
const scoreOf = (id: number): number => id / 4;

/** The stored batches: (id int32, name utf8 with nulls, score float64), each column a function of id. */
const dataset = (): RecordBatch[] =>
  ROWS.map((rows, b) => {
    const ids = range(rows, BASE[b]!);
    return new Table({
      id: vectorFromArray(ids, new Int32()),
      name: vectorFromArray(ids.map(nameOf), new Utf8()),
      score: vectorFromArray(ids.map(scoreOf), new Float64()),
    }).batches[0]!;
  });

/** Read options of the JSON command, as a client sends them. */
interface Options {
  shuffle?: boolean;
  seed?: number;
  epoch?: number;
  batch_rows?: number;
  columns?: string[];
  start_after?: string;
  resume?: { world_size: number; cursors: (string | null)[] };
}
const command = (rank: number, world: number, options: Options) => json({ dataset: 'rows', rank, world_size: world, ...options });
const shuffleOf = (options: Options): Shuffle | undefined => (options.shuffle ? { seed: options.seed ?? 0, epoch: options.epoch ?? 0 } : undefined);

/** The ids rank `rank` of `world` reads, in order: its slice of the epoch's batch order, each batch's rows in the row order. */
function expectedIds(rank: number, world: number, shuffle: Shuffle | undefined): number[] {
  return rankShare(epochOrder(ROWS.length, shuffle), rank, world).flatMap(({ batch }) => {
    const rows = shuffle ? Array.from(rowOrder(ROWS[batch]!, batch, shuffle)) : range(ROWS[batch]!);
    return rows.map((row) => BASE[batch]! + row);
  });
}

interface Read {
  ids: number[];
  /** Rows of each batch, per endpoint. */
  endpoints: number[][];
  cursors: string[];
  fields: string[];
}

/** Reads the endpoints of a FlightInfo in order (at most `stopAfter` batches), checking every column against the id. */
async function readInfo(client: FlightClient, info: FlightInfo, stopAfter = Infinity): Promise<Read> {
  const out: Read = { ids: [], endpoints: [], cursors: [], fields: [] };
  for (const endpoint of info.endpoints) {
    const sizes: number[] = [];
    out.endpoints.push(sizes);
    const decoder = new ArrowStreamDecoder();
    for await (const data of client.doGetRaw(endpoint.ticket)) {
      const decoded = decoder.decode(data.dataHeader, data.dataBody);
      if (decoded.kind !== 'batch') continue;
      if (out.cursors.length === stopAfter) return out;
      const batch = decoded.batch;
      out.fields = batch.schema.fields.map((f) => f.name);
      const ids = Array.from(batch.getChild('id')!, Number);
      const names = batch.getChild('name');
      if (names) assert.deepEqual(Array.from(names), ids.map(nameOf));
      const scores = batch.getChild('score');
      if (scores) assert.deepEqual(Array.from(scores), ids.map(scoreOf));
      out.ids.push(...ids);
      sizes.push(ids.length);
      out.cursors.push(Buffer.from(data.appMetadata).toString('utf8'));
    }
  }
  return out;
}

/** Asserts that every cursor of a full read of a rank's share says how many of its rows were sent up to its batch. */
function assertCursors(read: Read, rank: number, world: number, options: Options): void {
  const share = rankShare(epochOrder(ROWS.length, shuffleOf(options)), rank, world);
  const shuffle = shuffleOf(options);
  const tag = optionsTag({ ...(shuffle ? { shuffle } : {}), ...(options.batch_rows !== undefined ? { batchRows: options.batch_rows } : {}) });
  let sent = 0;
  read.endpoints.flat().forEach((rows, i) => {
    sent += rows;
    const cursor = decodeCursor(read.cursors[i]!);
    assert.deepEqual(
      { dataset: cursor.dataset, world: cursor.world, rank: cursor.rank, options: cursor.options, batches: cursor.batches, rows: cursor.rows },
      { dataset: 'rows', world, rank, options: tag, batches: ROWS.length, rows: TOTAL },
    );
    assert.equal(cursor.batch, share[cursor.position]!.batch);
    assert.equal(sum(share.slice(0, cursor.position).map((p) => ROWS[p.batch]!)) + cursor.done, sent, `cursor ${i}`);
  });
}

/** Asserts the batch sizes of a read: `batchRows` each except the last of each endpoint, else whole stored batches. */
function assertBatchSizes(read: Read, batchRows: number | undefined, stored: readonly number[]): void {
  if (batchRows === undefined) {
    assert.deepEqual(read.endpoints.flat(), stored);
    return;
  }
  for (const sizes of read.endpoints) {
    assert.ok(sizes.slice(0, -1).every((n) => n === batchRows), sizes.join(','));
    assert.ok(sizes.length > 0 && sizes.at(-1)! >= 1 && sizes.at(-1)! <= batchRows, sizes.join(','));
  }
}

describe('a node holding 9 batches of 1 to 20 rows', () => {
  let node: CacheNode;
  let client: FlightClient;
  before(async () => {
    node = await startCacheNode({ port: 0 });
    client = new FlightClient(node.url);
    await client.doPut(pathDescriptor('rows'), dataset());
  });
  after(async () => {
    client.close();
    await node.close();
  });

  /** Reads every rank's share of an epoch; returns each rank's read. */
  const readEpoch = async (world: number, options: Options): Promise<Read[]> => {
    const reads: Read[] = [];
    for (let rank = 0; rank < world; rank++) {
      const info = await client.getFlightInfo(command(rank, world, options));
      const read = await readInfo(client, info);
      assert.equal(info.totalRecords, BigInt(read.ids.length));
      reads.push(read);
    }
    return reads;
  };

  test('a shuffled epoch delivers every row once, in its seeded batch and row order, in batches of batch_rows, projected or not', async () => {
    for (const world of [1, 3]) {
      for (const batchRows of [undefined, 7, 1000]) {
        for (const columns of [undefined, ['name', 'id']]) {
          const options: Options = { shuffle: true, seed: 11, epoch: 2, ...(batchRows ? { batch_rows: batchRows } : {}), ...(columns ? { columns } : {}) };
          const what = JSON.stringify({ world, ...options });
          const reads = await readEpoch(world, options);
          reads.forEach((read, rank) => {
            assert.deepEqual(read.ids, expectedIds(rank, world, shuffleOf(options)), what);
            assert.deepEqual(read.fields, columns ?? ['id', 'name', 'score'], what);
            assert.equal(read.endpoints.length, 1, what);
            const stored = rankShare(epochOrder(ROWS.length, shuffleOf(options)), rank, world).map((p) => ROWS[p.batch]!);
            assertBatchSizes(read, batchRows, stored);
            assertCursors(read, rank, world, options);
          });
          assert.deepEqual(ascending(reads.flatMap((r) => r.ids)), range(TOTAL), what);
          assert.deepEqual(await readEpoch(world, options), reads, `${what}: the same seed and epoch read again`);
          const next = await readEpoch(world, { ...options, epoch: 3 });
          assert.deepEqual(ascending(next.flatMap((r) => r.ids)), range(TOTAL), what);
          assert.notDeepEqual(next.flatMap((r) => r.ids), reads.flatMap((r) => r.ids), `${what}: another epoch`);
        }
      }
    }
  });

  test('under a shuffle whole stored batches arrive out of their stored order, each with its rows permuted', async () => {
    const [read] = await readEpoch(1, { shuffle: true, seed: 11, epoch: 2 });
    let at = 0;
    const firsts: number[] = [];
    for (const rows of read!.endpoints[0]!) {
      const ids = read!.ids.slice(at, (at += rows));
      const stored = ascending(ids);
      assert.ok(BASE.includes(stored[0]!) && ROWS[BASE.indexOf(stored[0]!)] === rows, `batch of ${rows} rows from ${stored[0]}`);
      assert.deepEqual(stored, range(rows, stored[0]));
      if (rows > 1) assert.notDeepEqual(ids, stored);
      firsts.push(stored[0]!);
    }
    assert.equal(firsts.length, ROWS.length);
    assert.notDeepEqual(firsts, BASE);
  });

  test('without shuffle, batch_rows re-chunks the stored order', async () => {
    const [read] = await readEpoch(1, { batch_rows: 7 });
    assert.deepEqual(read!.ids, range(TOTAL));
    assert.deepEqual(read!.endpoints, [[...Array.from({ length: Math.floor(TOTAL / 7) }, () => 7), TOTAL % 7]]);
    assertCursors(read!, 0, 1, { batch_rows: 7 });
  });

  test('start_after any cursor, mid-batch ones included, continues with exactly the remaining rows', async () => {
    for (const batchRows of [undefined, 7, 1000]) {
      for (const rank of [0, 1]) {
        const options: Options = { shuffle: true, seed: 5, epoch: 1, columns: ['id', 'score'], ...(batchRows ? { batch_rows: batchRows } : {}) };
        const what = JSON.stringify({ rank, ...options });
        const full = await readInfo(client, await client.getFlightInfo(command(rank, 3, options)));
        assert.deepEqual(full.ids, expectedIds(rank, 3, shuffleOf(options)), what);
        const midBatch = full.cursors.map(decodeCursor).filter((c) => c.done < ROWS[c.batch]!);
        assert.equal(midBatch.length > 0, batchRows === 7, `${what}: some cursors fall inside a stored batch`);
        let sent = 0;
        for (const [i, cursor] of full.cursors.entries()) {
          sent += full.endpoints.flat()[i]!;
          const info = await client.getFlightInfo(command(rank, 3, { ...options, start_after: cursor }));
          const rest = await readInfo(client, info);
          assert.deepEqual(rest.ids, full.ids.slice(sent), `${what}: after cursor ${i}`);
          assert.equal(info.totalRecords, BigInt(full.ids.length - sent));
          if (batchRows !== undefined) assertBatchSizes(rest, batchRows, []);
          if (rest.cursors.length > 1) {
            const again = await readInfo(client, await client.getFlightInfo(command(rank, 3, { ...options, start_after: rest.cursors[0] })));
            assert.deepEqual(again.ids, rest.ids.slice(rest.endpoints.flat()[0]), `${what}: after cursor ${i}, then the first cursor of the rest`);
          }
        }
      }
    }
  });

  test('an epoch interrupted mid-batch at world size 3, some ranks before their first batch, resumes at world sizes 1, 2 and 4 with every remaining row delivered once', async () => {
    for (const [batchRows, stops] of [[undefined, [2, 0, 1]], [7, [2, 0, 1]], [7, [1, 3, 2]]] as const) {
      for (const newWorld of [1, 2, 4]) {
        const options: Options = { shuffle: true, seed: 3, epoch: 9, ...(batchRows ? { batch_rows: batchRows } : {}) };
        const what = JSON.stringify({ newWorld, stops, ...options });
        const seen: number[] = [];
        const left: number[] = [];
        const cursors: (string | null)[] = [];
        for (const [rank, stop] of stops.entries()) {
          const read = await readInfo(client, await client.getFlightInfo(command(rank, 3, options)), stop);
          seen.push(...read.ids);
          left.push(...expectedIds(rank, 3, shuffleOf(options)).slice(read.ids.length));
          cursors.push(read.cursors.at(-1) ?? null);
        }
        const resume = { world_size: 3, cursors };
        const resumed: number[] = [];
        for (let rank = 0; rank < newWorld; rank++) {
          const info = await client.getFlightInfo(command(rank, newWorld, { ...options, resume }));
          const read = await readInfo(client, info);
          assert.equal(info.totalRecords, BigInt(read.ids.length));
          resumed.push(...read.ids);
          if (read.cursors.length > 1) {
            const rest = await readInfo(client, await client.getFlightInfo(command(rank, newWorld, { ...options, resume, start_after: read.cursors[0] })));
            assert.deepEqual(rest.ids, read.ids.slice(read.endpoints.flat()[0]), `${what}: rank ${rank} after its first cursor`);
          }
        }
        assert.deepEqual(resumed, left, `${what}: the rows the old ranks had left, in old-rank order`);
        assert.deepEqual(ascending([...seen, ...resumed]), range(TOTAL), what);
      }
    }
  });

  test('cursors are refused with other options than they were issued for', async () => {
    const options: Options = { shuffle: true, seed: 5, epoch: 1, batch_rows: 7 };
    const read = await readInfo(client, await client.getFlightInfo(command(0, 3, options)), 1);
    const refused = 'was issued for other shuffle, seed, epoch, batch_rows or resume options than this request\'s';
    for (const other of [{ ...options, epoch: 2 }, { ...options, seed: 6 }, { ...options, batch_rows: 8 }, { shuffle: true, seed: 5, epoch: 1 }, {}]) {
      await rejectsWith(client.getFlightInfo(command(0, 3, { ...other, start_after: read.cursors[0] })), Code.INVALID_ARGUMENT, `start_after cursor ${refused}`);
      await rejectsWith(
        client.getFlightInfo(command(0, 2, { ...other, resume: { world_size: 3, cursors: [read.cursors[0]!, null, null] } })),
        Code.INVALID_ARGUMENT,
        `resume.cursors[0] ${refused}`,
      );
    }
    await rejectsWith(client.getFlightInfo(command(0, 1, { seed: 5 })), Code.INVALID_ARGUMENT, '"seed" only applies with "shuffle": true');
    await rejectsWith(client.getFlightInfo(command(0, 1, { batch_rows: 0 })), Code.INVALID_ARGUMENT, '"batch_rows" must be an integer >= 1, got 0');
  });
});

describe('a dictionary-encoded column', () => {
  let node: CacheNode;
  let client: FlightClient;
  before(async () => {
    node = await startCacheNode({ port: 0 });
    client = new FlightClient(node.url);
  });
  after(async () => {
    client.close();
    await node.close();
  });

  /** Reads one column of every endpoint of a request, batch by batch, as strings. */
  const readColumns = async (descriptor: ReturnType<typeof json>, column: string): Promise<Array<string | null>[]> => {
    const out: Array<string | null>[] = [];
    const info = await client.getFlightInfo(descriptor);
    for (const endpoint of info.endpoints) for await (const batch of client.doGet(endpoint.ticket)) out.push(Array.from(batch.getChild(column)!, (v) => (v === null ? null : String(v))));
    return out;
  };

  test('with one dictionary for all batches is read shuffled and re-chunked with the right values', async () => {
    const colors = ['red', 'green', 'blue'];
    const colorOf = (id: number): string | null => (id % 4 === 0 ? null : colors[id % 3]!);
    const ids = range(40);
    const table = new Table({ id: vectorFromArray(ids, new Int32()), color: vectorFromArray(ids.map(colorOf), new Dictionary(new Utf8(), new Int32())) });
    await client.doPut(pathDescriptor('colors'), Array.from({ length: 5 }, (_, b) => table.slice(b * 8, (b + 1) * 8).batches).flat());
    assert.deepEqual(node.store.get('colors')!.messages.map((m) => m.kind).filter((k) => k === 'dictionary_batch'), ['dictionary_batch']);
    for (const world of [1, 2]) {
      for (const batchRows of [undefined, 5]) {
        const seen: number[] = [];
        for (let rank = 0; rank < world; rank++) {
          const request = { dataset: 'colors', rank, world_size: world, shuffle: true, seed: 2, ...(batchRows ? { batch_rows: batchRows } : {}) };
          const idBatches = await readColumns(json(request), 'id');
          const colorBatches = await readColumns(json(request), 'color');
          const got = idBatches.flat().map(Number);
          assert.deepEqual(colorBatches.flat(), got.map(colorOf));
          const projected = await readColumns(json({ ...request, columns: ['color'] }), 'color');
          assert.deepEqual(projected.flat(), got.map(colorOf));
          assert.notDeepEqual(got, ascending(got));
          seen.push(...got);
        }
        assert.deepEqual(ascending(seen), ids);
      }
    }
  });

  test('replaced between batches is refused under a shuffle, and re-chunked in order with the right values', async () => {
    const parts = [['a', 'b'], ['c', 'd'], ['e', 'a'], ['f', 'g']];
    for (const s of parts) await client.doPut(pathDescriptor('replaced'), tableFromArrays({ s }));
    assert.deepEqual(Array.from(epochOrder(4, { seed: 1, epoch: 0 })).sort(), [0, 1, 2, 3]);
    assert.notDeepEqual(Array.from(epochOrder(4, { seed: 1, epoch: 0 })), [0, 1, 2, 3]);
    await rejectsWith(
      readColumns(json({ dataset: 'replaced', rank: 0, world_size: 1, shuffle: true, seed: 1 }), 's'),
      Code.FAILED_PRECONDITION,
      'dataset "replaced" replaces or extends its dictionaries between batches, so its batches cannot be read out of order (shuffle)',
    );
    for (const batchRows of [1, 3, 100]) {
      const batches = await readColumns(json({ dataset: 'replaced', rank: 0, world_size: 1, batch_rows: batchRows }), 's');
      assert.deepEqual(batches.flat(), parts.flat(), `batch_rows ${batchRows}`);
      assert.ok(batches.every((b) => b.length <= batchRows));
    }
  });
});
