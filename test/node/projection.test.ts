/** Column projection on one real node: the JSON command's "columns", read with our TypeScript client. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Dictionary, Field, Int16, Int32, Int64, List, Struct, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { startCacheNode, type CacheNode } from '../../cache-server/node/cache-node.js';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { ArrowStreamDecoder } from '../../client/src/flight/protocol/arrow-codec.js';
import { parseMessageHeader } from '../../client/src/flight/protocol/ipc-message.js';
import { Code } from '../../client/src/flight/errors.js';
import type { FlightInfo } from '../../client/src/flight/protocol/messages.js';
import { rejectsWith, jsonCommand as json } from '../helpers/flight.js';

const BATCHES = 4;
const ROWS = 6;

/** Ids 0..23, names, a struct with a list child, a dictionary column and scores, with nulls; in 4 batches of 6. */
function wideTable(): Table {
  const ids = Array.from({ length: BATCHES * ROWS }, (_, i) => i);
  const point = new Struct([new Field('x', new Int16()), new Field('tags', new List(new Field('item', new Utf8())))]);
  const table = new Table({
    id: vectorFromArray(ids.map(BigInt), new Int64()),
    name: vectorFromArray(ids.map((i) => (i % 5 === 0 ? null : `n${i}`)), new Utf8()),
    point: vectorFromArray(ids.map((i) => ({ x: i, tags: Array.from({ length: i % 3 }, (_, k) => `t${k}`) })), point),
    color: vectorFromArray(ids.map((i) => (i % 4 === 0 ? null : ['red', 'green', 'blue'][i % 3]!)), new Dictionary(new Utf8(), new Int32())),
    score: vectorFromArray(ids.map((i) => i * 10), new Int32()),
  });
  return new Table(Array.from({ length: BATCHES }, (_, b) => table.slice(b * ROWS, (b + 1) * ROWS).batches).flat());
}
const whole = wideTable();

/** Renders rows so that bigints, rows of structs and vectors compare exactly. */
const render = (table: Table): string =>
  JSON.stringify(table.toArray(), (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

interface Read {
  table: Table;
  cursors: string[];
  bodyBytes: number;
  dictionaries: bigint[];
}

/** Reads every endpoint of a FlightInfo into one table, with cursors, record batch body bytes and dictionary ids. */
async function readInfo(client: FlightClient, info: FlightInfo, stopAfterBatches = Infinity): Promise<Read> {
  const batches = [];
  const out: Omit<Read, 'table'> = { cursors: [], bodyBytes: 0, dictionaries: [] };
  for (const endpoint of info.endpoints) {
    const decoder = new ArrowStreamDecoder();
    for await (const data of client.doGetRaw(endpoint.ticket)) {
      const decoded = decoder.decode(data.dataHeader, data.dataBody);
      if (decoded.kind === 'dictionary') out.dictionaries.push(parseMessageHeader(data.dataHeader).dictionaryId!);
      if (decoded.kind !== 'batch') continue;
      if (out.cursors.length === stopAfterBatches) return { table: new Table(batches), ...out };
      batches.push(decoded.batch);
      out.bodyBytes += data.dataBody.length;
      out.cursors.push(Buffer.from(data.appMetadata).toString('utf8'));
    }
  }
  return { table: new Table(batches), ...out };
}



describe('a node holding a dataset of 4 batches and 5 columns', () => {
  let node: CacheNode;
  let client: FlightClient;
  before(async () => {
    node = await startCacheNode({ port: 0 });
    client = new FlightClient(node.url);
    await client.doPut(pathDescriptor('wide'), whole.batches);
  });
  after(async () => {
    client.close();
    await node.close();
  });

  test('each column subset, in the order asked, reads back as table.select of it', async () => {
    for (const columns of [['id'], ['name'], ['point'], ['color'], ['score', 'point', 'id'], ['color', 'name']]) {
      const info = await client.getFlightInfo(json({ dataset: 'wide', rank: 0, world_size: 1, columns }));
      const read = await readInfo(client, info);
      assert.deepEqual(read.table.schema.fields.map((f) => f.name), columns);
      assert.equal(render(read.table), render(whole.select(columns)), columns.join(','));
      assert.equal(info.totalRecords, BigInt(BATCHES * ROWS));
      assert.equal(info.totalBytes, BigInt(read.bodyBytes), 'total_bytes is the projected body bytes');
      assert.deepEqual((await client.getSchema(json({ dataset: 'wide', rank: 0, world_size: 1, columns }))).fields.map((f) => f.name), columns);
    }
  });

  test('dictionary batches are sent only when a kept column uses them', async () => {
    const without = await readInfo(client, await client.getFlightInfo(json({ dataset: 'wide', rank: 0, world_size: 1, columns: ['id', 'name'] })));
    assert.deepEqual(without.dictionaries, []);
    const withColor = await readInfo(client, await client.getFlightInfo(json({ dataset: 'wide', rank: 0, world_size: 1, columns: ['color'] })));
    assert.ok(withColor.dictionaries.length > 0);
  });

  test('a projected share of rank 1 of 2 resumes with start_after and the same columns', async () => {
    const request = { dataset: 'wide', rank: 1, world_size: 2, columns: ['score', 'name'] };
    const first = await readInfo(client, await client.getFlightInfo(json(request)), 1);
    const rest = await readInfo(client, await client.getFlightInfo(json({ ...request, start_after: first.cursors[0] })));
    const expected = new Table(whole.batches.slice(2)).select(['score', 'name']);
    assert.equal(render(new Table([...first.table.batches, ...rest.table.batches])), render(expected));
  });

  test('unknown, repeated or no columns are INVALID_ARGUMENT', async () => {
    await rejectsWith(
      client.getFlightInfo(json({ dataset: 'wide', rank: 0, world_size: 1, columns: ['id', 'colour'] })),
      Code.INVALID_ARGUMENT,
      'unknown column "colour"; the dataset\'s columns are: "id", "name", "point", "color", "score"',
    );
    await rejectsWith(client.getFlightInfo(json({ dataset: 'wide', rank: 0, world_size: 1, columns: ['id', 'id'] })), Code.INVALID_ARGUMENT, '"columns" names column "id" twice');
    await rejectsWith(client.getFlightInfo(json({ dataset: 'wide', rank: 0, world_size: 1, columns: [] })), Code.INVALID_ARGUMENT, '"columns" must be a non-empty list of column names');
  });
});
