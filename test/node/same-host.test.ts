/** Same-host reads on a real node with shared-memory storage, read by the Python test reader over its Unix socket and compared with DoGet. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Dictionary, Float64, Int32, Table, Utf8, vectorFromArray, type RecordBatch } from 'apache-arrow';
import { startCacheNode, type CacheNode } from '../../cache-server/node/cache-node.js';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import type { NodeStats } from '../../cache-server/node/node-actions.js';
import type { Ticket } from '../../client/src/flight/protocol/messages.js';
import { parseMessageHeader } from '../../client/src/flight/protocol/ipc-message.js';
import { encodeFrame } from '../../cache-server/samehost/frames.js';
import { drain, jsonCommand, rejectsWith } from '../helpers/flight.js';
import { Code } from '../../client/src/flight/errors.js';
import { createTokenAuth } from '../../cache-server/auth/token-auth.js';
import { UserDirectory } from '../../cache-server/auth/users.js';
import { hashPassword } from '../../cache-server/auth/passwords.js';
import { epochOrder, rowOrder } from '../../cache-server/node/shares.js';
import { doGetBatches, RawConnection, readerArgs, readSameHost, startPausedReader } from '../helpers/same-host.js';

const USER = { user: 'reader', password: 'secret' };
/** A second user who may read only dataset "other". */
const LIMITED_USERS = JSON.stringify({ users: { limited: { password: hashPassword('pw'), read: ['other'], write: [], admin: false } } });
const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

/** Batches of (id int32, name utf8 with nulls, score float64) with these row counts, ids from `first`. */
function batches(rows: readonly number[], first = 0): RecordBatch[] {
  let next = first;
  return rows.map((count) => {
    const ids = range(count, next);
    next += count;
    return new Table({
      id: vectorFromArray(ids, new Int32()),
      name: vectorFromArray(ids.map((id) => (id % 5 === 0 ? null : `n${id}`)), new Utf8()),
      score: vectorFromArray(ids.map((id) => id / 4), new Float64()),
    }).batches[0]!;
  });
}

/** A scratch directory on the host's tmpfs. */
export function scratchShmDir(): string {
  return mkdtempSync('/dev/shm/flightcache-test-');
}

