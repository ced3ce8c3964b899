import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Code, FlightError } from '../errors.js';
import { DescriptorType, type FlightData, type OutgoingFlightData } from './messages.js';
import {
  FlightDataSink,
  decodeFlightData,
  defaultBodyAllocator,
  encodeFlightData,
  flightDataLength,
  type BodyAllocator,
} from './flight-data.js';
import type { RequestMemory } from '../grpc/method.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/ /g, ''), 'hex'));
const EMPTY = new Uint8Array(0);

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(flightDataLength(chunks));
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/** Splits `b` at the given offsets (taken modulo its length, deduplicated). */
function splitAt(b: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => (b.length === 0 ? 0 : c % b.length)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, b.length]) {
    out.push(b.subarray(prev, p));
    prev = p;
  }
  return out;
}

/** An allocator handing out fresh aligned memory and recording (header hex, length) per call. */
function recording(): { calls: [string, number][]; allocate: BodyAllocator } {
  const calls: [string, number][] = [];
  return {
    calls,
    allocate: (header, n) => {
      calls.push([hex(header), n]);
      return new Uint8Array(new ArrayBuffer(n));
    },
  };
}

function feed(slices: readonly Uint8Array[], allocate: BodyAllocator = defaultBodyAllocator, max?: number): FlightData {
  const sink = new FlightDataSink(allocate, max);
  sink.begin(flightDataLength(slices));
  // Copies, so the test also proves the sink keeps no reference to a pushed slice.
  for (const s of slices) sink.push(Uint8Array.from(s));
  return sink.end();
}

/** Runs `f`, accepting success or FlightError(INVALID_ARGUMENT | RESOURCE_EXHAUSTED) only. */
function valueOrRejected(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof FlightError, `expected a FlightError, got ${String(err)}`);
    assert.ok(err.code === Code.INVALID_ARGUMENT || err.code === Code.RESOURCE_EXHAUSTED, err.message);
  }
}

const descriptor = fc.record(
  {
    type: fc.constantFrom(DescriptorType.UNKNOWN, DescriptorType.PATH, DescriptorType.CMD),
    cmd: fc.uint8Array({ maxLength: 20 }),
    path: fc.array(fc.string({ unit: 'binary', maxLength: 8 }), { maxLength: 3 }),
  },
  { noNullPrototype: true },
);
const outgoing: fc.Arbitrary<OutgoingFlightData> = fc
  .record(
    {
      flightDescriptor: descriptor,
      dataHeader: fc.uint8Array({ maxLength: 300 }),
      appMetadata: fc.uint8Array({ maxLength: 40 }),
      body: fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 5 }),
    },
    { requiredKeys: ['dataHeader', 'body'], noNullPrototype: true },
  )
  .map((m) => ({ ...m, bodyLength: flightDataLength(m.body) }));

function expected(fd: OutgoingFlightData): FlightData {
  const out: FlightData = { dataHeader: fd.dataHeader, appMetadata: fd.appMetadata ?? EMPTY, dataBody: concat(fd.body) };
  if (fd.flightDescriptor !== undefined) out.flightDescriptor = fd.flightDescriptor;
  return out;
}

test('encodeFlightData puts tags, header and body length in one head and returns body chunks as they are', () => {
  const body = [bytes('03'), bytes('0405')];
  const chunks = encodeFlightData({ dataHeader: bytes('0102'), body, bodyLength: 3 });
  assert.equal(chunks.length, 3);
  assert.equal(hex(chunks[0]!), '12020102' + 'c23e03');
  assert.equal(chunks[1], body[0]);
  assert.equal(chunks[2], body[1]);
  assert.equal(flightDataLength(chunks), 10);
});

test('encodeFlightData writes descriptor and app_metadata into the head and omits an empty body', () => {
  const chunks = encodeFlightData({
    flightDescriptor: { type: DescriptorType.PATH, cmd: EMPTY, path: ['a'] },
    dataHeader: bytes('01'),
    appMetadata: bytes('6d'),
    body: [EMPTY],
    bodyLength: 0,
  });
  assert.deepEqual(chunks.map(hex), ['0a0508011a0161' + '120101' + '1a016d', '']);
});

test('encodeFlightData writes a multi-byte body length after the 0xC2 0x3E tag', () => {
  const body = [new Uint8Array(1 << 19), new Uint8Array(1 << 19)];
  const [head] = encodeFlightData({ dataHeader: EMPTY, body, bodyLength: 1 << 20 });
  assert.equal(hex(head!), 'c23e' + '808040');
});

