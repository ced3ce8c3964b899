import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Code, FlightError } from '../errors.js';
import { WireReader, WireType, WireWriter, decodeUtf8Strict, putVarint, varintSize } from './wire.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/ /g, ''), 'hex'));

function written(write: (w: WireWriter) => void): Uint8Array {
  const w = new WireWriter(4);
  write(w);
  return w.finish();
}

function invalid(message: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof FlightError, `expected a FlightError, got ${String(err)}`);
    assert.equal(err.code, Code.INVALID_ARGUMENT);
    assert.equal(err.message, message);
    return true;
  };
}

test('varints are written in the protobuf base-128 layout', () => {
  assert.equal(hex(written((w) => w.uint(0))), '00');
  assert.equal(hex(written((w) => w.uint(127))), '7f');
  assert.equal(hex(written((w) => w.uint(300))), 'ac02');
  assert.equal(hex(written((w) => w.uint(2 ** 53))), '8080808080808010');
  assert.equal(hex(written((w) => w.uint64(2n ** 64n - 1n, 'f'))), 'ffffffffffffffffff01');
  assert.equal(hex(written((w) => w.int64(-1n, 'f'))), 'ffffffffffffffffff01');
  assert.equal(hex(written((w) => w.int64(-(2n ** 63n), 'f'))), '80808080808080808001');
  assert.equal(hex(written((w) => w.int32(-2))), 'feffffffffffffffff01');
  assert.equal(hex(written((w) => w.tag(1000, WireType.LEN))), 'c23e');
});

test('varintSize and putVarint agree for every integer up to 2^53', () => {
  fc.assert(
    fc.property(fc.maxSafeNat(), (n) => {
      const buf = new Uint8Array(10);
      assert.equal(putVarint(buf, 0, n), varintSize(n));
      assert.equal(new WireReader(buf, 'T').number(), n);
    }),
  );
});

test('uint64, int64, int32, bool and double round-trip through writer and reader', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      fc.boolean(),
      fc.double(),
      (u, s, i, b, d) => {
        const r = new WireReader(
          written((w) => {
            w.uint64(u, 'u');
            w.int64(s, 's');
            w.int32(i);
            w.bool(b);
            w.double(d);
          }),
          'T',
        );
        assert.equal(r.uint64(), u);
        assert.equal(r.int64(), s);
        assert.equal(r.int32(), i);
        assert.equal(r.bool(), b);
        assert.ok(Object.is(r.double(), d));
        assert.ok(r.done());
      },
    ),
  );
});

test('strings are written as TextEncoder would, lone surrogates included', () => {
  const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: anyUnit })), (s) => {
      const utf8 = new TextEncoder().encode(s);
      const out = written((w) => w.string(s));
      const prefix = new Uint8Array(varintSize(utf8.length));
      putVarint(prefix, 0, utf8.length);
      assert.equal(hex(out), hex(prefix) + hex(utf8));
    }),
  );
});

test('strings and bytes round-trip, and read bytes alias the input', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.uint8Array({ maxLength: 300 }), (s, b) => {
      const input = written((w) => {
        w.string(s);
        w.bytes(b);
      });
      const r = new WireReader(input, 'T');
      assert.equal(r.string('s'), s);
      const read = r.bytes();
      assert.deepEqual(read, b);
      assert.equal(read.buffer, input.buffer);
    }),
  );
});

test('fork and join move nested content when its length needs more than one byte', () => {
  for (const len of [0, 127, 128, 16383, 16384, 70000]) {
    const content = new Uint8Array(len).map((_, i) => i % 251);
    const out = written((w) => {
      w.uint(7);
      const mark = w.fork();
      for (const c of content) w.uint(c & 0x7f);
      w.join(mark);
      w.uint(9);
    });
    const r = new WireReader(out, 'T');
    assert.equal(r.number(), 7);
    const outer = r.enter();
    for (const c of content) assert.equal(r.number(), c & 0x7f);
    assert.ok(r.done());
    r.leave(outer);
    assert.equal(r.number(), 9);
    assert.ok(r.done());
  }
});

