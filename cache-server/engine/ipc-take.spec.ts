import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as arrow from 'apache-arrow';
import { Builder } from 'flatbuffers';
import { Field as FbField } from 'apache-arrow/fb/field';
import { Message } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { MetadataVersion } from 'apache-arrow/fb/metadata-version';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { Schema as FbSchema } from 'apache-arrow/fb/schema';
import { Type } from 'apache-arrow/fb/type';
import { Code } from '../../client/src/flight/errors.js';
import { errorOf } from '../../test/helpers/flight-assertions.js';
import { ArrowStreamDecoder, encodeTable } from '../../client/src/flight/protocol/arrow-codec.js';
import { messageAccessor, parseMessageHeader } from '../../client/src/flight/protocol/ipc-message.js';
import { RowTaker, type TakeSource, type TakenBatch } from './ipc-take.js';
import { Layout, schemaLayout, type FieldLayout } from './ipc-take-layout.js';
import { countZeroBits } from './ipc-take-runs.js';

const F = (name: string, type: arrow.DataType, nullable = true): arrow.Field => new arrow.Field(name, type, nullable);

/** Renders values so that bigint, bytes, rows and maps compare exactly. */
function render(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (ArrayBuffer.isView(v)) return Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    if (v instanceof Map) return [...v.entries()];
    return v;
  });
}

const concat = (chunks: readonly Uint8Array[], shift = 0): Uint8Array => {
  const out = new Uint8Array(shift + chunks.reduce((n, c) => n + c.length, 0));
  let at = shift;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out.subarray(shift);
};

/** The table's schema, dictionary and record batch messages; bodies start `shift` bytes into their buffers. */
function encode(table: arrow.Table, shift = 0): { schema: Uint8Array; dictionaries: TakeSource[]; batches: TakeSource[] } {
  const [schema, ...rest] = [...encodeTable(table)].map((data) => ({ header: data.dataHeader, body: concat(data.body, shift) }));
  const batches = rest.filter((m) => parseMessageHeader(m.header).kind === 'record_batch');
  return { schema: schema!.header, dictionaries: rest.filter((m) => !batches.includes(m)), batches };
}

/** Checks the taken batch's framing and null counts, then decodes it with apache-arrow. */
function decode(encoded: ReturnType<typeof encode>, taken: TakenBatch): arrow.RecordBatch {
  const body = concat(taken.body);
  assert.equal(body.length, taken.bodyLength);
  assert.equal(parseMessageHeader(taken.header).bodyLength, taken.bodyLength);
  checkNullCounts(encoded.schema, taken.header, body);
  const decoder = new ArrowStreamDecoder();
  decoder.decode(encoded.schema, new Uint8Array());
  for (const dictionary of encoded.dictionaries) decoder.decode(dictionary.header, dictionary.body);
  const decoded = decoder.decode(taken.header, body);
  assert.equal(decoded.kind, 'batch');
  return (decoded as { batch: arrow.RecordBatch }).batch;
}

/** Every buffer starts 64-byte aligned, and every node's null count matches its validity bitmap. */
function checkNullCounts(schema: Uint8Array, header: Uint8Array, body: Uint8Array): void {
  const message = messageAccessor(schema);
  const fb = message.header(new FbSchema()) as FbSchema;
  const fields = Array.from({ length: fb.fieldsLength() }, (_, i) => fb.fields(i)!);
  const batch = messageAccessor(header).header(new FbRecordBatch()) as FbRecordBatch;
  for (let i = 0; i < batch.buffersLength(); i++) assert.equal(Number(batch.buffers(i)!.offset()) % 64, 0);
  const visit = (f: FieldLayout): void => {
    const node = batch.nodes(f.node)!;
    const length = Number(node.length());
    const nulls = Number(node.nullCount());
    if (f.layout === Layout.Null) assert.equal(nulls, length);
    else if (f.validity) {
      const buffer = batch.buffers(f.buffer)!;
      const bitmap = body.subarray(Number(buffer.offset()), Number(buffer.offset() + buffer.length()));
      assert.equal(nulls, bitmap.length === 0 ? 0 : countZeroBits(bitmap, length), `null count of "${f.path}"`);
      if (nulls === 0) assert.equal(bitmap.length, 0, `"${f.path}" without nulls sends no bitmap`);
    } else assert.equal(nulls, 0);
    f.children.forEach(visit);
  };
  schemaLayout(fields, message.version()).fields.forEach(visit);
}

