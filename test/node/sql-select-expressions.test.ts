/**
 * Computed select-list columns on one real node: `SELECT <expressions [AS alias]> FROM ...` through
 * GetFlightInfo and DoGet, checked value by value (and type by type) against rows computed here,
 * composed with WHERE, ranks, shuffle, batch_rows and cursors; evaluation errors name the column.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Dictionary, Field, Float32, Int8, Int32, Int64, LargeUtf8, Struct, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { startCacheNode, type CacheNode } from '../../cache-server/node/cache-node.js';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { ArrowStreamDecoder } from '../../client/src/flight/protocol/arrow-codec.js';
import { Code } from '../../client/src/flight/errors.js';
import type { FlightInfo } from '../../client/src/flight/protocol/messages.js';
import { rejectsWith, jsonCommand as json } from '../helpers/flight.js';

const BATCHES = 4;
const ROWS = 25;
const N = BATCHES * ROWS;

interface Row {
  id: number;
  small: number | null;
  x: number;
  f: number;
  text: string | null;
  big: string;
  lang: string | null;
  meta: { n: number } | null;
}

const TEXTS = ['Héllo', 'ABC', '', '日本語', null];
const rows: Row[] = Array.from({ length: N }, (_, id) => ({
  id,
  small: id % 6 === 0 ? null : id === 1 ? -128 : (id * 13) % 256 - 128,
  x: id * 1000,
  f: id / 4,
  text: TEXTS[id % 5]!,
  big: `Row${id}`,
  lang: ['en', 'de', null][id % 3]!,
  meta: id % 7 === 0 ? null : { n: id % 10 },
}));

function table(): Table {
  const t = new Table({
    id: vectorFromArray(rows.map((r) => BigInt(r.id)), new Int64()),
    small: vectorFromArray(rows.map((r) => r.small), new Int8()),
    x: vectorFromArray(rows.map((r) => r.x), new Int32()),
    f: vectorFromArray(rows.map((r) => r.f), new Float32()),
    text: vectorFromArray(rows.map((r) => r.text), new Utf8()),
    big: vectorFromArray(rows.map((r) => r.big), new LargeUtf8()),
    lang: vectorFromArray(rows.map((r) => r.lang), new Dictionary(new Utf8(), new Int32())),
    meta: vectorFromArray(rows.map((r) => r.meta), new Struct([new Field('n', new Int32())])),
  });
  return new Table(Array.from({ length: BATCHES }, (_, b) => t.slice(b * ROWS, (b + 1) * ROWS).batches).flat());
}

interface Read {
  names: string[];
  types: string[];
  values: Record<string, unknown[]>;
  cursors: string[];
  batchRows: number[];
}

/** Reads every endpoint of a FlightInfo: output names and types, each column's values in order, cursors and batch sizes. */
async function readInfo(client: FlightClient, info: FlightInfo): Promise<Read> {
  const out: Read = { names: [], types: [], values: {}, cursors: [], batchRows: [] };
  for (const endpoint of info.endpoints) {
    const decoder = new ArrowStreamDecoder();
    for await (const data of client.doGetRaw(endpoint.ticket)) {
      const decoded = decoder.decode(data.dataHeader, data.dataBody);
      if (decoded.kind !== 'batch') continue;
      const batch = decoded.batch;
      out.names = batch.schema.fields.map((f) => f.name);
      out.types = batch.schema.fields.map((f) => String(f.type));
      for (const name of out.names) {
        const column = batch.getChild(name)!;
        const values = (out.values[name] ??= []);
        for (let i = 0; i < batch.numRows; i++) {
          const v: unknown = column.get(i);
          values.push(typeof v === 'bigint' ? Number(v) : v);
        }
      }
      out.batchRows.push(batch.numRows);
      out.cursors.push(Buffer.from(data.appMetadata).toString('utf8'));
    }
  }
  return out;
}

const f32 = (v: number): number => Math.fround(v);
const chars = (s: string): number => [...s].length;

