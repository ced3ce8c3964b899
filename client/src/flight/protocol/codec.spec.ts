import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Code, FlightError } from '../errors.js';
import * as codec from './codec.js';
import { DescriptorType, type FlightEndpoint, type FlightInfo, type PollInfo } from './messages.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/ /g, ''), 'hex'));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const anyBytes = fc.uint8Array({ maxLength: 40 });
const anyString = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('', 'é/ü', '\ufeffbom', '🚀/data/🐱'));
const int64 = fc.oneof(fc.constantFrom(-1n, 0n, INT64_MIN, INT64_MAX), fc.bigInt({ min: INT64_MIN, max: INT64_MAX }));
const uint64 = fc.oneof(fc.constantFrom(0n, 1n, 2n ** 64n - 1n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });

// deepStrictEqual compares prototypes, so generated objects must be plain ones.
const plain = { noNullPrototype: true };
const descriptor = fc.record({
  type: fc.oneof(fc.constantFrom(DescriptorType.UNKNOWN, DescriptorType.PATH, DescriptorType.CMD), int32),
  cmd: anyBytes,
  path: fc.array(anyString, { maxLength: 4 }),
}, plain);
const timestamp = fc.record({ seconds: int64, nanos: int32 }, plain);
const location = fc.record({ uri: anyString }, plain);
const ticket = fc.record({ ticket: anyBytes }, plain);
const endpoint: fc.Arbitrary<FlightEndpoint> = fc.record(
  { ticket, locations: fc.array(location, { maxLength: 3 }), expirationTime: timestamp, appMetadata: anyBytes },
  { requiredKeys: ['ticket', 'locations', 'appMetadata'], noNullPrototype: true },
);
const flightInfo: fc.Arbitrary<FlightInfo> = fc.record(
  {
    schema: anyBytes,
    flightDescriptor: descriptor,
    endpoints: fc.array(endpoint, { maxLength: 3 }),
    totalRecords: int64,
    totalBytes: int64,
    ordered: fc.boolean(),
    appMetadata: anyBytes,
  },
  { requiredKeys: ['schema', 'endpoints', 'totalRecords', 'totalBytes', 'ordered', 'appMetadata'], noNullPrototype: true },
);
const pollInfo: fc.Arbitrary<PollInfo> = fc.record(
  { info: flightInfo, flightDescriptor: descriptor, progress: fc.double(), expirationTime: timestamp },
  { requiredKeys: [], noNullPrototype: true },
);
const handshake = fc.record({ protocolVersion: uint64, payload: anyBytes }, plain);

interface Case<T> {
  name: string;
  arb: fc.Arbitrary<T>;
  encode: (m: T) => Uint8Array;
  decode: (b: Uint8Array) => T;
}
const entry = <T>(name: string, arb: fc.Arbitrary<T>, encode: (m: T) => Uint8Array, decode: (b: Uint8Array) => T): Case<unknown> =>
  ({ name, arb, encode, decode }) as Case<unknown>;

const cases: Case<unknown>[] = [
  entry('FlightDescriptor', descriptor, codec.encodeFlightDescriptor, codec.decodeFlightDescriptor),
  entry('Location', location, codec.encodeLocation, codec.decodeLocation),
  entry('Ticket', ticket, codec.encodeTicket, codec.decodeTicket),
  entry('Timestamp', timestamp, codec.encodeTimestamp, codec.decodeTimestamp),
  entry('FlightEndpoint', endpoint, codec.encodeFlightEndpoint, codec.decodeFlightEndpoint),
  entry('FlightInfo', flightInfo, codec.encodeFlightInfo, codec.decodeFlightInfo),
  entry('PollInfo', pollInfo, codec.encodePollInfo, codec.decodePollInfo),
  entry('SchemaResult', fc.record({ schema: anyBytes }, plain), codec.encodeSchemaResult, codec.decodeSchemaResult),
  entry('Criteria', fc.record({ expression: anyBytes }, plain), codec.encodeCriteria, codec.decodeCriteria),
  entry('Action', fc.record({ type: anyString, body: anyBytes }, plain), codec.encodeAction, codec.decodeAction),
  entry('ActionType', fc.record({ type: anyString, description: anyString }, plain), codec.encodeActionType, codec.decodeActionType),
  entry('Result', fc.record({ body: anyBytes }, plain), codec.encodeResult, codec.decodeResult),
  entry('PutResult', fc.record({ appMetadata: anyBytes }, plain), codec.encodePutResult, codec.decodePutResult),
  entry('HandshakeRequest', handshake, codec.encodeHandshakeRequest, codec.decodeHandshakeRequest),
  entry('HandshakeResponse', handshake, codec.encodeHandshakeResponse, codec.decodeHandshakeResponse),
  entry('Empty', fc.constant({}), codec.encodeEmpty, codec.decodeEmpty),
];