/** A fixed-width column built from raw bytes per row (null for a null row). */
function rawVector(type: arrow.DataType, width: number, rows: (Uint8Array | null)[]): arrow.Vector {
  const bytes = new Uint8Array(Math.max(rows.length * width, 8));
  const bitmap = new Uint8Array(Math.ceil(rows.length / 8));
  rows.forEach((row, i) => {
    if (row) {
      bytes.set(row, i * width);
      bitmap[i >> 3]! |= 1 << (i & 7);
    }
  });
  const ArrayType = (type as arrow.DataType & { ArrayType: new (buffer: ArrayBuffer) => ArrayBufferView }).ArrayType;
  const nullCount = rows.filter((r) => r === null).length;
  return new arrow.Vector([arrow.makeData({ type, length: rows.length, nullCount, nullBitmap: bitmap, data: new ArrayType(bytes.buffer) } as never)]);
}

const opt = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { nil: null, freq: 4 });
const day = 86_400_000;
const item = F('item', new arrow.Int32());
const tagList = new arrow.List(F('item', new arrow.Utf8()));
const point = new arrow.Struct([F('x', new arrow.Int16()), F('tags', tagList)]);
const entries = F('entries', new arrow.Struct([F('key', new arrow.Utf8(), false), F('value', new arrow.Int32())]), false);
const pairs = new arrow.List(F('item', new arrow.Struct([F('a', new arrow.Int8()), F('b', new arrow.Bool())])));

