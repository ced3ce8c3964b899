/**
 * Flight SQL at the protocol level, with our client against a cache node whose users have
 * per-dataset scopes: what a scoped user lists and may query, prepared statements that belong to
 * their user, and the precise statuses of malformed or misplaced Flight SQL messages.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Binary, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { startCacheNode, type CacheNode } from '../../cache-server/node/cache-node.js';
import { createTokenAuth } from '../../cache-server/auth/token-auth.js';
import { hashPassword } from '../../cache-server/auth/passwords.js';
import { UserDirectory } from '../../cache-server/auth/users.js';
import { Code } from '../../client/src/flight/errors.js';
import { FlightClient, cmdDescriptor } from '../../client/src/flight-client.js';
import { LocationClients } from '../../client/src/share-reader.js';
import { queryInfo, queryStreams, queryTable } from '../../client/src/query.js';
import { freePort } from '../helpers/process.js';
import { encodeTable, schemaFromFlatbuffer } from '../../client/src/flight/protocol/arrow-codec.js';
import { extractSchemaFromEncapsulated } from '../../client/src/flight/protocol/ipc-message.js';
import { decodeFlightSqlAs, decodeFlightSqlValue, encodeFlightSqlAny, type FlightSqlMessage } from '../../client/src/flight/protocol/flight-sql.js';
import { putReference, referenceMessages, referenceTable } from '../helpers/exact-data.js';
import { drain, rejectsWith } from '../helpers/flight.js';

const USERS = {
  reader: { password: 'r-pass', read: ['train'] },
  carol: { password: 'c-pass', read: ['*'], write: ['*'], admin: true },
};

const command = (message: FlightSqlMessage) => cmdDescriptor(encodeFlightSqlAny(message));
const rows = (table: Table): unknown[] => table.toArray().map((row) => row.toJSON());

/** Reads a metadata command's one endpoint from the same server, as the spec says for an endpoint without locations. */
async function metadata(client: FlightClient, message: FlightSqlMessage): Promise<Table> {
  const info = await client.getFlightInfo(command(message));
  assert.equal(info.endpoints.length, 1);
  assert.deepEqual(info.endpoints[0]!.locations, []);
  const batches = await drain(client.doGet(info.endpoints[0]!.ticket));
  assert.equal(Number(info.totalRecords), batches.reduce((sum, b) => sum + b.numRows, 0));
  return new Table(batches);
}

