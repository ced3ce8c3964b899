/** Conformance of a cache node's Flight service, driven by our own TypeScript client. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Dictionary, Int32, Table, Utf8, tableFromArrays, tableToIPC, vectorFromArray } from 'apache-arrow';
import { startCacheNode, type CacheNode } from '../../cache-server/node/cache-node.js';
import { FlightClient, pathDescriptor, cmdDescriptor } from '../../client/src/flight-client.js';
import { connect } from '../../client/src/dataset.js';
import { Code } from '../../client/src/flight/errors.js';
import { encodeTable } from '../../client/src/flight/protocol/arrow-codec.js';
import type { OutgoingFlightData } from '../../client/src/flight/protocol/messages.js';
import { readIpcMessages } from '../../client/src/flight/protocol/ipc-message.js';
import { rejectsWith, drain } from '../helpers/flight.js';
import { createTokenAuth } from '../../cache-server/auth/token-auth.js';
import { UserDirectory } from '../../cache-server/auth/users.js';

/** A table of n rows (plain utf8 names: tableFromArrays would dictionary-encode them). */
const sample = (n: number, offset = 0): Table =>
  new Table({
    id: vectorFromArray(Int32Array.from({ length: n }, (_, i) => i + offset)),
    score: vectorFromArray(Float64Array.from({ length: n }, (_, i) => (i + offset) / 2)),
    name: vectorFromArray(Array.from({ length: n }, (_, i) => `row-${i + offset}`), new Utf8()),
  });

/** Reads a dataset fully and returns it as an IPC-comparable table. */
async function readAll(client: FlightClient, name: string): Promise<Table> {
  const info = await client.getFlightInfo(pathDescriptor(name));
  const batches = [];
  for (const endpoint of info.endpoints) for await (const batch of client.doGet(endpoint.ticket)) batches.push(batch);
  return new Table(batches);
}