/** Columns built with vectorFromArray: name, type and an arbitrary of one row's value. */
const COLUMNS: [string, arrow.DataType, fc.Arbitrary<unknown>][] = [
  ['null', new arrow.Null(), fc.constant(null)],
  ['bool', new arrow.Bool(), opt(fc.boolean())],
  ['int8', new arrow.Int8(), opt(fc.integer({ min: -128, max: 127 }))],
  ['int16', new arrow.Int16(), opt(fc.integer({ min: -32768, max: 32767 }))],
  ['int32', new arrow.Int32(), opt(fc.integer())],
  ['int64', new arrow.Int64(), opt(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }))],
  ['uint8', new arrow.Uint8(), opt(fc.integer({ min: 0, max: 255 }))],
  ['uint16', new arrow.Uint16(), opt(fc.integer({ min: 0, max: 65535 }))],
  ['uint32', new arrow.Uint32(), opt(fc.integer({ min: 0, max: 2 ** 32 - 1 }))],
  ['uint64', new arrow.Uint64(), opt(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))],
  ['float16', new arrow.Float16(), opt(fc.integer({ min: -2000, max: 2000 }).map((x) => x / 4))],
  ['float32', new arrow.Float32(), opt(fc.float({ noNaN: true }))],
  ['float64', new arrow.Float64(), opt(fc.double({ noNaN: true }))],
  ['utf8', new arrow.Utf8(), opt(fc.string({ unit: 'grapheme', maxLength: 12 }))],
  ['large_utf8', new arrow.LargeUtf8(), opt(fc.string({ maxLength: 12 }))],
  ['binary', new arrow.Binary(), opt(fc.uint8Array({ maxLength: 9 }))],
  ['large_binary', new arrow.LargeBinary(), opt(fc.uint8Array({ maxLength: 9 }))],
  ['date32', new arrow.DateDay(), opt(fc.integer({ min: -50_000, max: 50_000 }).map((d) => new Date(d * day)))],
  ['date64', new arrow.DateMillisecond(), opt(fc.integer({ min: -1e12, max: 1e12 }).map((ms) => new Date(ms)))],
  ['time32', new arrow.TimeMillisecond(), opt(fc.integer({ min: 0, max: day - 1 }))],
  ['time64', new arrow.TimeNanosecond(), opt(fc.bigInt({ min: 0n, max: 86_399_999_999_999n }))],
  ['timestamp', new arrow.TimestampMicrosecond(), opt(fc.integer({ min: -1e12, max: 1e12 }))],
  ['timestamp_tz', new arrow.TimestampSecond('Europe/Paris'), opt(fc.integer({ min: -1e9, max: 1e9 }).map((seconds) => seconds * 1000))],
  ['duration', new arrow.DurationNanosecond(), opt(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }))],
  ['list', new arrow.List(item), opt(fc.array(opt(fc.integer()), { maxLength: 4 }))],
  ['large_list', new arrow.LargeList(F('item', new arrow.Utf8())), opt(fc.array(opt(fc.string({ maxLength: 3 })), { maxLength: 3 }))],
  ['fixed_list', new arrow.FixedSizeList(2, F('item', new arrow.Float32())), opt(fc.tuple(opt(fc.integer({ min: -99, max: 99 })), opt(fc.integer({ min: -99, max: 99 }))))],
  ['struct', point, opt(fc.record({ x: opt(fc.integer({ min: -300, max: 300 })), tags: opt(fc.array(opt(fc.string({ maxLength: 2 })), { maxLength: 3 })) }))],
  ['map', new arrow.Map_(entries), opt(fc.uniqueArray(fc.tuple(fc.string({ maxLength: 2 }), opt(fc.integer())), { maxLength: 3, selector: (e) => e[0] }).map((e) => new Map(e)))],
  ['list_of_struct', pairs, opt(fc.array(opt(fc.record({ a: opt(fc.integer({ min: -9, max: 9 })), b: opt(fc.boolean()) })), { maxLength: 3 }))],
  ['dictionary', new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()), opt(fc.constantFrom('red', 'green', 'blue'))],
  ['dictionary8', new arrow.Dictionary(new arrow.Utf8(), new arrow.Int8()), opt(fc.constantFrom('s', 'm'))],
];

/** Fixed-width columns apache-arrow has no builder for, built from raw bytes: name, type, bytes per row. */
const RAW: [string, arrow.DataType, number][] = [
  ['decimal128', new arrow.Decimal(2, 38, 128), 16],
  ['decimal256', new arrow.Decimal(4, 60, 256), 32],
  ['fixed_binary', new arrow.FixedSizeBinary(3), 3],
  ['interval_ym', new arrow.IntervalYearMonth(), 4],
  ['interval_dt', new arrow.IntervalDayTime(), 8],
];

const rowArb = fc.tuple(fc.tuple(...COLUMNS.map((c) => c[2])), fc.tuple(...RAW.map(([, , width]) => opt(fc.uint8Array({ minLength: width, maxLength: width })))));

/** One table of all the generated rows, in batches of the given sizes (every batch shares the dictionaries). */
function tableOf(rows: [unknown[], (Uint8Array | null)[]][], sizes: number[]): arrow.Table {
  const vectors: Record<string, arrow.Vector> = {};
  COLUMNS.forEach(([name, type], c) => (vectors[name] = arrow.vectorFromArray(rows.map((r) => r[0][c]), type)));
  RAW.forEach(([name, type, width], c) => (vectors[name] = rawVector(type, width, rows.map((r) => r[1][c]!))));
  const whole = new arrow.Table(vectors);
  const slices: arrow.Table[] = [];
  for (let i = 0, at = 0; i < sizes.length; at += sizes[i]!, i++) slices.push(whole.slice(at, at + sizes[i]!));
  return new arrow.Table(slices.flatMap((t) => t.batches));
}

