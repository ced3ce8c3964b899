import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, FlightError } from '../errors.js';
import { decodeFlightSqlAny, decodeFlightSqlAs, decodeFlightSqlValue, encodeFlightSqlAny, encodeFlightSqlValue, looksLikeAny, type FlightSqlMessage } from './flight-sql.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const TYPE = 'type.googleapis.com/arrow.flight.protocol.sql.';

/** An Any by hand: field 1 the type URL, field 2 the value bytes. */
function anyOf(name: string, value: Uint8Array): Uint8Array {
  const url = utf8(TYPE + name);
  return new Uint8Array([0x0a, url.length, ...url, 0x12, value.length, ...value]);
}

test('every served Flight SQL message round-trips through its Any', () => {
  const messages: FlightSqlMessage[] = [
    { kind: 'CommandStatementQuery', query: 'SELECT a FROM t WHERE b = \'é\'' },
    { kind: 'CommandStatementQuery', query: 'SELECT 1', transactionId: utf8('tx') },
    { kind: 'TicketStatementQuery', statementHandle: utf8('{"v":2}') },
    { kind: 'CommandPreparedStatementQuery', preparedStatementHandle: utf8('h1') },
    { kind: 'CommandGetSqlInfo', info: [0, 1, 500, 100000] },
    { kind: 'CommandGetSqlInfo', info: [] },
    { kind: 'CommandGetCatalogs' },
    { kind: 'CommandGetDbSchemas', catalog: '', dbSchemaFilterPattern: 'm%' },
    { kind: 'CommandGetDbSchemas' },
    { kind: 'CommandGetTables', catalog: 'flightcache', tableNameFilterPattern: 'tr_in%', tableTypes: ['TABLE', 'VIEW'], includeSchema: true },
    { kind: 'CommandGetTables', tableTypes: [], includeSchema: false },
    { kind: 'CommandGetTableTypes' },
    { kind: 'ActionCreatePreparedStatementRequest', query: 'SELECT * FROM t WHERE x > ?' },
    { kind: 'ActionCreatePreparedStatementResult', preparedStatementHandle: utf8('h'), datasetSchema: utf8('schema'), parameterSchema: new Uint8Array() },
    { kind: 'ActionClosePreparedStatementRequest', preparedStatementHandle: utf8('h') },
    { kind: 'DoPutPreparedStatementResult', preparedStatementHandle: utf8('h2') },
  ];
  for (const message of messages) assert.deepStrictEqual(decodeFlightSqlAny(encodeFlightSqlAny(message)), message, message.kind);
});

test('an Any is written as type URL then value, with the message fields inside', () => {
  const encoded = encodeFlightSqlAny({ kind: 'CommandStatementQuery', query: 'SELECT 1' });
  assert.equal(hex(encoded), hex(anyOf('CommandStatementQuery', new Uint8Array([0x0a, 8, ...utf8('SELECT 1')]))));
  assert.equal(looksLikeAny(encoded), true);
  assert.equal(looksLikeAny(utf8('{"dataset":"t"}')), false);
});

test('CommandGetSqlInfo reads info ids both packed and one varint per id', () => {
  const packed = anyOf('CommandGetSqlInfo', new Uint8Array([0x0a, 4, 0, 1, 0xf4, 0x03]));
  const plain = anyOf('CommandGetSqlInfo', new Uint8Array([0x08, 0, 0x08, 1, 0x08, 0xf4, 0x03]));
  assert.deepStrictEqual(decodeFlightSqlAny(packed), { kind: 'CommandGetSqlInfo', info: [0, 1, 500] });
  assert.deepStrictEqual(decodeFlightSqlAny(plain), { kind: 'CommandGetSqlInfo', info: [0, 1, 500] });
});

test('unknown fields are skipped', () => {
  const value = new Uint8Array([0x0a, 1, ...utf8('q'), 0x78, 5, 0x32, 1, 0x41]);
  assert.deepStrictEqual(decodeFlightSqlAny(anyOf('CommandStatementQuery', value)), { kind: 'CommandStatementQuery', query: 'q' });
});

test('a Flight SQL message flightcache does not serve decodes to its name', () => {
  assert.deepStrictEqual(decodeFlightSqlAny(anyOf('CommandStatementUpdate', utf8(''))), { kind: 'unsupported', name: 'CommandStatementUpdate' });
  assert.deepStrictEqual(decodeFlightSqlAny(anyOf('CommandFromTheFuture', utf8(''))), { kind: 'unsupported', name: 'CommandFromTheFuture' });
});

test('an Any of another package is INVALID_ARGUMENT naming its type URL', () => {
  const url = utf8('type.googleapis.com/google.protobuf.Empty');
  const bytes = new Uint8Array([0x0a, url.length, ...url]);
  assert.throws(() => decodeFlightSqlAny(bytes), (err: unknown) => {
    assert.ok(err instanceof FlightError);
    assert.equal(err.code, Code.INVALID_ARGUMENT);
    assert.equal(err.message, 'expected a google.protobuf.Any holding an arrow.flight.protocol.sql message, got type URL "type.googleapis.com/google.protobuf.Empty"');
    return true;
  });
});

test('an Any cut inside a field is INVALID_ARGUMENT, never a RangeError', () => {
  const encoded = encodeFlightSqlAny({ kind: 'CommandStatementQuery', query: 'SELECT 1' });
  // Cut right after the type URL, the Any is whole: a statement with no query.
  const urlEnd = 2 + encoded[1]!;
  assert.deepStrictEqual(decodeFlightSqlAny(encoded.subarray(0, urlEnd)), { kind: 'CommandStatementQuery', query: '' });
  for (let cut = 1; cut < encoded.length; cut++) {
    if (cut === urlEnd) continue;
    assert.throws(() => decodeFlightSqlAny(encoded.subarray(0, cut)), (err: unknown) => err instanceof FlightError && err.code === Code.INVALID_ARGUMENT);
  }
});

test('decodeFlightSqlAs refuses a message of another kind, naming both', () => {
  const ticket = encodeFlightSqlAny({ kind: 'CommandGetCatalogs' });
  assert.deepStrictEqual(decodeFlightSqlAs(ticket, 'CommandGetCatalogs'), { kind: 'CommandGetCatalogs' });
  assert.throws(() => decodeFlightSqlAs(ticket, 'TicketStatementQuery'), {
    code: Code.INVALID_ARGUMENT,
    message: 'expected a Flight SQL TicketStatementQuery, got CommandGetCatalogs',
  });
});

test('DoPutPreparedStatementResult travels without an Any, its handle kept even when empty', () => {
  const encoded = encodeFlightSqlValue({ kind: 'DoPutPreparedStatementResult', preparedStatementHandle: utf8('h') });
  assert.equal(hex(encoded), '0a0168');
  assert.deepStrictEqual(decodeFlightSqlValue('DoPutPreparedStatementResult', encoded), { kind: 'DoPutPreparedStatementResult', preparedStatementHandle: utf8('h') });
  assert.deepStrictEqual(decodeFlightSqlValue('DoPutPreparedStatementResult', new Uint8Array()), { kind: 'DoPutPreparedStatementResult' });
});
