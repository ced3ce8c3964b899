/**
 * SQL pushdown on one real node: the JSON command's "sql" and "filter" planned by the node, streamed
 * by DoGet as the selected rows, composed with shares, shuffle, batch_rows and cursors; read with
 * our TypeScript client and checked against the rows computed here.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Dictionary, Field, Float64, Int8, Int32, Int64, Struct, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { startCacheNode, type CacheNode } from '../../cache-server/node/cache-node.js';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { ArrowStreamDecoder } from '../../client/src/flight/protocol/arrow-codec.js';
import { Code } from '../../client/src/flight/errors.js';
import type { FlightInfo } from '../../client/src/flight/protocol/messages.js';
import { rejectsWith, jsonCommand as json } from '../helpers/flight.js';
import { repoRoot, runPython } from '../helpers/python.js';
import { connect } from '../../client/src/index.js';

// The Python package is imported from the working tree.
process.env.PYTHONPATH = join(repoRoot(), 'client', 'python', 'src');

const BATCHES = 5;
const ROWS = 40;
const N = BATCHES * ROWS;

interface Row {
  id: number;
  /** A struct column; null for every ninth row. */
  meta: { src: string | null; n: number } | null;
  lang: string | null;
  score: number | null;
  small: number;
  text: string;
}

const LANGS = ['en', 'de', 'fr', 'ja', null];
const rows: Row[] = Array.from({ length: N }, (_, id) => ({
  id,
  meta: id % 9 === 0 ? null : { src: id % 4 === 0 ? null : ['web', 'book', 'code'][id % 3]!, n: id % 10 },
  lang: LANGS[id % 5]!,
  score: id % 7 === 0 ? null : id % 11 === 0 ? NaN : (id * 37) % 100 / 10,
  small: (id % 256) - 128,
  text: ['', 'héllo', '日本語', 'Hello world', 'abc'][id % 5]!,
}));

function table(): Table {
  const t = new Table({
    id: vectorFromArray(rows.map((r) => BigInt(r.id)), new Int64()),
    lang: vectorFromArray(rows.map((r) => r.lang), new Dictionary(new Utf8(), new Int32())),
    score: vectorFromArray(rows.map((r) => r.score), new Float64()),
    small: vectorFromArray(rows.map((r) => r.small), new Int8()),
    text: vectorFromArray(rows.map((r) => r.text), new Utf8()),
    meta: vectorFromArray(rows.map((r) => r.meta), new Struct([new Field('src', new Utf8(), true), new Field('n', new Int32())])),
  });
  return new Table(Array.from({ length: BATCHES }, (_, b) => t.slice(b * ROWS, (b + 1) * ROWS).batches).flat());
}

interface Read {
  ids: number[];
  columns: string[];
  cursors: string[];
  batchRows: number[];
}

/** Reads every endpoint of a FlightInfo: the ids in order, column names, cursors and batch sizes. */
async function readInfo(client: FlightClient, info: FlightInfo): Promise<Read> {
  const out: Read = { ids: [], columns: [], cursors: [], batchRows: [] };
  for (const endpoint of info.endpoints) {
    const decoder = new ArrowStreamDecoder();
    for await (const data of client.doGetRaw(endpoint.ticket)) {
      const decoded = decoder.decode(data.dataHeader, data.dataBody);
      if (decoded.kind !== 'batch') continue;
      const batch = decoded.batch;
      out.columns = batch.schema.fields.map((f) => f.name);
      const id = batch.getChild('id');
      for (let i = 0; i < batch.numRows; i++) out.ids.push(id ? Number(id.get(i)) : -1);
      out.batchRows.push(batch.numRows);
      out.cursors.push(Buffer.from(data.appMetadata).toString('utf8'));
    }
  }
  return out;
}

const idsWhere = (keep: (r: Row) => boolean): number[] => rows.filter(keep).map((r) => r.id);