test('encodeFlightData rejects a bodyLength that differs from its chunks as INTERNAL', () => {
  assert.throws(() => encodeFlightData({ dataHeader: EMPTY, body: [bytes('010203')], bodyLength: 5 }), {
    code: Code.INTERNAL,
    message: "FlightData bodyLength 5 differs from its 1 chunks' 3 bytes",
  });
});

test('the sink decodes the encoded chunks re-split at arbitrary points into the original message', () => {
  fc.assert(
    fc.property(outgoing, fc.array(fc.nat(), { maxLength: 8 }), (fd, cuts) => {
      const whole = concat(encodeFlightData(fd));
      const { calls, allocate } = recording();
      const got = feed(splitAt(whole, cuts), allocate);
      assert.deepStrictEqual(got, expected(fd));
      assert.deepStrictEqual(calls, fd.bodyLength > 0 ? [[hex(fd.dataHeader), fd.bodyLength]] : []);
      assert.deepStrictEqual(feed(encodeFlightData(fd), allocate), expected(fd));
    }),
  );
});

test('every split of a message with every field kind and unknown fields decodes the same', () => {
  const message = bytes(
    '0a 03 1a 01 70' + // descriptor path ["p"]
      '98 06 96 01' + // unknown varint (field 99)
      '12 04 01020304' + // data_header
      '99 06 0102030405060708' + // unknown fixed64
      '1a 02 6d6d' + // app_metadata
      '9d 06 01020304' + // unknown fixed32
      '9a 06 02 abcd' + // unknown bytes
      'c2 3e 09 112233445566778899', // data_body
  );
  const want = {
    dataHeader: bytes('01020304'),
    appMetadata: bytes('6d6d'),
    dataBody: bytes('112233445566778899'),
    flightDescriptor: { type: DescriptorType.UNKNOWN, cmd: EMPTY, path: ['p'] },
  };
  for (let i = 0; i <= message.length; i++) {
    for (let j = i; j <= message.length; j++) {
      const got = feed([message.subarray(0, i), message.subarray(i, j), message.subarray(j)]);
      assert.deepStrictEqual(got, want, `split at ${i}, ${j}`);
    }
  }
});

test('a body before any header is allocated with an empty header and a header after it is refused', () => {
  const { calls, allocate } = recording();
  assert.throws(() => decodeFlightData(bytes('c23e 02 0a0b  12 01 07'), allocate), {
    code: Code.INVALID_ARGUMENT,
    message: 'malformed FlightData: a data_header after data_body (send data_header first: the body is stored with its header) at byte 8',
  });
  assert.deepStrictEqual(calls, [['', 2]]);
  assert.deepStrictEqual(decodeFlightData(bytes('c23e 02 0a0b'), allocate), { dataHeader: EMPTY, appMetadata: EMPTY, dataBody: bytes('0a0b') });
});

test('repeated data_header fields before the body: the last one wins and is the one the allocator gets', () => {
  const { calls, allocate } = recording();
  const got = decodeFlightData(bytes('12 01 01  12 02 0203  c23e 01 aa'), allocate);
  assert.deepStrictEqual(calls, [['0203', 1]]);
  assert.deepStrictEqual(got, { dataHeader: bytes('0203'), appMetadata: EMPTY, dataBody: bytes('aa') });
});

test('a data_header after the body is accepted only when it repeats the one the body was allocated for', () => {
  const { calls, allocate } = recording();
  const same = decodeFlightData(bytes('12 02 0102  c23e 01 aa  12 02 0102'), allocate);
  assert.deepStrictEqual(same, { dataHeader: bytes('0102'), appMetadata: EMPTY, dataBody: bytes('aa') });
  for (const after of ['12 02 0103', '12 03 010203', '12 00']) {
    assert.throws(() => decodeFlightData(bytes(`12 02 0102  c23e 01 aa  ${after}`), allocate), {
      code: Code.INVALID_ARGUMENT,
      message: `malformed FlightData: a second data_header after data_body that differs from the one before it (the body is stored with the first) at byte ${bytes(after).length + 8}`,
    });
  }
  assert.deepStrictEqual(calls, [['0102', 1], ['0102', 1], ['0102', 1], ['0102', 1]]);
});