/** Decodes, accepting success or FlightError(INVALID_ARGUMENT) and failing on anything else. */
function decodeOrInvalid(c: Case<unknown>, input: Uint8Array): void {
  try {
    c.decode(input);
  } catch (err) {
    assert.ok(err instanceof FlightError, `${c.name}: expected a FlightError, got ${String(err)}`);
    assert.equal(err.code, Code.INVALID_ARGUMENT, err.message);
  }
}

for (const c of cases) {
  test(`${c.name} survives an encode/decode round trip with arbitrary contents`, () => {
    fc.assert(fc.property(c.arb, (m) => assert.deepStrictEqual(c.decode(c.encode(m)), m)));
  });

  test(`${c.name} decoding truncated or random bytes yields a value or INVALID_ARGUMENT only`, () => {
    fc.assert(
      fc.property(c.arb, fc.nat(), (m, cut) => {
        const full = c.encode(m);
        decodeOrInvalid(c, full.subarray(0, full.length === 0 ? 0 : cut % full.length));
      }),
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (junk) => decodeOrInvalid(c, junk)));
  });
}

/** Asserts that `msg` encodes to exactly `wire` (hex, spaces ignored) and decodes back from it. */
function golden<T>(wire: string, encode: (m: T) => Uint8Array, decode: (b: Uint8Array) => T, msg: T): void {
  const expected = wire.replace(/ /g, '');
  assert.equal(hex(encode(msg)), expected);
  assert.deepStrictEqual(decode(bytes(expected)), msg);
}

// Hand-derived from the protobuf encoding rules; the descriptor, ticket, endpoint and action vectors
// also match pyarrow 25's serialize() output byte for byte.
test('golden vectors pin the field numbers and wire types', () => {
  golden('08 01 1a 01 61 1a 01 62', codec.encodeFlightDescriptor, codec.decodeFlightDescriptor, { type: DescriptorType.PATH, cmd: new Uint8Array(0), path: ['a', 'b'] });
  golden('08 02 12 02 78 79', codec.encodeFlightDescriptor, codec.decodeFlightDescriptor, { type: DescriptorType.CMD, cmd: utf8('xy'), path: [] });
  golden('0a 02 c3 a9', codec.encodeLocation, codec.decodeLocation, { uri: 'é' });
  golden('0a 02 74 31', codec.encodeTicket, codec.decodeTicket, { ticket: utf8('t1') });
  golden('08 ffffffffffffffffff01 10 01', codec.encodeTimestamp, codec.decodeTimestamp, { seconds: -1n, nanos: 1 });
  golden(
    '0a 03 0a 01 74  12 0c 0a 0a 677270633a2f2f683a31  1a 0b 08 8081c8ac06 10 c096b102  22 01 6d',
    codec.encodeFlightEndpoint,
    codec.decodeFlightEndpoint,
    { ticket: { ticket: utf8('t') }, locations: [{ uri: 'grpc://h:1' }], expirationTime: { seconds: 1704067200n, nanos: 5000000 }, appMetadata: utf8('m') },
  );
  golden(
    '0a 02 0102  12 05 08 01 1a 01 70  1a 05 0a 03 0a 01 74  20 ffffffffffffffffff01  28 05  30 01  3a 01 7a',
    codec.encodeFlightInfo,
    codec.decodeFlightInfo,
    {
      schema: bytes('0102'),
      flightDescriptor: { type: DescriptorType.PATH, cmd: new Uint8Array(0), path: ['p'] },
      endpoints: [{ ticket: { ticket: utf8('t') }, locations: [], appMetadata: new Uint8Array(0) }],
      totalRecords: -1n,
      totalBytes: 5n,
      ordered: true,
      appMetadata: utf8('z'),
    },
  );
  golden('12 00  19 000000000000e03f  22 02 08 01', codec.encodePollInfo, codec.decodePollInfo, { flightDescriptor: { type: 0, cmd: new Uint8Array(0), path: [] }, progress: 0.5, expirationTime: { seconds: 1n, nanos: 0 } });
  golden('0a 02 0102', codec.encodeSchemaResult, codec.decodeSchemaResult, { schema: bytes('0102') });
  golden('0a 01 78', codec.encodeCriteria, codec.decodeCriteria, { expression: utf8('x') });
  golden('0a 02 64 6f 12 01 01', codec.encodeAction, codec.decodeAction, { type: 'do', body: bytes('01') });
  golden('0a 01 74 12 01 64', codec.encodeActionType, codec.decodeActionType, { type: 't', description: 'd' });
  golden('0a 01 72', codec.encodeResult, codec.decodeResult, { body: utf8('r') });
  golden('0a 01 6d', codec.encodePutResult, codec.decodePutResult, { appMetadata: utf8('m') });
  golden('08 ffffffffffffffffff01 12 01 78', codec.encodeHandshakeRequest, codec.decodeHandshakeRequest, { protocolVersion: 2n ** 64n - 1n, payload: utf8('x') });
});