describe('a cache node without credentials', () => {
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

  test('DoPut creates a dataset that DoGet returns unchanged, one PutResult per batch', async () => {
    const table = new Table([...sample(100).batches, ...sample(50, 100).batches]);
    const results = await client.doPut(pathDescriptor('put-get'), table);
    assert.equal(results.length, 2);
    assert.deepEqual(JSON.parse(Buffer.from(results[1]!.appMetadata).toString()), { batch: 1, rows: 50 });
    const back = await readAll(client, 'put-get');
    assert.deepEqual(tableToIPC(back), tableToIPC(table));
  });

  test('GetFlightInfo reports schema, rows, bytes and an endpoint at this node', async () => {
    await client.doPut(pathDescriptor('info'), sample(10));
    const info = await client.getFlightInfo(pathDescriptor('info'));
    assert.equal(info.totalRecords, 10n);
    assert.ok(info.totalBytes > 0n);
    assert.equal(info.endpoints.length, 1);
    assert.deepEqual(info.endpoints[0]!.locations, [{ uri: node.url }]);
    assert.deepEqual(info.flightDescriptor?.path, ['info']);
    const schema = await client.getSchema(pathDescriptor('info'));
    assert.deepEqual(schema.fields.map((f) => f.name), ['id', 'score', 'name']);
  });

  test('PollFlightInfo returns the finished info at once', async () => {
    await client.doPut(pathDescriptor('poll'), sample(3));
    const poll = await client.pollFlightInfo(pathDescriptor('poll'));
    assert.equal(poll.progress, 1);
    assert.equal(poll.flightDescriptor, undefined);
    assert.equal(poll.info?.totalRecords, 3n);
  });

  test('a put of the same schema appends; a different schema is rejected naming the field', async () => {
    await client.doPut(pathDescriptor('append'), sample(5));
    await client.doPut(pathDescriptor('append'), sample(5, 5));
    assert.equal((await client.getFlightInfo(pathDescriptor('append'))).totalRecords, 10n);
    const other = tableFromArrays({ id: Float32Array.from([1]), score: Float64Array.from([1]), name: ['x'] });
    await rejectsWith(client.doPut(pathDescriptor('append'), other), Code.INVALID_ARGUMENT, /field "id"/);
    const back = await readAll(client, 'append');
    assert.deepEqual(tableToIPC(back), tableToIPC(new Table([...sample(5).batches, ...sample(5, 5).batches])));
  });

  test('a put that fails midway leaves the dataset as it was', async () => {
    await client.doPut(pathDescriptor('atomic'), sample(4));
    const good = [...encodeTable(sample(4, 4))];
    async function* failing(): AsyncIterable<OutgoingFlightData> {
      yield good[0]!;
      yield good[1]!;
      yield { dataHeader: new Uint8Array([1, 2, 3]), body: [], bodyLength: 0 };
    }
    await rejectsWith(client.doPutRaw(pathDescriptor('atomic'), failing()), Code.INVALID_ARGUMENT, /./);
    assert.equal((await client.getFlightInfo(pathDescriptor('atomic'))).totalRecords, 4n);
  });

  test('a zero-row dataset and empty batches round-trip', async () => {
    const empty = sample(0);
    await client.doPut(pathDescriptor('empty'), empty);
    const info = await client.getFlightInfo(pathDescriptor('empty'));
    assert.equal(info.totalRecords, 0n);
    const back = await readAll(client, 'empty');
    assert.equal(back.numRows, 0);
  });

  test('ListFlights lists every dataset; a criteria string filters by name prefix', async () => {
    await client.doPut(pathDescriptor('list-a'), sample(1));
    await client.doPut(pathDescriptor('list-b'), sample(2));
    const names = (await drain(client.listFlights('list-'))).map((i) => i.flightDescriptor?.path[0]);
    assert.deepEqual(names, ['list-a', 'list-b']);
  });

  test('unknown datasets are NOT_FOUND and bad tickets INVALID_ARGUMENT', async () => {
    await rejectsWith(client.getFlightInfo(pathDescriptor('nope')), Code.NOT_FOUND, 'unknown dataset "nope"');
    await rejectsWith(client.getSchema(pathDescriptor('nope')), Code.NOT_FOUND, 'unknown dataset "nope"');
    await rejectsWith(client.pollFlightInfo(pathDescriptor('nope')), Code.NOT_FOUND, 'unknown dataset "nope"');
    await rejectsWith(
      drain(client.doGet({ ticket: Buffer.from('garbage') })),
      Code.INVALID_ARGUMENT,
      'malformed ticket (7 bytes): not a flightcache ticket; get tickets from GetFlightInfo',
    );
    await rejectsWith(
      drain(client.doGet({ ticket: Buffer.from('{"v":2,"dataset":"gone"}') })),
      Code.INVALID_ARGUMENT,
      'ticket names unknown dataset "gone" (dropped?)',
    );
    await rejectsWith(
      client.getFlightInfo(pathDescriptor('a', 'b', 'c')),
      Code.INVALID_ARGUMENT,
      'WORLD must be a decimal integer >= 1, got "c"',
    );
    await rejectsWith(
      client.getFlightInfo(pathDescriptor('a', 'b')),
      Code.INVALID_ARGUMENT,
      'expected a path descriptor [dataset name], [dataset name, RANK, WORLD] or [RANK, WORLD], got ["a","b"]',
    );
    await rejectsWith(
      client.getFlightInfo(cmdDescriptor('SELECT 1')),
      Code.INVALID_ARGUMENT,
      'command descriptor must be a UTF-8 JSON object such as {"dataset":"name","rank":0,"world_size":2}',
    );
  });

  test('actions: list, stats, health, drop, and unknown ones', async () => {
    const types = (await client.listActions()).map((a) => a.type);
    assert.deepEqual(types, ['drop', 'stats', 'health', 'fetch', 'describe', 'select', 'same-host', 'load', 'tombstone', 'tombstones', 'CreatePreparedStatement', 'ClosePreparedStatement']);
    await client.doPut(pathDescriptor('to-drop'), sample(7));
    const stats = await client.action<{ datasets: Array<{ name: string; rows: number }>; rows: number }>('stats');
    assert.equal(stats.datasets.find((d) => d.name === 'to-drop')?.rows, 7);
    assert.deepEqual(Object.keys(await client.action<object>('health')), ['status', 'uptimeSeconds', 'instance', 'hostId']);
    assert.deepEqual(await client.action('drop', 'to-drop'), { dropped: 'to-drop' });
    await rejectsWith(client.action('drop', 'to-drop'), Code.NOT_FOUND, 'unknown dataset "to-drop"');
    await rejectsWith(client.action('explode'), Code.UNIMPLEMENTED, 'unknown action "explode"; known actions: drop, stats, health, fetch, describe, select, same-host, load, tombstone, tombstones');
  });

  test('DoExchange is UNIMPLEMENTED with a clear message', async () => {
    await rejectsWith(
      drain(client.doExchange([])),
      Code.UNIMPLEMENTED,
      'DoExchange is not supported by a cache node: write with DoPut, read with DoGet',
    );
  });

  test('the high-level API reads, writes and drops a dataset', async () => {
    const connection = await connect(node.url);
    const dataset = connection.dataset('high-level');
    await dataset.put(sample(20));
    assert.equal((await dataset.table()).numRows, 20);
    assert.ok((await connection.datasets()).includes('high-level'));
    await dataset.drop();
    assert.ok(!(await connection.datasets()).includes('high-level'));
    connection.close();
  });

  test('separately built dictionary-encoded tables append; a put declaring other dictionary ids is rejected', async () => {
    await client.doPut(pathDescriptor('dict'), tableFromArrays({ s: ['a', 'b'] }));
    await client.doPut(pathDescriptor('dict'), tableFromArrays({ s: ['a', 'b'] }));
    const back = await readAll(client, 'dict');
    assert.equal(back.numRows, 4);
    assert.deepEqual([...back.getChild('s')!], ['a', 'b', 'a', 'b']);
    // apache-arrow's own IPC writer keeps the ids it is given, unlike encodeTable.
    const other = new Table({ s: vectorFromArray(['c'], new Dictionary(new Utf8(), new Int32(), 7)) });
    const { schema, messages } = readIpcMessages(tableToIPC(other, 'stream'));
    const raw: OutgoingFlightData[] = [
      { dataHeader: schema, body: [], bodyLength: 0 },
      ...messages.map((m) => ({ dataHeader: m.header, body: [m.body], bodyLength: m.body.length })),
    ];
    await rejectsWith(
      client.doPutRaw(pathDescriptor('dict'), raw),
      Code.INVALID_ARGUMENT,
      'dictionary ids differ: field "s" uses id 7 in the new data, 0 in the dataset; ' +
        "send the dictionary ids of the dataset's schema (GetSchema) or number dictionaries 0..n-1 in field order as Arrow C++ does",
    );
    assert.equal((await client.getFlightInfo(pathDescriptor('dict'))).totalRecords, 4n);
  });

  test('a dictionary batch whose id the put\'s schema does not declare is rejected and nothing is stored', async () => {
    const plain = [...encodeTable(sample(2))];
    const dictionary = readIpcMessages(tableToIPC(new Table({ s: vectorFromArray(['c'], new Dictionary(new Utf8(), new Int32(), 3)) }), 'stream'))
      .messages[0]!;
    const raw: OutgoingFlightData[] = [
      plain[0]!,
      { dataHeader: dictionary.header, body: [dictionary.body], bodyLength: dictionary.body.length },
      ...plain.slice(1),
    ];
    await rejectsWith(
      client.doPutRaw(pathDescriptor('undeclared'), raw),
      Code.INVALID_ARGUMENT,
      'DoPut sent a dictionary batch for id 3, which its schema does not declare',
    );
    await rejectsWith(client.getFlightInfo(pathDescriptor('undeclared')), Code.NOT_FOUND, 'unknown dataset "undeclared"');
  });
});