/** Asserts that every column of `actual` holds, in order, the rows of `table` at `rows`. */
function assertRows(table: arrow.Table, rows: number[], actual: arrow.RecordBatch): void {
  assert.equal(actual.numRows, rows.length);
  for (const field of table.schema.fields) {
    const source = table.getChild(field.name)!;
    const taken = actual.getChild(field.name)!;
    assert.equal(render(Array.from({ length: rows.length }, (_, i) => taken.get(i))), render(rows.map((r) => source.get(r))), `column ${field.name}`);
    assert.equal(taken.nullCount, rows.filter((r) => source.get(r) === null).length, `null count of ${field.name}`);
  }
}

test('taking random rows of 1 to 3 batches of every type decodes to those rows, value by value', () => {
  const input = fc
    .array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 3 })
    .chain((sizes) =>
      fc.record({
        sizes: fc.constant(sizes),
        rows: fc.array(rowArb, { minLength: sizes.reduce((a, b) => a + b), maxLength: sizes.reduce((a, b) => a + b) }),
        picks: fc.array(fc.integer({ min: 0, max: sizes.length - 1 }).chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: 0, max: sizes[s]! - 1 }))), { maxLength: 30 }),
        shift: fc.constantFrom(0, 1, 4),
      }),
    );
  fc.assert(
    fc.property(input, ({ sizes, rows, picks, shift }) => {
      const table = tableOf(rows, sizes);
      const encoded = encode(table, shift);
      assert.equal(encoded.batches.length, sizes.length);
      const starts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
      const taker = new RowTaker(encoded.schema);
      const taken = taker.take(encoded.batches, { source: Uint32Array.from(picks, (p) => p[0]), row: Uint32Array.from(picks, (p) => p[1]) });
      assertRows(table, picks.map(([s, r]) => starts[s]! + r), decode(encoded, taken));
    }),
    { numRuns: 60, includeErrorInReport: true },
  );
});

test('re-chunking consecutive batches into batches of N rows keeps every row in order', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 90 }), (sizes, n) => {
      const total = sizes.reduce((a, b) => a + b);
      const rows = fc.sample(fc.array(rowArb, { minLength: total, maxLength: total }), { numRuns: 1, seed: total })[0]!;
      const table = tableOf(rows, sizes);
      const encoded = encode(table);
      const taker = new RowTaker(encoded.schema);
      const place = sizes.flatMap((size, s) => Array.from({ length: size }, (_, r) => [s, r] as const));
      for (let from = 0; from < total; from += n) {
        const chunk = place.slice(from, from + n);
        const taken = taker.take(encoded.batches, { source: Uint32Array.from(chunk, (p) => p[0]), row: Uint32Array.from(chunk, (p) => p[1]) });
        assertRows(table, chunk.map((_, i) => from + i), decode(encoded, taken));
      }
    }),
    { numRuns: 15, includeErrorInReport: true },
  );
});

const small = (): arrow.Table =>
  new arrow.Table({
    id: arrow.vectorFromArray([0, 1, 2, 3, 4, 5], new arrow.Int32()),
    list: arrow.vectorFromArray([[1, 2], [null], null, [], [3], [4, null, 6]], new arrow.List(item)),
    point: arrow.vectorFromArray([{ x: 1, tags: ['a'] }, null, { x: null, tags: null }, { x: 4, tags: [] }, null, { x: 6, tags: ['b', null] }], point),
    color: arrow.vectorFromArray(['red', 'blue', null, 'red', 'green', 'blue'], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int16())),
  });

/** Column name -> rendered values of a decoded batch. */
const valuesOf = (batch: arrow.RecordBatch): Record<string, unknown> =>
  Object.fromEntries(batch.schema.fields.map((f) => [f.name, JSON.parse(render(Array.from({ length: batch.numRows }, (_, i) => batch.getChild(f.name)!.get(i))))]));