test('messages holding only default values encode to zero bytes and decode from zero bytes', () => {
  const none = new Uint8Array(0);
  assert.equal(codec.encodeFlightInfo({ schema: none, endpoints: [], totalRecords: 0n, totalBytes: 0n, ordered: false, appMetadata: none }).length, 0);
  assert.equal(codec.encodeFlightEndpoint({ ticket: { ticket: none }, locations: [], appMetadata: none }).length, 0);
  assert.equal(codec.encodePollInfo({}).length, 0);
  assert.deepStrictEqual(codec.decodeFlightInfo(none), { schema: none, endpoints: [], totalRecords: 0n, totalBytes: 0n, ordered: false, appMetadata: none });
  assert.deepStrictEqual(codec.decodePollInfo(none), {});
  assert.deepStrictEqual(codec.decodeHandshakeRequest(none), { protocolVersion: 0n, payload: none });
  assert.deepStrictEqual(codec.decodeEmpty(none), {});
});

test('unknown fields of every wire type and known fields of the wrong wire type are skipped', () => {
  const known = '3a 01 7a';
  const unknown = '98 06 ffffffffffffffffff01  99 06 0102030405060708  9a 06 02 abcd  9d 06 01020304  08 05';
  assert.deepStrictEqual(codec.decodeFlightInfo(bytes(unknown + known)), codec.decodeFlightInfo(bytes(known)));
  assert.deepStrictEqual(codec.decodeEmpty(bytes(unknown)), {});
});

test('a singular message field that appears twice is merged, as protobuf does', () => {
  const info = codec.decodeFlightInfo(bytes('12 03 1a 01 61  12 05 08 01 1a 01 62'));
  assert.deepStrictEqual(info.flightDescriptor, { type: DescriptorType.PATH, cmd: new Uint8Array(0), path: ['a', 'b'] });
});

test('decoded byte fields are views onto the input buffer', () => {
  const input = codec.encodeFlightInfo({ schema: bytes('010203'), endpoints: [], totalRecords: -1n, totalBytes: -1n, ordered: false, appMetadata: bytes('09') });
  const info = codec.decodeFlightInfo(input);
  assert.equal(info.schema.buffer, input.buffer);
  assert.equal(info.schema.byteOffset, input.byteOffset + 2);
  assert.equal(info.appMetadata.buffer, input.buffer);
});

test('invalid UTF-8 in a string field, nested or not, is INVALID_ARGUMENT naming the field', () => {
  assert.throws(() => codec.decodeLocation(bytes('0a 01 ff')), { code: Code.INVALID_ARGUMENT, message: 'Location.uri is not valid UTF-8' });
  assert.throws(() => codec.decodeFlightInfo(bytes('12 03 1a 01 c0')), { code: Code.INVALID_ARGUMENT, message: 'FlightDescriptor.path is not valid UTF-8' });
  assert.throws(() => codec.decodeActionType(bytes('12 02 ed a0')), { code: Code.INVALID_ARGUMENT, message: 'ActionType.description is not valid UTF-8' });
});

test('a nested message running past its parent is INVALID_ARGUMENT with the offset', () => {
  assert.throws(() => codec.decodeFlightInfo(bytes('1a 03 0a 03 0a 01 74')), {
    code: Code.INVALID_ARGUMENT,
    message: 'malformed FlightInfo: length 3 exceeds the 1 remaining bytes at byte 4',
  });
  assert.throws(() => codec.decodeFlightInfo(bytes('0a 04 0102')), {
    code: Code.INVALID_ARGUMENT,
    message: 'malformed FlightInfo: length 4 exceeds the 2 remaining bytes at byte 2',
  });
});

test('decodeUtf8Strict is exported for string fields parsed elsewhere', () => {
  assert.equal(codec.decodeUtf8Strict(utf8('ok/é')), 'ok/é');
  assert.throws(() => codec.decodeUtf8Strict(bytes('80'), 'CommandStatementQuery.query'), {
    code: Code.INVALID_ARGUMENT,
    message: 'CommandStatementQuery.query is not valid UTF-8',
  });
});