describe('computed select-list columns on a node holding 4 batches of 25 rows', () => {
  let node: CacheNode;
  let client: FlightClient;
  before(async () => {
    node = await startCacheNode({ port: 0 });
    client = new FlightClient(node.url);
    await client.doPut(pathDescriptor('docs'), table().batches);
  });
  after(async () => {
    client.close();
    await node.close();
  });

  test('arithmetic, CAST, string functions, comparisons and struct fields compute per selected row, with DataFusion\'s names and types', async () => {
    const sql =
      'SELECT id, small + 1, x * 2 AS doubled, x / 7 AS q, x % 7 AS r, f * 2, CAST(x AS DOUBLE) / 4 AS ratio, CAST(f AS INT) AS whole, ' +
      "-small AS neg, length(text), character_length(big) AS n, lower(text), upper(big) AS shout, small > 0 AND NOT text = 'ABC' AS flag, " +
      "meta.n * 10 AS tens, lang = 'en' AS english, lang FROM docs WHERE id % 2 = 0";
    const info = await client.getFlightInfo(json({ sql }));
    const read = await readInfo(client, info);
    const kept = rows.filter((r) => r.id % 2 === 0);
    assert.equal(info.totalRecords, BigInt(kept.length));
    assert.deepEqual(read.names, ['id', 'docs.small + Int64(1)', 'doubled', 'q', 'r', 'docs.f * Int64(2)', 'ratio', 'whole', 'neg', 'length(docs.text)', 'n', 'lower(docs.text)', 'shout', 'flag', 'tens', 'english', 'lang']);
    assert.deepEqual(read.types, ['Int64', 'Int64', 'Int64', 'Int64', 'Int64', 'Float32', 'Float64', 'Int32', 'Int8', 'Int32', 'Int64', 'Utf8', 'LargeUtf8', 'Bool', 'Int64', 'Bool', 'Dictionary<Int32, Utf8>']);
    const v = read.values;
    assert.deepEqual(v.id, kept.map((r) => r.id));
    assert.deepEqual(v['docs.small + Int64(1)'], kept.map((r) => (r.small === null ? null : r.small + 1)));
    assert.deepEqual(v.doubled, kept.map((r) => r.x * 2));
    assert.deepEqual(v.q, kept.map((r) => Math.trunc(r.x / 7)));
    assert.deepEqual(v.r, kept.map((r) => r.x % 7));
    assert.deepEqual(v['docs.f * Int64(2)'], kept.map((r) => f32(f32(r.f) * 2)));
    assert.deepEqual(v.ratio, kept.map((r) => r.x / 4));
    assert.deepEqual(v.whole, kept.map((r) => Math.trunc(f32(r.f))));
    assert.deepEqual(v.neg, kept.map((r) => (r.small === null ? null : r.small === -128 ? -128 : -r.small)));
    assert.deepEqual(v['length(docs.text)'], kept.map((r) => (r.text === null ? null : chars(r.text))));
    assert.deepEqual(v.n, kept.map((r) => r.big.length));
    assert.deepEqual(v['lower(docs.text)'], kept.map((r) => (r.text === null ? null : r.text.toLowerCase())));
    assert.deepEqual(v.shout, kept.map((r) => r.big.toUpperCase()));
    // Three-valued logic: FALSE AND NULL is FALSE, TRUE AND NULL is NULL.
    assert.deepEqual(v.flag, kept.map((r) => {
      const left = r.small === null ? null : r.small > 0;
      const right = r.text === null ? null : r.text !== 'ABC';
      if (left === false || right === false) return false;
      return left === null || right === null ? null : true;
    }));
    assert.deepEqual(v.tens, kept.map((r) => (r.meta === null ? null : r.meta.n * 10)));
    assert.deepEqual(v.english, kept.map((r) => (r.lang === null ? null : r.lang === 'en')));
    // A dictionary column sent as stored next to a computed one that reads it: its dictionary is sent once.
    assert.deepEqual(v.lang, kept.map((r) => r.lang));
    const schema = await client.getSchema(json({ sql }));
    assert.deepEqual(schema.fields.map((f) => f.name), read.names);
  });

  test('computed columns compose with ranks, shuffle, batch_rows and exact cursor resumes', async () => {
    const sql = 'SELECT id, x + id AS s FROM docs WHERE small IS NOT NULL';
    const expected = rows.filter((r) => r.small !== null).map((r) => [r.id, r.x + r.id]);
    for (const world of [1, 3]) {
      for (const options of [{}, { shuffle: true, seed: 4, epoch: 2 }, { batch_rows: 7 }, { shuffle: true, seed: 8, batch_rows: 5 }]) {
        const all: number[][] = [];
        for (let rank = 0; rank < world; rank++) {
          const read = await readInfo(client, await client.getFlightInfo(json({ sql, rank, world_size: world, ...options })));
          read.values.id?.forEach((id, i) => all.push([id as number, read.values.s![i] as number]));
        }
        assert.deepEqual(all.sort((a, b) => a[0]! - b[0]!), expected, `world ${world} ${JSON.stringify(options)}`);
      }
    }
    const command = { sql, shuffle: true, seed: 3, batch_rows: 6 };
    const full = await readInfo(client, await client.getFlightInfo(json(command)));
    for (const at of [0, 4]) {
      const rest = await readInfo(client, await client.getFlightInfo(json({ ...command, start_after: full.cursors[at] })));
      const before = full.batchRows.slice(0, at + 1).reduce((a, b) => a + b, 0);
      assert.deepEqual(rest.values.s, full.values.s!.slice(before), `after batch ${at}`);
    }
  });

  test('evaluation errors are INVALID_ARGUMENT naming DataFusion\'s error and the select-list column', async () => {
    await rejectsWith(readInfo(client, await client.getFlightInfo(json({ sql: 'SELECT x / (id - id) AS bad FROM docs' }))), Code.INVALID_ARGUMENT, /Divide by zero error \(select-list column "bad" at 1:8\)/);
    await rejectsWith(readInfo(client, await client.getFlightInfo(json({ sql: 'SELECT x % 0 FROM docs' }))), Code.INVALID_ARGUMENT, /Divide by zero error \(select-list column "docs.x % Int64\(0\)" at 1:8\)/);
    await rejectsWith(readInfo(client, await client.getFlightInfo(json({ sql: 'SELECT CAST(x AS TINYINT) FROM docs WHERE id = 1' }))), Code.INVALID_ARGUMENT, /Cast error: Can't cast value 1000 to type Int8 \(select-list column "docs.x" at 1:13\)/);
    await rejectsWith(readInfo(client, await client.getFlightInfo(json({ sql: 'SELECT CAST(small AS TINYINT) / CAST(-1 AS TINYINT) AS o FROM docs' }))), Code.INVALID_ARGUMENT, /Arithmetic overflow: Overflow happened on: -128 \/ -1 \(select-list column "o"/);
    await rejectsWith(client.getFlightInfo(json({ sql: "SELECT x + 'a' FROM docs" })), Code.INVALID_ARGUMENT, /expected a number, got utf8 at 1:8/);
    await rejectsWith(client.getFlightInfo(json({ sql: 'SELECT nope + 1 FROM docs' })), Code.INVALID_ARGUMENT, /unknown column "nope"/);
    await rejectsWith(client.getFlightInfo(json({ sql: 'SELECT x + 1 AS a, x - 1 AS a FROM docs' })), Code.INVALID_ARGUMENT, 'the select list names output column "a" twice');
    // Rows filtered out are not evaluated: no division by zero where WHERE drops the zero.
    const read = await readInfo(client, await client.getFlightInfo(json({ sql: 'SELECT 100 / id AS inv FROM docs WHERE id > 0 AND id < 3' })));
    assert.deepEqual(read.values.inv, [100, 50]);
  });
});