test('slice takes rows [from, to) of one batch: the tail after a resume cursor', () => {
  const encoded = encode(small());
  const taker = new RowTaker(encoded.schema);
  assert.deepEqual(valuesOf(decode(encoded, taker.slice(encoded.batches[0]!, 3, 6))), {
    id: [3, 4, 5],
    list: [[], [3], [4, null, 6]],
    point: [{ x: 4, tags: [] }, null, { x: 6, tags: ['b', null] }],
    color: ['red', 'green', 'blue'],
  });
});

test('a list with nulls and a struct with null parents keep their nulls at the picked rows', () => {
  const encoded = encode(small());
  const taken = new RowTaker(encoded.schema).take(encoded.batches, { source: new Uint32Array(4), row: Uint32Array.of(2, 5, 1, 1) });
  const batch = decode(encoded, taken);
  assert.deepEqual(valuesOf(batch), {
    id: [2, 5, 1, 1],
    list: [null, [4, null, 6], [null], [null]],
    point: [{ x: null, tags: null }, { x: 6, tags: ['b', null] }, null, null],
    color: [null, 'blue', 'blue', 'blue'],
  });
  assert.deepEqual(batch.schema.fields.map((f) => batch.getChild(f.name)!.nullCount), [0, 1, 2, 1]);
});

test('a dictionary column takes its indices only, so the stored dictionary decodes the new batch', () => {
  const encoded = encode(small());
  assert.equal(encoded.dictionaries.length, 1);
  const taken = new RowTaker(encoded.schema).take(encoded.batches, { source: new Uint32Array(3), row: Uint32Array.of(4, 0, 2) });
  const header = messageAccessor(taken.header).header(new FbRecordBatch()) as FbRecordBatch;
  // id (2 buffers), list (2 + 2), point (1 + 2 + 2 + 3); color's two buffers are validity and int16 indices.
  assert.equal(header.buffersLength(), 16);
  assert.equal(Number(header.buffers(15)!.length()), 6);
  assert.deepEqual(valuesOf(decode(encoded, taken)).color, ['green', 'red', null]);
});

test('taking no rows gives an empty batch with zero-length nodes', () => {
  const encoded = encode(small());
  const taker = new RowTaker(encoded.schema);
  for (const taken of [taker.take(encoded.batches, { source: new Uint32Array(0), row: new Uint32Array(0) }), taker.slice(encoded.batches[0]!, 6, 6)]) {
    const header = messageAccessor(taken.header).header(new FbRecordBatch()) as FbRecordBatch;
    assert.equal(header.length(), 0n);
    assert.deepEqual(Array.from({ length: header.nodesLength() }, (_, i) => Number(header.nodes(i)!.length())), new Array(header.nodesLength()).fill(0));
    assert.deepEqual(valuesOf(decode(encoded, taken)), { id: [], list: [], point: [], color: [] });
  }
});

test('sparse and dense union columns take the picked rows of the right children', () => {
  const ints = arrow.vectorFromArray([1, null, 3, 4, 5], new arrow.Int32());
  const strs = arrow.vectorFromArray(['a', 'b', null, 'd', 'e'], new arrow.Utf8());
  const children = [F('i', new arrow.Int32()), F('s', new arrow.Utf8())];
  const sparse = arrow.makeData({ type: new arrow.SparseUnion([0, 1], children), length: 5, typeIds: Int8Array.of(0, 1, 0, 1, 1), children: [ints.data[0]!, strs.data[0]!] });
  const denseInts = arrow.vectorFromArray([7, null], new arrow.Int32());
  const denseStrs = arrow.vectorFromArray(['x', 'y', null], new arrow.Utf8());
  const dense = arrow.makeData({
    type: new arrow.DenseUnion([3, 5], children),
    length: 5,
    typeIds: Int8Array.of(3, 5, 5, 3, 5),
    valueOffsets: Int32Array.of(0, 0, 1, 1, 2),
    children: [denseInts.data[0]!, denseStrs.data[0]!],
  });
  const encoded = encode(new arrow.Table({ sparse: new arrow.Vector([sparse]), dense: new arrow.Vector([dense]) }));
  const taken = new RowTaker(encoded.schema).take(encoded.batches, { source: new Uint32Array(5), row: Uint32Array.of(4, 3, 0, 2, 4) });
  assert.deepEqual(valuesOf(decode(encoded, taken)), { sparse: ['e', 'd', 1, 3, 'e'], dense: [null, null, 7, 'y', null] });
});

