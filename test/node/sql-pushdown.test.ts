/**
 * SQL pushdown on one real node: the JSON command's "sql" and "filter" planned by the node, streamed
 * by DoGet as the selected rows, composed with shares, shuffle, batch_rows and cursors; read with
 * our TypeScript client and checked against the rows computed here.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Dictionary, Float64, Int8, Int32, Int64, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { startCacheNode, type CacheNode } from '../../cache-server/node/cache-node.js';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { ArrowStreamDecoder } from '../../client/src/flight/protocol/arrow-codec.js';
import { Code } from '../../client/src/flight/errors.js';
import type { FlightInfo } from '../../client/src/flight/protocol/messages.js';
import { rejectsWith, jsonCommand as json } from '../helpers/flight.js';

const BATCHES = 5;
const ROWS = 40;
const N = BATCHES * ROWS;

interface Row {
  id: number;
  lang: string | null;
  score: number | null;
  small: number;
  text: string;
}

const LANGS = ['en', 'de', 'fr', 'ja', null];
const rows: Row[] = Array.from({ length: N }, (_, id) => ({
  id,
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

  test('"sql" sends the select list\'s columns of the selected rows, cut at LIMIT in stored order', async () => {
    const info = await client.getFlightInfo(json({ sql: "SELECT id, lang FROM docs WHERE small > 0 AND lang IS NOT NULL LIMIT 25" }));
    const read = await readInfo(client, info);
    assert.deepEqual(read.columns, ['id', 'lang']);
    assert.deepEqual(read.ids, idsWhere((r) => r.small > 0 && r.lang !== null).slice(0, 25));
    assert.equal(info.totalRecords, 25n);
    const schema = await client.getSchema(json({ sql: 'SELECT text, id FROM docs' }));
    assert.deepEqual(schema.fields.map((f) => f.name), ['text', 'id']);
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

  test('bad queries fail with INVALID_ARGUMENT or UNIMPLEMENTED naming the construct and its line:column', async () => {
    await rejectsWith(client.getFlightInfo(json({ dataset: 'docs', filter: 'nope > 1' })), Code.INVALID_ARGUMENT, /unknown column "nope" .* at 1:1/);
    await rejectsWith(client.getFlightInfo(json({ dataset: 'docs', filter: "id > 1 AND\n  lang = 3" })), Code.INVALID_ARGUMENT, /cannot compare utf8 and int64 at 2:3/);
    await rejectsWith(client.getFlightInfo(json({ sql: 'SELECT count(*) FROM docs' })), Code.UNIMPLEMENTED, /function or aggregate .* at 1:8/);
    await rejectsWith(client.getFlightInfo(json({ sql: 'SELECT id FROM docs JOIN other ON docs.id = other.id' })), Code.UNIMPLEMENTED, /JOIN is not supported/);
    await rejectsWith(client.getFlightInfo(json({ sql: 'SELECT id FROM docs WHERE id IN (SELECT id FROM docs)' })), Code.UNIMPLEMENTED, /subqueries are not supported at 1:27/);
    await rejectsWith(client.getFlightInfo(json({ sql: 'SELECT id FROM docs GROUP BY id' })), Code.UNIMPLEMENTED, /GROUP BY/);
    await rejectsWith(client.getFlightInfo(json({ dataset: 'docs', filter: 'frobnicate(id) = 1' })), Code.INVALID_ARGUMENT, /unknown function frobnicate at 1:1/);
    await rejectsWith(client.getFlightInfo(json({ dataset: 'docs', filter: 'id >' })), Code.INVALID_ARGUMENT, /SQL syntax error/);
    await rejectsWith(client.getFlightInfo(json({ dataset: 'docs', filter: 'CAST(small AS TINYINT) * small > 0' })), Code.INVALID_ARGUMENT, /Arithmetic overflow/);
    await rejectsWith(client.getFlightInfo(json({ dataset: 'docs', filter: 'id / 0 = 1' })), Code.INVALID_ARGUMENT, /Divide by zero/);
    await rejectsWith(client.getFlightInfo(json({ sql: 'SELECT id FROM missing' })), Code.NOT_FOUND, /unknown dataset "missing"/);
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