describe('Flight SQL on a node with per-dataset scopes', () => {
  let dir: string;
  let node: CacheNode;
  let reader: FlightClient;
  let carol: FlightClient;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flightcache-flightsql-'));
    const users = Object.fromEntries(Object.entries(USERS).map(([name, { password, ...scopes }]) => [name, { password: hashPassword(password), ...scopes }]));
    const file = join(dir, 'credentials.json');
    writeFileSync(file, JSON.stringify({ users }));
    node = await startCacheNode({ port: 0, auth: createTokenAuth(UserDirectory.fromFile(undefined, file)) });
    reader = new FlightClient(node.url);
    await reader.handshake('reader', USERS.reader.password);
    carol = new FlightClient(node.url);
    const token = await carol.handshake('carol', USERS.carol.password);
    await putReference(node.url, 'train', referenceMessages(referenceTable(6)), token);
    await putReference(node.url, 'secret', referenceMessages(new Table({ word: vectorFromArray(['x'], new Utf8()) })), token);
  });

  after(async () => {
    reader.close();
    carol.close();
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('without a token every Flight SQL call is UNAUTHENTICATED, prepared statements included', async () => {
    const anonymous = new FlightClient(node.url);
    try {
      await rejectsWith(anonymous.getFlightInfo(command({ kind: 'CommandGetTables', tableTypes: [], includeSchema: false })), Code.UNAUTHENTICATED, /.+/);
      await rejectsWith(drain(anonymous.doAction('CreatePreparedStatement', encodeFlightSqlAny({ kind: 'ActionCreatePreparedStatementRequest', query: 'SELECT id FROM train' }))), Code.UNAUTHENTICATED, /.+/);
    } finally {
      anonymous.close();
    }
  });

  test('GetTables lists only the datasets the caller may read', async () => {
    const tables = (client: FlightClient) => metadata(client, { kind: 'CommandGetTables', tableTypes: [], includeSchema: false });
    assert.deepEqual(rows(await tables(reader)).map((r) => (r as { table_name: string }).table_name), ['train']);
    assert.deepEqual(rows(await tables(carol)).map((r) => (r as { table_name: string }).table_name), ['secret', 'train']);
  });

  test('a statement over a dataset the caller may not read is PERMISSION_DENIED, as the plain read is', async () => {
    const locations = new LocationClients(reader, () => reader.bearerToken);
    assert.deepEqual(rows(await queryTable(locations, 'SELECT id FROM train WHERE id >= 4')), [{ id: 4 }, { id: 5 }]);
    await rejectsWith(queryTable(locations, 'SELECT word FROM secret'), Code.PERMISSION_DENIED, /^user "reader" may not read dataset "secret"/);
  });

  test('a prepared statement is its creator\'s: another user gets NOT_FOUND, and closing it ends it', async () => {
    const [result] = await drain(carol.doAction('CreatePreparedStatement', encodeFlightSqlAny({ kind: 'ActionCreatePreparedStatementRequest', query: 'SELECT name FROM train WHERE id = ?' })));
    const created = decodeFlightSqlAs(result!.body, 'ActionCreatePreparedStatementResult');
    assert.equal(created.datasetSchema.length, 0, 'a query with parameters is planned once they are bound');
    const parameters = schemaFromFlatbuffer(extractSchemaFromEncapsulated(created.parameterSchema));
    assert.deepEqual(parameters.fields.map((f) => `${f.name}: ${String(f.type)}`), ['parameter_1: Int32'], 'typed as the column id it is compared with');
    const handle = created.preparedStatementHandle;
    const bind = (client: FlightClient) =>
      client.doPut(command({ kind: 'CommandPreparedStatementQuery', preparedStatementHandle: handle }), new Table({ p: vectorFromArray(Int32Array.of(3)) }));
    const [put] = await bind(carol);
    assert.deepEqual(decodeFlightSqlValue('DoPutPreparedStatementResult', put!.appMetadata), { kind: 'DoPutPreparedStatementResult', preparedStatementHandle: handle });
    const prepared = command({ kind: 'CommandPreparedStatementQuery', preparedStatementHandle: handle });
    const info = await carol.getFlightInfo(prepared);
    assert.deepEqual(rows(new Table(await drain(carol.doGet(info.endpoints[0]!.ticket)))), [{ name: 'row-3' }]);
    const unknown = 'unknown prepared statement handle: it was closed, or never created on this server by this user';
    await rejectsWith(reader.getFlightInfo(prepared), Code.NOT_FOUND, unknown);
    await rejectsWith(bind(reader), Code.NOT_FOUND, unknown);
    const close = encodeFlightSqlAny({ kind: 'ActionClosePreparedStatementRequest', preparedStatementHandle: handle });
    await rejectsWith(drain(reader.doAction('ClosePreparedStatement', close)), Code.NOT_FOUND, unknown);
    assert.deepEqual(await drain(carol.doAction('ClosePreparedStatement', close)), []);
    await rejectsWith(carol.getFlightInfo(prepared), Code.NOT_FOUND, unknown);
  });

  test('preparing bad SQL fails with the core\'s status, and a prepared query without parameters carries its schema', async () => {
    const create = (query: string) => drain(carol.doAction('CreatePreparedStatement', encodeFlightSqlAny({ kind: 'ActionCreatePreparedStatementRequest', query })));
    await rejectsWith(create('SELECT id FROM train GROUP BY id'), Code.UNIMPLEMENTED, 'GROUP BY (aggregates are not supported) at 1:31');
    const [result] = await create('SELECT name FROM train');
    const created = decodeFlightSqlAs(result!.body, 'ActionCreatePreparedStatementResult');
    assert.deepEqual((await carol.getSchema(command({ kind: 'CommandPreparedStatementQuery', preparedStatementHandle: created.preparedStatementHandle }))).fields.map((f) => f.name), ['name']);
    assert.ok(created.datasetSchema.length > 0);
  });

  test('a parameter batch of two rows, or of a type with no literal, is refused at the bind', async () => {
    const [result] = await drain(carol.doAction('CreatePreparedStatement', encodeFlightSqlAny({ kind: 'ActionCreatePreparedStatementRequest', query: 'SELECT id FROM train WHERE id = ?' })));
    const prepared = command({ kind: 'CommandPreparedStatementQuery', preparedStatementHandle: decodeFlightSqlAs(result!.body, 'ActionCreatePreparedStatementResult').preparedStatementHandle });
    await rejectsWith(carol.doPut(prepared, new Table({ p: vectorFromArray(Int32Array.of(1, 2)) })), Code.INVALID_ARGUMENT, 'bound 2 parameter rows: a query statement takes exactly one row of parameters');
    await rejectsWith(
      carol.doPutRaw(prepared, encodeTable(new Table({ p: vectorFromArray([new Uint8Array([1])], new Binary()) }))),
      Code.UNIMPLEMENTED,
      'parameter 1 ("p") has Arrow type Binary, which a parameter cannot bind: bind booleans, integers, floats, strings or dates',
    );
  });

  test('Flight SQL messages in the wrong place, or of another package, get INVALID_ARGUMENT naming them', async () => {
    await rejectsWith(carol.getFlightInfo(command({ kind: 'TicketStatementQuery', statementHandle: new Uint8Array([1]) })), Code.INVALID_ARGUMENT,
      'Flight SQL TicketStatementQuery is not a command: send it where the protocol says (a ticket or an action body)');
    await rejectsWith(drain(carol.doGet({ ticket: encodeFlightSqlAny({ kind: 'CommandPreparedStatementQuery', preparedStatementHandle: new Uint8Array([1]) }) })),
      Code.INVALID_ARGUMENT, 'Flight SQL CommandPreparedStatementQuery is not a ticket');
    await rejectsWith(drain(carol.doAction('CreatePreparedStatement', encodeFlightSqlAny({ kind: 'CommandGetCatalogs' }))), Code.INVALID_ARGUMENT,
      'expected a Flight SQL ActionCreatePreparedStatementRequest, got CommandGetCatalogs');
    const foreign = new Uint8Array([0x0a, 3, 0x61, 0x2f, 0x62]);
    await rejectsWith(carol.getFlightInfo(cmdDescriptor(foreign)), Code.INVALID_ARGUMENT, 'expected a google.protobuf.Any holding an arrow.flight.protocol.sql message, got type URL "a/b"');
    await rejectsWith(carol.getFlightInfo(command({ kind: 'CommandStatementQuery', query: 'SELECT id FROM train', transactionId: new Uint8Array([7]) })), Code.UNIMPLEMENTED,
      /^Flight SQL transactions \(transaction_id\) is not supported/);
  });

  test('GetSchema and PollFlightInfo answer Flight SQL commands as GetFlightInfo does', async () => {
    const tables = command({ kind: 'CommandGetTables', tableTypes: [], includeSchema: true });
    assert.deepEqual((await carol.getSchema(tables)).fields.map((f) => f.name), ['catalog_name', 'db_schema_name', 'table_name', 'table_type', 'table_schema']);
    const statement = command({ kind: 'CommandStatementQuery', query: 'SELECT name, id FROM train WHERE id > 3' });
    assert.deepEqual((await carol.getSchema(statement)).fields.map((f) => `${f.name}: ${String(f.type)}`), ['name: Utf8', 'id: Int32']);
    const poll = await carol.pollFlightInfo(statement);
    assert.equal(poll.progress, 1);
    assert.equal(poll.info?.totalRecords, 2n);
    const ticket = decodeFlightSqlAs(poll.info!.endpoints[0]!.ticket.ticket, 'TicketStatementQuery');
    assert.equal(JSON.parse(new TextDecoder().decode(ticket.statementHandle)).dataset, 'train', 'the statement handle is the node\'s own ticket');
  });

  test('a query reads an endpoint from its next location when the first does not answer', async () => {
    const locations = new LocationClients(carol, () => carol.bearerToken);
    try {
      const info = await queryInfo(locations, 'SELECT id FROM train WHERE id < 2');
      const dead = `grpc://127.0.0.1:${await freePort()}`;
      const moved = { ...info, endpoints: info.endpoints.map((e) => ({ ...e, locations: [{ uri: dead }, ...e.locations] })) };
      const streams = await drain(queryStreams(locations, moved));
      assert.deepEqual(streams.map((s) => s.length), [2], 'one stream: its schema and its one batch');
      const lone = { ...info, endpoints: info.endpoints.map((e) => ({ ...e, locations: [{ uri: dead }] })) };
      await rejectsWith(drain(queryStreams(locations, lone)), Code.UNAVAILABLE, /.+/);
    } finally {
      locations.close();
    }
  });

  test('GetSqlInfo answers what a driver asks on connecting', async () => {
    const info = await metadata(carol, { kind: 'CommandGetSqlInfo', info: [0, 3, 4, 5, 8, 504] });
    assert.deepEqual(rows(info), [
      { info_name: 0, value: 'flightcache' },
      { info_name: 3, value: true },
      { info_name: 4, value: true },
      { info_name: 5, value: false },
      { info_name: 8, value: 0 },
      { info_name: 504, value: '"' },
    ]);
  });
});