test('an empty body allocates nothing, so a header after it is simply the last one', () => {
  const { calls, allocate } = recording();
  assert.deepStrictEqual(decodeFlightData(bytes('12 01 01  c23e 00  12 01 02'), allocate), {
    dataHeader: bytes('02'),
    appMetadata: EMPTY,
    dataBody: EMPTY,
  });
  assert.deepStrictEqual(calls, []);
});

test('the body lands in the allocated memory and the small fields are copies owned by the result', () => {
  const pool = new ArrayBuffer(4096);
  const input = concat(encodeFlightData({ dataHeader: bytes('0102'), appMetadata: bytes('03'), body: [bytes('aabbcc')], bodyLength: 3 }));
  const got = decodeFlightData(input, (_h, n) => new Uint8Array(pool, 64, n));
  input.fill(0);
  assert.equal(got.dataBody.buffer, pool);
  assert.equal(got.dataBody.byteOffset, 64);
  assert.equal(hex(got.dataBody), 'aabbcc');
  assert.equal(hex(got.dataHeader), '0102');
  assert.equal(hex(got.appMetadata), '03');
});

test('defaultBodyAllocator returns exactly sized memory at offset 0 of its own 8-aligned backing store', () => {
  for (const n of [1, 7, 8, 1000, 65537]) {
    const a = defaultBodyAllocator(EMPTY, n);
    const b = defaultBodyAllocator(EMPTY, n);
    assert.equal(a.length, n);
    assert.equal(a.byteOffset, 0);
    assert.equal(a.buffer.byteLength, n);
    assert.notEqual(a.buffer, b.buffer);
    // Float64Array views need an 8-aligned offset; this is how apache-arrow reads 64-bit columns.
    assert.equal(new Float64Array(a.buffer, a.byteOffset, Math.floor(n / 8)).length, Math.floor(n / 8));
  }
  const fd = decodeFlightData(concat(encodeFlightData({ dataHeader: EMPTY, body: [new Uint8Array(24).fill(1)], bodyLength: 24 })));
  assert.equal(fd.dataBody.byteOffset % 8, 0);
  assert.equal(new Float64Array(fd.dataBody.buffer, fd.dataBody.byteOffset, 3).length, 3);
});

test('a sink decodes several messages one after another', () => {
  const sink = new FlightDataSink();
  const results: FlightData[] = [];
  for (const h of ['12 01 01 c23e 01 aa', '12 01 02']) {
    const b = bytes(h);
    sink.begin(b.length);
    sink.push(b);
    results.push(sink.end());
  }
  assert.deepStrictEqual(results.map((r) => [hex(r.dataHeader), hex(r.dataBody)]), [['01', 'aa'], ['02', '']]);
});

test('a message over maxMessageBytes is RESOURCE_EXHAUSTED naming its size and the limit', () => {
  assert.throws(() => new FlightDataSink(defaultBodyAllocator, 100).begin(101), {
    code: Code.RESOURCE_EXHAUSTED,
    message: 'FlightData message of 101 bytes exceeds the limit of 100 bytes',
  });
});

test('truncated and malformed messages are INVALID_ARGUMENT with a precise message', () => {
  const cases: [string, string][] = [
    ['12', 'truncated inside the length of field 2 at byte 1'],
    ['c2', 'truncated inside a tag at byte 1'],
    ['18 ff', 'truncated inside the varint of field 3 at byte 2'],
    ['09 0102', 'truncated inside field 1 (6 bytes missing) at byte 3'],
    ['12 05 0102', 'field 2 length 5 exceeds the 2 bytes left at byte 2'],
    ['c23e 01 aa c23e 01 bb', 'more than one data_body field at byte 7'],
    ['00', 'invalid tag 0 at byte 1'],
    ['0b', 'unsupported wire type 3 for field 1 at byte 1'],
    ['18 ffffffffffffffffffff01', 'varint longer than 10 bytes at byte 11'],
    ['0a 02 1a 01', 'length 1 exceeds the 0 remaining bytes at byte 2'],
  ];
  for (const [input, detail] of cases) {
    const message = detail.startsWith('length') ? `malformed FlightDescriptor: ${detail}` : `malformed FlightData: ${detail}`;
    assert.throws(() => decodeFlightData(bytes(input)), { code: Code.INVALID_ARGUMENT, message }, input);
  }
  const sink = new FlightDataSink();
  sink.begin(4);
  sink.push(bytes('1201'));
  assert.throws(() => sink.end(), { code: Code.INVALID_ARGUMENT, message: 'malformed FlightData: truncated: got 2 of 4 bytes at byte 2' });
});