const MASK = (1n << 64n) - 1n;
/** The documented split_hash: FNV-1a 64 of the key's bytes, xor seed, splitmix64 finaliser, top 53 bits as a fraction. */
function splitHash(bytes: Uint8Array, seed: bigint): number {
  let h = 0xcbf29ce484222325n;
  for (const byte of bytes) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & MASK;
  h ^= seed & MASK;
  h = ((h ^ (h >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
  h = ((h ^ (h >> 27n)) * 0x94d049bb133111ebn) & MASK;
  h ^= h >> 31n;
  return Number(h >> 11n) / 2 ** 53;
}
const int64Bytes = (value: number): Uint8Array => {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigInt64(0, BigInt(value), true);
  return bytes;
};

describe('SQL pushdown on a node holding 5 batches of 40 rows', () => {
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

  test('"filter" streams exactly the rows where the predicate is TRUE, and total_records counts them', async () => {
    const cases: [string, (r: Row) => boolean][] = [
      ["lang = 'en'", (r) => r.lang === 'en'],
      ["lang IN ('de', 'ja') AND score > 5", (r) => (r.lang === 'de' || r.lang === 'ja') && r.score !== null && (Number.isNaN(r.score) || r.score > 5)],
      ['score IS NULL OR small BETWEEN -10 AND 10', (r) => r.score === null || (r.small >= -10 && r.small <= 10)],
      ["NOT (lang = 'fr') AND id % 3 = 0", (r) => r.lang !== null && r.lang !== 'fr' && r.id % 3 === 0],
      ["text LIKE 'H%' OR starts_with(text, 'ab')", (r) => r.text.startsWith('H') || r.text.startsWith('ab')],
      ["length(text) = 3 AND upper(text) <> 'ABC'", (r) => [...r.text].length === 3 && r.text !== 'abc'],
      ["lower(text) ILIKE '%LLO%'", (r) => r.text.toLowerCase().includes('llo')],
    ];
    for (const [filter, keep] of cases) {
      const info = await client.getFlightInfo(json({ dataset: 'docs', filter }));
      const read = await readInfo(client, info);
      assert.deepEqual(read.ids, idsWhere(keep), filter);
      assert.equal(info.totalRecords, BigInt(idsWhere(keep).length), filter);
    }
  });

  test('struct fields are columns by dotted path; a null struct makes its fields null', async () => {
    const info = await client.getFlightInfo(json({ dataset: 'docs', filter: "meta.src = 'web' AND meta.n > 3 OR meta.n IS NULL" }));
    assert.deepEqual((await readInfo(client, info)).ids, idsWhere((r) => (r.meta !== null && r.meta.src === 'web' && r.meta.n > 3) || r.meta === null));
    await rejectsWith(client.getFlightInfo(json({ dataset: 'docs', filter: 'meta.nope = 1' })), Code.INVALID_ARGUMENT, /unknown column "meta.nope" .* at 1:1/);
    await rejectsWith(client.getFlightInfo(json({ dataset: 'docs', filter: 'meta = 1' })), Code.UNIMPLEMENTED, /column "meta" of type struct<.*> cannot be used in a predicate at 1:1/);
  });

  test('"sql" sends the select list\'s columns of the selected rows, cut at LIMIT in stored order', async () => {
    const info = await client.getFlightInfo(json({ sql: "SELECT id, lang FROM docs WHERE small > 0 AND lang IS NOT NULL LIMIT 25" }));
    const read = await readInfo(client, info);
    assert.deepEqual(read.columns, ['id', 'lang']);
    assert.deepEqual(read.ids, idsWhere((r) => r.small > 0 && r.lang !== null).slice(0, 25));
    assert.equal(info.totalRecords, 25n);
    const schema = await client.getSchema(json({ sql: 'SELECT text, id FROM docs' }));
    assert.deepEqual(schema.fields.map((f) => f.name), ['text', 'id']);
    const renamed = await client.getFlightInfo(json({ sql: 'SELECT lang AS language, id, text AS "Body" FROM docs WHERE id < 4' }));
    const decoder = new ArrowStreamDecoder();
    const names: string[][] = [];
    const languages: (string | null)[] = [];
    for await (const data of client.doGetRaw(renamed.endpoints[0]!.ticket)) {
      const decoded = decoder.decode(data.dataHeader, data.dataBody);
      if (decoded.kind !== 'batch') continue;
      names.push(decoded.batch.schema.fields.map((f) => f.name));
      for (let i = 0; i < decoded.batch.numRows; i++) languages.push(decoded.batch.getChild('language')!.get(i) as string | null);
    }
    assert.deepEqual(names, [['language', 'id', 'Body']]);
    assert.deepEqual(languages, ['en', 'de', 'fr', 'ja']);
    assert.deepEqual((await client.getSchema(json({ sql: 'SELECT lang AS language, id FROM docs' }))).fields.map((f) => f.name), ['language', 'id']);
  });

  test('ranks of any world size read each selected row exactly once, shuffled or not, re-chunked or not', async () => {
    const expected = idsWhere((r) => r.lang === 'en' || r.lang === 'de');
    for (const world of [1, 2, 3, 7]) {
      for (const options of [{}, { shuffle: true, seed: 5, epoch: 1 }, { batch_rows: 6 }, { shuffle: true, seed: 9, batch_rows: 4 }]) {
        const all: number[] = [];
        const perRank: number[] = [];
        for (let rank = 0; rank < world; rank++) {
          const info = await client.getFlightInfo(json({ dataset: 'docs', filter: "lang IN ('en', 'de')", rank, world_size: world, ...options }));
          const read = await readInfo(client, info);
          assert.equal(info.totalRecords, BigInt(read.ids.length));
          all.push(...read.ids);
          perRank.push(read.ids.length);
        }
        assert.deepEqual([...all].sort((a, b) => a - b), expected, `world ${world} ${JSON.stringify(options)}`);
        // Shares split whole selected batches: they differ by at most one batch's selected rows (16 here).
        assert.ok(Math.max(...perRank) - Math.min(...perRank) <= 16, `world ${world}: ${perRank.join(',')}`);
      }
    }
  });

  test('a cursor of a filtered, shuffled, re-chunked stream resumes exactly after its row', async () => {
    const command = { dataset: 'docs', filter: 'score > 2.5', shuffle: true, seed: 3, batch_rows: 7 };
    const full = await readInfo(client, await client.getFlightInfo(json(command)));
    for (const at of [0, 3, full.cursors.length - 2]) {
      const rest = await readInfo(client, await client.getFlightInfo(json({ ...command, start_after: full.cursors[at] })));
      const before = full.batchRows.slice(0, at + 1).reduce((a, b) => a + b, 0);
      assert.deepEqual(rest.ids, full.ids.slice(before), `after batch ${at}`);
    }
  });

  test('TABLESAMPLE BERNOULLI(p) REPEATABLE(seed) selects the same rows every time, about p percent of them', async () => {
    const sql = 'SELECT id FROM docs TABLESAMPLE BERNOULLI(30) REPEATABLE(42)';
    const first = await readInfo(client, await client.getFlightInfo(json({ sql })));
    const again = await readInfo(client, await client.getFlightInfo(json({ sql, rank: 1, world_size: 2 })));
    const other = await readInfo(client, await client.getFlightInfo(json({ sql, rank: 0, world_size: 2 })));
    assert.deepEqual([...again.ids, ...other.ids].sort((a, b) => a - b), first.ids);
    assert.ok(first.ids.length > N * 0.2 && first.ids.length < N * 0.4, `${first.ids.length} of ${N}`);
    const seed7 = await readInfo(client, await client.getFlightInfo(json({ sql: sql.replace('42', '7') })));
    assert.notDeepEqual(seed7.ids, first.ids);
  });

  test('the TypeScript client reads a filtered share with read({ filter }), each rank its part', async () => {
    const connection = await connect(node.url);
    try {
      const ids: number[] = [];
      for (const rank of [0, 1]) {
        for await (const { batch } of connection.dataset('docs').read({ filter: "lang = 'ja' OR small < -100", rank, worldSize: 2, batchRows: 5 })) {
          for (let i = 0; i < batch.numRows; i++) ids.push(Number(batch.getChild('id')!.get(i)));
        }
      }
      assert.deepEqual(ids.sort((a, b) => a - b), idsWhere((r) => r.lang === 'ja' || r.small < -100));
    } finally {
      connection.close();
    }
  });

  test('the Python package reads a filtered dataset: FlightCacheDataset(filter=...) on each of 3 ranks and Client.read(filter=...)', async () => {
    const filter = "text <> '' AND score < 5";
    const out = await runPython<{ ranks: number[][]; read: number[] }>('sql_filter_read.py', [node.url, 'docs', filter, '3']);
    const expected = idsWhere((r) => r.text !== '' && r.score !== null && !Number.isNaN(r.score) && r.score < 5);
    assert.deepEqual(out.read, expected);
    assert.deepEqual(out.ranks.flat().sort((a, b) => a - b), expected);
    assert.ok(out.ranks.every((ids) => ids.length > 0));
  });

  test('split_hash(key [, seed]) splits rows by the documented hash of the key alone, the same rows for any world size or shuffle', async () => {
    const train = idsWhere((r) => splitHash(int64Bytes(r.id), 0n) < 0.8);
    assert.ok(train.length > N * 0.7 && train.length < N * 0.9, `${train.length} of ${N}`);
    for (const [world, options] of [[1, {}], [3, { shuffle: true, seed: 1, epoch: 4 }], [4, { batch_rows: 9 }]] as const) {
      const seen: number[] = [];
      const validation: number[] = [];
      for (let rank = 0; rank < world; rank++) {
        seen.push(...(await readInfo(client, await client.getFlightInfo(json({ dataset: 'docs', filter: 'split_hash(id) < 0.8', rank, world_size: world, ...options })))).ids);
        validation.push(...(await readInfo(client, await client.getFlightInfo(json({ dataset: 'docs', filter: 'split_hash(id) >= 0.8', rank, world_size: world, ...options })))).ids);
      }
      assert.deepEqual(seen.sort((a, b) => a - b), train, `world ${world}`);
      assert.deepEqual([...seen, ...validation].sort((a, b) => a - b), rows.map((r) => r.id));
    }
    const byText = await readInfo(client, await client.getFlightInfo(json({ dataset: 'docs', filter: 'split_hash(text, 7) < 0.5' })));
    assert.deepEqual(byText.ids, idsWhere((r) => splitHash(new TextEncoder().encode(r.text), 7n) < 0.5));
    const byNarrowInt = await readInfo(client, await client.getFlightInfo(json({ dataset: 'docs', filter: 'split_hash(small, -3) < 0.5' })));
    assert.deepEqual(byNarrowInt.ids, idsWhere((r) => splitHash(int64Bytes(r.small), -3n) < 0.5));
  });

  test('bad queries fail with INVALID_ARGUMENT or UNIMPLEMENTED naming the construct and its line:column', async () => {
    await rejectsWith(client.getFlightInfo(json({ dataset: 'docs', filter: 'nope > 1' })), Code.INVALID_ARGUMENT, /unknown column "nope" .* at 1:1/);
    await rejectsWith(client.getFlightInfo(json({ dataset: 'docs', filter: "id > 1 AND\n  lang = 3" })), Code.INVALID_ARGUMENT, /cannot compare utf8 and int64 at 2:3/);
    await rejectsWith(client.getFlightInfo(json({ sql: 'SELECT count(*) FROM docs' })), Code.UNIMPLEMENTED, /aggregate function count is not supported at 1:8/);
    await rejectsWith(client.getFlightInfo(json({ sql: 'SELECT id FROM docs JOIN other ON docs.id = other.id' })), Code.UNIMPLEMENTED, /JOIN is not supported/);
    await rejectsWith(client.getFlightInfo(json({ sql: 'SELECT id FROM docs WHERE id IN (SELECT id FROM docs)' })), Code.UNIMPLEMENTED, /subqueries are not supported at 1:27/);
    await rejectsWith(client.getFlightInfo(json({ sql: 'SELECT id FROM docs GROUP BY id' })), Code.UNIMPLEMENTED, /GROUP BY/);
    await rejectsWith(client.getFlightInfo(json({ dataset: 'docs', filter: 'frobnicate(id) = 1' })), Code.INVALID_ARGUMENT, /unknown function frobnicate at 1:1/);
    await rejectsWith(client.getFlightInfo(json({ dataset: 'docs', filter: 'id >' })), Code.INVALID_ARGUMENT, /SQL syntax error/);
    await rejectsWith(client.getFlightInfo(json({ dataset: 'docs', filter: 'CAST(small AS TINYINT) / CAST(-1 AS TINYINT) > 0' })), Code.INVALID_ARGUMENT, /Arithmetic overflow: Overflow happened on: -128 \/ -1/);
    await rejectsWith(client.getFlightInfo(json({ dataset: 'docs', filter: 'id / 0 = 1' })), Code.INVALID_ARGUMENT, /Divide by zero/);
    await rejectsWith(client.getFlightInfo(json({ sql: 'SELECT id FROM missing' })), Code.NOT_FOUND, /unknown dataset "missing"/);
    await rejectsWith(client.getFlightInfo(json({ sql: 'SELECT id AS x, text AS x FROM docs' })), Code.INVALID_ARGUMENT, 'the select list names output column "x" twice');
    await rejectsWith(client.getFlightInfo(json({ sql: 'SELECT CASE WHEN id > 1 THEN 1 END AS x FROM docs' })), Code.UNIMPLEMENTED, /Case expressions are not supported at 1:8/);
    await rejectsWith(client.getFlightInfo(json({ sql: 'SELECT id FROM docs', dataset: 'other' })), Code.INVALID_ARGUMENT, /differs from the dataset the SQL reads/);
  });

  test('hostile SQL (huge, deeply nested, many statements) is refused and the node keeps serving', async () => {
    await rejectsWith(client.getFlightInfo(json({ dataset: 'docs', filter: `id = ${'1 + '.repeat(30_000)}1` })), Code.INVALID_ARGUMENT, /at most 65536/);
    await rejectsWith(client.getFlightInfo(json({ dataset: 'docs', filter: `${'('.repeat(500)}id > 1${')'.repeat(500)}` })), Code.INVALID_ARGUMENT, /recursion limit/);
    await rejectsWith(client.getFlightInfo(json({ sql: 'SELECT id FROM docs; DROP TABLE docs' })), Code.INVALID_ARGUMENT, /one SQL statement/);
    await rejectsWith(client.getFlightInfo(json({ dataset: 'docs', filter: 'id > 1 ORDER BY id' })), Code.UNIMPLEMENTED, /ORDER BY/);
    const info = await client.getFlightInfo(json({ dataset: 'docs', filter: 'id < 3' }));
    assert.deepEqual((await readInfo(client, info)).ids, [0, 1, 2]);
  });
});