test('a leading byte-order mark is kept and invalid UTF-8 is INVALID_ARGUMENT', () => {
  assert.equal(decodeUtf8Strict(bytes('efbbbf41')), '\ufeffA');
  assert.throws(() => decodeUtf8Strict(bytes('41ff'), 'Location.uri'), invalid('Location.uri is not valid UTF-8'));
  assert.throws(() => new WireReader(bytes('02c328'), 'Action').string('Action.type'), invalid('Action.type is not valid UTF-8'));
});

test('skip passes over every supported wire type', () => {
  const r = new WireReader(bytes('08 ffffffffffffffffff01 11 0102030405060708 1a 03 616263 25 01020304 30 05'), 'T');
  for (const wireType of [0, 1, 2, 5]) {
    const tag = r.tag();
    assert.equal(tag & 7, wireType);
    r.skip(wireType);
  }
  assert.equal(r.tag(), 0x30);
  assert.equal(r.number(), 5);
  assert.ok(r.done());
});

test('malformed input is INVALID_ARGUMENT with the message name and offset', () => {
  const read = (h: string, f: (r: WireReader) => unknown) => () => f(new WireReader(bytes(h), 'FlightInfo'));
  assert.throws(read('ff', (r) => r.number()), invalid('malformed FlightInfo: truncated varint at byte 0'));
  assert.throws(read('ffffffffffffffffffff01', (r) => r.uint64()), invalid('malformed FlightInfo: varint longer than 10 bytes at byte 0'));
  assert.throws(read('00', (r) => r.tag()), invalid('malformed FlightInfo: invalid tag 0 at byte 0'));
  assert.throws(read('8080808080808001', (r) => r.tag()), invalid('malformed FlightInfo: invalid tag 562949953421312 at byte 0'));
  assert.throws(read('0b', (r) => r.tag()), invalid('malformed FlightInfo: unsupported wire type 3 for field 1 at byte 0'));
  assert.throws(read('14', (r) => r.tag()), invalid('malformed FlightInfo: unsupported wire type 4 for field 2 at byte 0'));
  assert.throws(read('0e', (r) => r.tag()), invalid('malformed FlightInfo: unsupported wire type 6 for field 1 at byte 0'));
  assert.throws(read('0f', (r) => r.tag()), invalid('malformed FlightInfo: unsupported wire type 7 for field 1 at byte 0'));
  assert.throws(read('05 6162', (r) => r.bytes()), invalid('malformed FlightInfo: length 5 exceeds the 2 remaining bytes at byte 1'));
  assert.throws(read('01020304050607', (r) => r.double()), invalid('malformed FlightInfo: truncated: needs 8 bytes, 7 left at byte 0'));
  assert.throws(read('010203', (r) => r.skip(5)), invalid('malformed FlightInfo: truncated: needs 4 bytes, 3 left at byte 0'));
});

test('a nested limit stops reads at the nested message end', () => {
  const r = new WireReader(bytes('02 08 ff 01'), 'T');
  const outer = r.enter();
  assert.equal(r.tag(), 8);
  assert.throws(() => r.number(), invalid('malformed T: truncated varint at byte 2'));
  r.leave(outer);
  assert.equal(r.limit, 4);
});

test('out-of-range 64-bit values are an INTERNAL error on encode', () => {
  const w = new WireWriter();
  assert.throws(() => w.uint64(-1n, 'HandshakeRequest.protocol_version'), {
    name: 'FlightError',
    code: Code.INTERNAL,
    message: 'HandshakeRequest.protocol_version: -1 is outside the uint64 range',
  });
  assert.throws(() => w.int64(2n ** 63n, 'FlightInfo.total_records'), {
    name: 'FlightError',
    code: Code.INTERNAL,
    message: 'FlightInfo.total_records: 9223372036854775808 is outside the int64 range',
  });
});

test('finish returns an exact copy, resets the writer and drops a buffer grown past 1 MiB', () => {
  const w = new WireWriter(16);
  w.bytes(new Uint8Array(2 << 20).fill(7));
  const big = w.finish();
  assert.equal(big.length, 4 + (2 << 20));
  assert.equal(w.pos, 0);
  assert.equal(w.buf.length, 16);
  w.uint(1);
  assert.deepEqual(w.finish(), bytes('01'));
  assert.equal(big[4], 7);
});