/** A Schema message with one field of a type that has no parameters. */
function schemaWith(type: Type): Uint8Array {
  const builder = new Builder(128);
  const name = builder.createString('text');
  builder.startObject(0);
  const table = builder.endObject();
  FbField.startField(builder);
  FbField.addName(builder, name);
  FbField.addNullable(builder, true);
  FbField.addTypeType(builder, type);
  FbField.addType(builder, table);
  const field = FbField.endField(builder);
  const schema = FbSchema.createSchema(builder, 0, FbSchema.createFieldsVector(builder, [field]), 0, 0);
  builder.finish(Message.createMessage(builder, MetadataVersion.V5, MessageHeader.Schema, schema, 0n, 0));
  return builder.asUint8Array();
}

test('types the kernel cannot take are UNIMPLEMENTED naming the field and type', () => {
  assert.deepEqual(errorOf(() => new RowTaker(schemaWith(Type.Utf8View))), {
    code: Code.UNIMPLEMENTED,
    message: 'row take does not support field "text" of type Utf8View',
  });
});

test('picks outside the sources, mismatched picks and foreign batches are INVALID_ARGUMENT', () => {
  const encoded = encode(small());
  const taker = new RowTaker(encoded.schema);
  const batches = encoded.batches;
  assert.deepEqual(errorOf(() => taker.take(batches, { source: Uint32Array.of(0, 1), row: Uint32Array.of(0, 0) })), {
    code: Code.INVALID_ARGUMENT,
    message: 'row pick 1 names source 1; there are 1 sources',
  });
  assert.deepEqual(errorOf(() => taker.take(batches, { source: Uint32Array.of(0), row: Uint32Array.of(6) })), {
    code: Code.INVALID_ARGUMENT,
    message: 'row pick 0 names row 6 of source 0, which has 6 rows',
  });
  assert.deepEqual(errorOf(() => taker.take(batches, { source: Uint32Array.of(0), row: new Uint32Array(2) })), {
    code: Code.INVALID_ARGUMENT,
    message: 'row picks have 1 source indices but 2 row indices',
  });
  assert.deepEqual(errorOf(() => taker.slice(batches[0]!, 4, 7)), { code: Code.INVALID_ARGUMENT, message: 'row slice [4, 7) is not inside the batch\'s 6 rows' });
  const other = encode(new arrow.Table({ a: arrow.vectorFromArray([1], new arrow.Int32()) }));
  assert.deepEqual(errorOf(() => taker.take(other.batches, { source: Uint32Array.of(0), row: Uint32Array.of(0) })), {
    code: Code.INVALID_ARGUMENT,
    message: 'row take source 0 has 1 field nodes and 2 buffers; its schema\'s layout needs 8 and 16',
  });
  assert.deepEqual(errorOf(() => new RowTaker(batches[0]!.header)), { code: Code.INVALID_ARGUMENT, message: 'row take needs a Schema message, got a record_batch message' });
});

test('a body shorter than its buffers need is INVALID_ARGUMENT, never a silent short copy', () => {
  const encoded = encode(new arrow.Table({ a: arrow.vectorFromArray([1, 2, 3], new arrow.Int32()) }));
  const batch = encoded.batches[0]!;
  assert.deepEqual(errorOf(() => new RowTaker(encoded.schema).take([{ header: batch.header, body: batch.body.subarray(0, 4) }], { source: new Uint32Array(1), row: new Uint32Array(1) })), {
    code: Code.INVALID_ARGUMENT,
    message: `row take source 0 has a 4-byte body; its header declares ${batch.body.length}`,
  });
});