describe('a node keeping its data in shared memory', () => {
  let dir: string;
  let node: CacheNode;
  let client: FlightClient;
  let bearer: string;
  before(async () => {
    dir = scratchShmDir();
    node = await startCacheNode({ port: 0, shmDir: dir, auth: createTokenAuth(new UserDirectory(USER, LIMITED_USERS)), httpPort: 0 });
    client = new FlightClient(node.url);
    bearer = `Bearer ${await client.handshake(USER.user, USER.password)}`;
    await client.doPut(pathDescriptor('rows'), batches([13, 1, 20, 7, 11, 16, 5, 9, 6]));
  });
  after(async () => {
    client.close();
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ticketsOf = async (descriptor: Parameters<FlightClient['getFlightInfo']>[0]): Promise<Ticket[]> =>
    (await client.getFlightInfo(descriptor)).endpoints.map((endpoint) => endpoint.ticket);
  const stats = (): Promise<NodeStats> => client.action<NodeStats>('stats');
  /** The sameHost stats once the node has seen every reader's connection close (within 2 s). */
  const statsOnceReadersLeft = async (): Promise<NonNullable<NodeStats['sameHost']>> => {
    for (let i = 0; i < 100 && (await stats()).sameHost!.connections > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    return (await stats()).sameHost!;
  };

  test('the same-host action names the socket, the instance of the health action, this host\'s id (boot id and network namespace) and the shm directory', async () => {
    const described = await client.action<Record<string, string>>('same-host');
    const health = await client.action<{ instance: string }>('health');
    assert.deepEqual(described, {
      socket: join(dir, `flightcache-${node.port}.sock`),
      instance: health.instance,
      hostId: `${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()} ${readlinkSync('/proc/self/ns/net')}`,
      shmDir: dir,
    });
    assert.equal(node.shmSocket, described.socket);
  });

  test('no segment is visible in the shm directory: only the socket is there', () => {
    assert.deepEqual(readdirSync(dir), [`flightcache-${node.port}.sock`]);
  });

  test('a plain ticket reads exactly the bytes and cursors DoGet serves, from mapped segments', async () => {
    const [ticket] = await ticketsOf(pathDescriptor('rows'));
    const expected = await doGetBatches(client, ticket!);
    const report = await readSameHost(readerArgs(node.shmSocket!, ticket!, bearer, node.url));
    assert.equal(report.error, null);
    assert.equal(report.hello?.location, node.url);
    assert.equal(report.segments, 1);
    assert.deepEqual(
      report.batches.map(({ body_sha256, cursor, rows }) => ({ body_sha256, cursor, rows })),
      expected,
    );
    assert.ok(report.batches.every((batch) => batch.equals_grpc === true && batch.sources === 1));
    assert.equal(report.grpc_batches, 9);
  });

  test('shuffled, re-chunked, projected, resumed and filtered tickets give the rows, order and cursors DoGet gives', async () => {
    const resumeAt = await doGetBatches(client, (await ticketsOf(jsonCommand({ dataset: 'rows', rank: 0, world_size: 2, batch_rows: 10 })))[0]!);
    const cases: Array<Record<string, unknown>> = [
      { shuffle: true, seed: 7, epoch: 1 },
      { batch_rows: 10 },
      { shuffle: true, seed: 7, epoch: 2, batch_rows: 4, columns: ['name', 'id'] },
      { columns: ['score'] },
      { batch_rows: 10, start_after: resumeAt[2]!.cursor },
      { filter: "id % 3 = 0 OR name LIKE 'n1%'", shuffle: true, seed: 5, epoch: 1, batch_rows: 4 },
      { sql: 'SELECT score AS s, id FROM rows WHERE score > 10' },
    ];
    for (const options of cases) {
      // A cursor resumes the rank it was issued to.
      for (const rank of options.start_after ? [0] : [0, 1]) {
        const tickets = await ticketsOf(jsonCommand({ dataset: 'rows', rank, world_size: 2, ...options }));
        assert.ok(tickets.length > 0);
        for (const ticket of tickets) {
          const what = JSON.stringify({ rank, ...options });
          const expected = await doGetBatches(client, ticket);
          const report = await readSameHost(readerArgs(node.shmSocket!, ticket, bearer, node.url));
          assert.equal(report.error, null, what);
          assert.deepEqual(report.batches.map((b) => b.cursor), expected.map((b) => b.cursor), what);
          assert.deepEqual(report.batches.map((b) => b.num_rows), expected.map((b) => b.rows), what);
          assert.ok(report.batches.every((b) => b.equals_grpc === true), `${what}: every batch equals DoGet's`);
        }
      }
    }
  });

  test('a re-chunked batch refers to every stored batch its rows come from', async () => {
    const [ticket] = await ticketsOf(jsonCommand({ dataset: 'rows', rank: 0, world_size: 1, batch_rows: 30 }));
    const report = await readSameHost(readerArgs(node.shmSocket!, ticket!, bearer));
    // Stored batches of 13, 1, 20, 7, 11, 16, 5, 9, 6 rows: 30-row chunks take 13+1+16, 4+7+11+8 and 8+5+9+6 rows.
    assert.deepEqual(report.batches.map((b) => [b.num_rows, b.sources]), [[30, 3], [30, 4], [28, 4]]);
  });

  test('a reader without a valid token gets UNAUTHENTICATED and no descriptor', async () => {
    const [ticket] = await ticketsOf(pathDescriptor('rows'));
    for (const authorization of [undefined, 'Bearer forged.token', 'Basic ' + Buffer.from('reader:wrong').toString('base64')]) {
      const report = await readSameHost(readerArgs(node.shmSocket!, ticket!, authorization));
      assert.equal(report.hello, null, String(authorization));
      assert.equal(report.error?.code, 'UNAUTHENTICATED', String(authorization));
      assert.equal(report.fds_received, 0);
    }
    const basic = await readSameHost(readerArgs(node.shmSocket!, ticket!, 'Basic ' + Buffer.from('reader:secret').toString('base64')));
    assert.equal(basic.error, null);
    assert.equal(basic.batches.length, 9);
  });

  test('a user whose read scope does not cover the dataset gets PERMISSION_DENIED and no descriptor, as over gRPC', async () => {
    const [ticket] = await ticketsOf(pathDescriptor('rows'));
    const report = await readSameHost(readerArgs(node.shmSocket!, ticket!, 'Basic ' + Buffer.from('limited:pw').toString('base64')));
    assert.notEqual(report.hello, null);
    assert.equal(report.error?.code, 'PERMISSION_DENIED');
    assert.equal(report.error?.message, 'user "limited" may not read dataset "rows"; its scopes: read [other], write [], no admin');
    assert.equal(report.segments, 0);
    assert.equal(report.batches.length, 0);
  });

  test('a request before hello is UNAUTHENTICATED and closes the connection', async () => {
    const connection = await RawConnection.open(node.shmSocket!);
    connection.send({ type: 'get', ticket: '' });
    assert.deepEqual(await connection.next(), [{ type: 'error', code: 'UNAUTHENTICATED', status: 16, message: 'send hello first: "get" before a successful hello' }]);
    await connection.waitClosed();
  });

  test('malformed frames get INVALID_ARGUMENT; a broken framing closes the connection, a bad request does not', async () => {
    const broken: Array<[Uint8Array, string]> = [
      [Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0), 'frame JSON length 0 is out of range (1 to 1048576)'],
      [Uint8Array.of(2, 0, 0, 0, 1, 0, 0, 0, 0x7b, 0x7d, 0), 'frame payload length 1 exceeds 0'],
      [Uint8Array.of(3, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7b, 0x7d), /^frame JSON is not valid UTF-8 JSON: /],
      [Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0, 0x5b, 0x5d), 'frame JSON must be an object with a string "type"'],
    ].map(([bytes, message]) => [bytes as Uint8Array, message as string]);
    for (const [bytes, message] of broken) {
      const connection = await RawConnection.open(node.shmSocket!);
      connection.send(bytes);
      const [frame] = await connection.next();
      assert.equal(frame?.type, 'error');
      assert.equal(frame?.code, 'INVALID_ARGUMENT');
      if (typeof message === 'string') assert.equal(frame?.message, message);
      else assert.match(String(frame?.message), message);
      await connection.waitClosed();
    }
    const connection = await RawConnection.open(node.shmSocket!);
    connection.send({ type: 'hello', authorization: bearer });
    assert.equal((await connection.next())[0]?.type, 'hello');
    const requests: Array<[Record<string, unknown> & { type: string }, string]> = [
      [{ type: 'explode' }, 'unknown request type "explode"; known: hello, get, release'],
      [{ type: 'get', ticket: 'not base64!' }, 'get "ticket" must be the Flight ticket in padded standard base64'],
      [{ type: 'get', ticket: Buffer.from('{"v":2}').toString('base64') }, 'malformed ticket: "dataset" must be a non-empty string; get tickets from GetFlightInfo'],
      [{ type: 'get', ticket: Buffer.from('{"v":2,"dataset":"gone"}').toString('base64') }, 'ticket names unknown dataset "gone" (dropped?)'],
      [{ type: 'release', segments: 'all' }, 'release "segments" must be an array of segment ids'],
      [{ type: 'hello', authorization: bearer }, 'hello was already sent on this connection'],
    ];
    for (const [request, message] of requests) {
      connection.send(request);
      assert.deepEqual(await connection.next(), [{ type: 'error', code: 'INVALID_ARGUMENT', status: 3, message }], JSON.stringify(request));
    }
    // A burst of requests far past what the node queues is answered in full, in order.
    connection.send(Buffer.concat(Array.from({ length: 300 }, (_, i) => Buffer.concat(encodeFrame({ type: `burst${i}` })))));
    const burst = await connection.next(300);
    assert.deepEqual(burst.map((frame) => frame.message), Array.from({ length: 300 }, (_, i) => `unknown request type "burst${i}"; known: hello, get, release`));
    assert.equal(connection.closed, false);
    connection.close();
    assert.equal((await client.action<{ status: string }>('health')).status, 'ok');
  });

  test('a dataset dropped and replaced mid-read: the reader reads the old bytes intact, its bytes count as held until the reader leaves', async () => {
    await client.doPut(pathDescriptor('victim'), batches([50, 50, 50, 50]));
    const bytes = (await stats()).datasets.find((d) => d.name === 'victim')!.bytes;
    const [ticket] = await ticketsOf(pathDescriptor('victim'));
    const expected = await doGetBatches(client, ticket!);
    const reader = startPausedReader(readerArgs(node.shmSocket!, ticket!, bearer), 2);
    try {
      await reader.paused;
      assert.deepEqual((await client.action('drop', 'victim')), { dropped: 'victim' });
      await client.doPut(pathDescriptor('victim'), batches([50, 50, 50, 50], 1000));
      const during = (await stats()).sameHost!;
      assert.deepEqual([during.heldBytes, during.connections], [bytes, 1]);
      reader.resume();
      const report = await reader.report;
      assert.equal(report.error, null);
      assert.equal(report.unchanged, true);
      assert.deepEqual(report.batches.map(({ body_sha256, cursor, rows }) => ({ body_sha256, cursor, rows })), expected);
    } finally {
      reader.kill();
    }
    const afterwards = await statsOnceReadersLeft();
    assert.deepEqual([afterwards.heldBytes, afterwards.connections], [0, 0]);
  });

  test('release ends the hold of segments a reader unmapped, while its connection stays open', async () => {
    await client.doPut(pathDescriptor('leased'), batches([30, 30]));
    const bytes = (await stats()).datasets.find((d) => d.name === 'leased')!.bytes;
    const [ticket] = await ticketsOf(pathDescriptor('leased'));
    const connection = await RawConnection.open(node.shmSocket!);
    try {
      connection.send({ type: 'hello', authorization: bearer });
      connection.send({ type: 'get', ticket: Buffer.from(ticket!.ticket).toString('base64') });
      const frames = await connection.next(6);
      assert.deepEqual(frames.map((f) => f.type), ['hello', 'schema', 'segments', 'batch', 'batch', 'end']);
      const segments = frames.filter((f) => f.type === 'segments').flatMap((f) => (f.segments as Array<{ id: number }>).map((s) => s.id));
      assert.equal(segments.length, 1);
      await client.action('drop', 'leased');
      assert.equal((await stats()).sameHost!.heldBytes, bytes);
      connection.send({ type: 'release', segments });
      connection.send({ type: 'hello' });
      await connection.next();
      assert.deepEqual([(await stats()).sameHost!.heldBytes, (await stats()).sameHost!.connections], [0, 1]);
    } finally {
      connection.close();
    }
  });

  test('a dataset with dictionaries: dictionary frames come where DoGet sends its dictionary batches', async () => {
    const table = new Table({ id: vectorFromArray([0, 1, 2, 3], new Int32()), color: vectorFromArray(['red', 'blue', 'red', 'green'], new Dictionary(new Utf8(), new Int32())) });
    await client.doPut(pathDescriptor('colored'), table.batches);
    const [ticket] = await ticketsOf(pathDescriptor('colored'));
    const kinds: string[] = [];
    for await (const data of client.doGetRaw(ticket!)) kinds.push(parseMessageHeader(data.dataHeader).kind);
    const connection = await RawConnection.open(node.shmSocket!);
    try {
      connection.send({ type: 'hello', authorization: bearer });
      connection.send({ type: 'get', ticket: Buffer.from(ticket!.ticket).toString('base64') });
      const frames: Array<Record<string, unknown>> = [];
      while (frames.at(-1)?.type !== 'end' && !connection.closed) frames.push(...(await connection.next()));
      const sent = frames.map((f) => f.type).filter((type) => type !== 'hello' && type !== 'segments' && type !== 'end');
      assert.deepEqual(sent, kinds.map((kind) => ({ schema: 'schema', dictionary_batch: 'dictionary', record_batch: 'batch' })[kind as 'schema']));
    } finally {
      connection.close();
    }
  });

  test('dictionaries that change between batches: read in order as DoGet sends them, and shuffled with "transport": "same-host" (which DoGet refuses), each batch with the dictionaries it was stored with', async () => {
    const palettes = [['red', 'green'], ['blue', 'red', 'black'], ['white']];
    const colorOf = (id: number): string => palettes[Math.floor(id / 10)]![id % palettes[Math.floor(id / 10)]!.length]!;
    for (const [put, palette] of palettes.entries()) {
      const ids = range(10, put * 10);
      const table = new Table({ id: vectorFromArray(ids, new Int32()), color: vectorFromArray(ids.map(colorOf), new Dictionary(new Utf8(), new Int32())) });
      assert.equal(table.getChild('color')!.data[0]!.dictionary!.length, palette.length);
      await client.doPut(pathDescriptor('palette'), table.batches);
    }
    const [plain] = await ticketsOf(pathDescriptor('palette'));
    const inOrder = await readSameHost([...readerArgs(node.shmSocket!, plain!, bearer, node.url), '--rows']);
    assert.equal(inOrder.error, null);
    assert.ok(inOrder.batches.every((b) => b.equals_grpc === true));
    const shuffle = { seed: 5, epoch: 0 };
    const command = { dataset: 'palette', rank: 0, world_size: 1, shuffle: true, ...shuffle };
    await rejectsWith(client.getFlightInfo(jsonCommand(command)), Code.FAILED_PRECONDITION, /replaces or extends its dictionaries between batches/);
    const [shuffled] = await ticketsOf(jsonCommand({ ...command, transport: 'same-host' }));
    await rejectsWith(drain(client.doGetRaw(shuffled!)), Code.FAILED_PRECONDITION, /replaces or extends its dictionaries between batches/);
    const report = await readSameHost([...readerArgs(node.shmSocket!, shuffled!, bearer), '--rows']);
    assert.equal(report.error, null);
    const rows = report.batches.flatMap((b) => b.rows_list!) as Array<{ id: number; color: string }>;
    const expectedIds = [...epochOrder(3, shuffle)].flatMap((batch) => Array.from(rowOrder(10, batch, shuffle), (row) => batch * 10 + row));
    assert.deepEqual(rows.map((row) => row.id), expectedIds);
    assert.deepEqual(rows.map((row) => row.color), expectedIds.map(colorOf));
  });

  test('stats show the shm directory, the shm bytes and no held bytes or connections once readers left', async () => {
    const sameHost = await statsOnceReadersLeft();
    const { memory } = await stats();
    assert.deepEqual(sameHost, { shmDir: dir, socket: node.shmSocket, shmBytes: memory.usedBytes, heldBytes: 0, connections: 0 });
    const ops = `http://127.0.0.1:${node.httpPort}`;
    const headers = { authorization: bearer };
    assert.deepEqual(((await (await fetch(`${ops}/stats`, { headers })).json()) as NodeStats).sameHost, sameHost);
    const metrics = await (await fetch(`${ops}/metrics`, { headers })).text();
    for (const line of [`flightcache_shm_bytes ${memory.usedBytes}`, 'flightcache_shm_held_bytes 0', 'flightcache_same_host_connections 0']) {
      assert.ok(metrics.split('\n').includes(line), `${line} in\n${metrics}`);
    }
  });
});