describe('a cache node with a memory limit', () => {
  test('a put over the limit is RESOURCE_EXHAUSTED and leaves existing data intact', async () => {
    const node = await startCacheNode({ port: 0, memoryBytes: 256 * 1024 });
    const client = new FlightClient(node.url);
    try {
      await client.doPut(pathDescriptor('small'), sample(100));
      const before = await client.action<{ memory: { usedBytes: number } }>('stats');
      const big = sample(200_000);
      await rejectsWith(client.doPut(pathDescriptor('big'), big), Code.RESOURCE_EXHAUSTED, /memory limit/);
      await rejectsWith(client.getFlightInfo(pathDescriptor('big')), Code.NOT_FOUND, 'unknown dataset "big"');
      const after = await client.action<{ memory: { usedBytes: number } }>('stats');
      assert.equal(after.memory.usedBytes, before.memory.usedBytes);
      assert.deepEqual(tableToIPC(await readAll(client, 'small')), tableToIPC(sample(100)));
    } finally {
      client.close();
      await node.close();
    }
  });
});

describe('a cache node with credentials', () => {
  let node: CacheNode;
  before(async () => {
    node = await startCacheNode({ port: 0, auth: createTokenAuth(new UserDirectory({ user: 'alice', password: 's3cret' })) });
  });
  after(async () => node.close());

  test('Handshake with the right password returns a token that later calls use', async () => {
    const client = new FlightClient(node.url);
    const token = await client.handshake('alice', 's3cret');
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    await client.doPut(pathDescriptor('secret'), sample(2));
    assert.equal((await client.getFlightInfo(pathDescriptor('secret'))).totalRecords, 2n);
    client.close();
  });

  test('a wrong password, a missing token and a wrong token are UNAUTHENTICATED', async () => {
    const client = new FlightClient(node.url);
    await rejectsWith(client.handshake('alice', 'nope'), Code.UNAUTHENTICATED, 'wrong user or password');
    await rejectsWith(client.listActions(), Code.UNAUTHENTICATED, /missing "authorization" header/);
    const forged = new FlightClient(node.url, { token: 'forged' });
    await rejectsWith(forged.listActions(), Code.UNAUTHENTICATED, /^invalid bearer token/);
    await rejectsWith(drain(forged.doGet({ ticket: new Uint8Array() })), Code.UNAUTHENTICATED, /^invalid bearer token/);
    client.close();
    forged.close();
  });
});