test('a body longer than the rest of the message is rejected before anything is allocated', () => {
  const { calls, allocate } = recording();
  assert.throws(() => decodeFlightData(bytes('c23e 05 01'), allocate), {
    code: Code.INVALID_ARGUMENT,
    message: 'malformed FlightData: field 1000 length 5 exceeds the 1 bytes left at byte 3',
  });
  assert.deepStrictEqual(calls, []);
});

test('allocator failures keep their FlightError status and anything else becomes INTERNAL', () => {
  const input = bytes('c23e 08 0102030405060708');
  const full = new FlightError(Code.RESOURCE_EXHAUSTED, 'cache memory budget exceeded');
  assert.throws(() => decodeFlightData(input, () => { throw full; }), (err) => err === full);
  assert.throws(() => decodeFlightData(input, () => { throw new TypeError('boom'); }), { code: Code.INTERNAL, message: 'boom' });
  assert.throws(() => decodeFlightData(input, (_h, n) => new Uint8Array(n + 1).subarray(1)), {
    code: Code.INTERNAL,
    message: 'body allocator returned 8 bytes at offset 1 for an aligned 8-byte body',
  });
  assert.throws(() => decodeFlightData(input, () => new Uint8Array(4)), {
    code: Code.INTERNAL,
    message: 'body allocator returned 4 bytes at offset 0 for an aligned 8-byte body',
  });
});

test('pushing more bytes than begin announced is INTERNAL (a framing bug, not bad input)', () => {
  const sink = new FlightDataSink();
  sink.begin(1);
  assert.throws(() => sink.push(bytes('1200')), { code: Code.INTERNAL, message: 'FlightData sink got 2 bytes of a 1-byte message' });
});

test('random bytes, truncations and small limits yield a message or INVALID_ARGUMENT/RESOURCE_EXHAUSTED only', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), fc.array(fc.nat(), { maxLength: 4 }), (junk, cuts) => {
      valueOrRejected(() => decodeFlightData(junk));
      valueOrRejected(() => feed(splitAt(junk, cuts), defaultBodyAllocator, 40));
    }),
  );
  fc.assert(
    fc.property(outgoing, fc.nat(), fc.array(fc.nat(), { maxLength: 4 }), (fd, cut, cuts) => {
      const whole = concat(encodeFlightData(fd));
      const truncated = whole.subarray(0, whole.length === 0 ? 0 : cut % whole.length);
      valueOrRejected(() => feed(splitAt(truncated, cuts)));
    }),
  );
});

/** A budget that records the bytes it has charged and not had released. */
function budget(): { charged: () => number; memory: RequestMemory } {
  let charged = 0;
  return {
    charged: () => charged,
    memory: (n) => {
      charged += n;
      let released = false;
      return {
        bytes: new Uint8Array(n),
        release: () => {
          if (!released) charged -= n;
          released = true;
        },
      };
    },
  };
}

test('with a memory budget the small fields are charged while the message arrives and released once it is decoded', () => {
  const { charged, memory } = budget();
  const sink = new FlightDataSink(defaultBodyAllocator, undefined, memory);
  const message = bytes('0a 03 1a 01 70  12 04 01020304  1a 02 6d6d  0a 02 1a 00  c23e 01 aa');
  sink.begin(message.length);
  sink.push(message.subarray(0, 13));
  assert.equal(charged(), 3 + 4 + 2, 'descriptor, header and half-received metadata');
  sink.push(message.subarray(13));
  const got = sink.end();
  assert.equal(charged(), 0);
  assert.deepStrictEqual([hex(got.dataHeader), hex(got.appMetadata), got.flightDescriptor?.path], ['01020304', '6d6d', ['p', '']]);
});

test('with a memory budget a message abandoned part-way is released by discard, and a refused field charges nothing', () => {
  const { charged, memory } = budget();
  const sink = new FlightDataSink(defaultBodyAllocator, undefined, memory);
  sink.begin(100);
  sink.push(bytes('12 50 0102'));
  assert.equal(charged(), 0x50);
  sink.discard();
  assert.equal(charged(), 0);
  const full: RequestMemory = () => {
    throw new FlightError(Code.RESOURCE_EXHAUSTED, 'memory limit exceeded');
  };
  const refusing = new FlightDataSink(defaultBodyAllocator, undefined, full);
  refusing.begin(3);
  assert.throws(() => refusing.push(bytes('12 01 01')), { code: Code.RESOURCE_EXHAUSTED, message: 'memory limit exceeded' });
});
