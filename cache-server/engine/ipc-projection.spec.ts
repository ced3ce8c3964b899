import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as arrow from 'apache-arrow';
import { Code } from '../../client/src/flight/errors.js';
import { errorOf } from '../../test/helpers/flight-assertions.js';
import { ArrowStreamDecoder, encodeTable, schemaToFlatbuffer } from '../../client/src/flight/protocol/arrow-codec.js';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { messageAccessor, parseMessageHeader } from '../../client/src/flight/protocol/ipc-message.js';
import { ProjectionPlan, columnIndices } from './ipc-projection.js';
import { describeSchema } from '../../client/src/flight/protocol/schema-compare.js';

const F = (name: string, type: arrow.DataType, nullable = true): arrow.Field => new arrow.Field(name, type, nullable);

/** Renders values so that bigint, bytes, rows and maps compare exactly. */
function render(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (ArrayBuffer.isView(v)) return Array.from(v as Uint8Array);
    if (v instanceof Map) return [...v.entries()];
    return v;
  });
}

/** Column name -> rendered values of every row. */
function columns(table: arrow.Table): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of table.schema.fields) {
    const vector = table.getChild(field.name)!;
    out[field.name] = render(Array.from({ length: vector.length }, (_, i) => vector.get(i)));
  }
  return out;
}

const ROWS = 5;
const pick = <T>(values: T[]): (T | null)[] => Array.from({ length: ROWS }, (_, i) => (i === 1 ? null : values[i % values.length]!));

/** A table of many types, nested and dictionary-encoded ones included, with a null in every column, in two batches. */
function manyTypes(): arrow.Table {
  const point = new arrow.Struct([F('x', new arrow.Int16()), F('tags', new arrow.List(F('item', new arrow.Utf8())))]);
  const vectors: Record<string, arrow.Vector> = {
    null: arrow.vectorFromArray(pick([null]), new arrow.Null()),
    bool: arrow.vectorFromArray(pick([true, false]), new arrow.Bool()),
    int8: arrow.vectorFromArray(pick([-3, 7]), new arrow.Int8()),
    uint32: arrow.vectorFromArray(pick([0, 4_000_000_000]), new arrow.Uint32()),
    int64: arrow.vectorFromArray(pick([-(2n ** 62n), 5n]), new arrow.Int64()),
    float64: arrow.vectorFromArray(pick([1.5, -0.25]), new arrow.Float64()),
    utf8: arrow.vectorFromArray(pick(['a', '', 'héllo']), new arrow.Utf8()),
    large_utf8: arrow.vectorFromArray(pick(['long', 'x']), new arrow.LargeUtf8()),
    binary: arrow.vectorFromArray(pick([Uint8Array.of(1, 2), Uint8Array.of()]), new arrow.Binary()),
    fixed: arrow.vectorFromArray(pick([Uint8Array.of(1, 2, 3), Uint8Array.of(9, 9, 9)]), new arrow.FixedSizeBinary(3)),
    date: arrow.vectorFromArray(pick([new Date(0), new Date(86_400_000)]), new arrow.DateDay()),
    timestamp: arrow.vectorFromArray(pick([1_000, 2_000]), new arrow.TimestampMillisecond('Europe/Paris')),
    list: arrow.vectorFromArray(pick([[1, null, 3], []]), new arrow.List(F('item', new arrow.Int32()))),
    fixed_list: arrow.vectorFromArray(pick([[1, 2], [3, null]]), new arrow.FixedSizeList(2, F('item', new arrow.Float32()))),
    point: arrow.vectorFromArray(pick([{ x: 1, tags: ['a', 'b'] }, { x: null, tags: [] }]), point),
    map: arrow.vectorFromArray(pick([new Map([['k', 1]]), new Map<string, number>()]), new arrow.Map_(F('entries', new arrow.Struct([F('key', new arrow.Utf8(), false), F('value', new arrow.Int32())])))),
    color: arrow.vectorFromArray(pick(['red', 'green', 'red']), new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
    size: arrow.vectorFromArray(pick(['s', 'm', 'l']), new arrow.Dictionary(new arrow.Utf8(), new arrow.Int8())),
  };
  const table = new arrow.Table(vectors);
  return new arrow.Table([table.slice(0, 2), table.slice(2)].flatMap((t) => t.batches));
}

/** The table's IPC messages, each body in one contiguous buffer of its own. */
function messages(table: arrow.Table): { header: Uint8Array; body: Uint8Array }[] {
  return [...encodeTable(table)].map((data) => {
    const body = new Uint8Array(data.bodyLength);
    let at = 0;
    for (const chunk of data.body) {
      body.set(chunk, at);
      at += chunk.length;
    }
    return { header: data.dataHeader, body };
  });
}

const concat = (chunks: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
};

/** Projects every message onto `names` and decodes the result with ArrowStreamDecoder. */
function projectAndDecode(table: arrow.Table, names: string[]): { table: arrow.Table; plan: ProjectionPlan; dictionaries: number } {
  const [schema, ...rest] = messages(table);
  const plan = new ProjectionPlan(schema!.header, columnIndices(schema!.header, names));
  const decoder = new ArrowStreamDecoder();
  decoder.decode(plan.schema, new Uint8Array());
  const batches: arrow.RecordBatch[] = [];
  let dictionaries = 0;
  for (const message of rest) {
    const info = parseMessageHeader(message.header);
    if (info.kind === 'dictionary_batch') {
      if (!plan.dictionaryIds.has(info.dictionaryId!)) continue;
      dictionaries++;
      decoder.decode(message.header, message.body);
      continue;
    }
    const projected = plan.projectRecordBatch(message.header, message.body);
    assert.equal(projected.bodyLength, plan.bodyLength(message.header));
    assert.equal(projected.bodyLength, projected.body.reduce((n, c) => n + c.length, 0));
    assert.equal(parseMessageHeader(projected.header).bodyLength, projected.bodyLength);
    for (const chunk of projected.body) {
      // Every chunk is a view of the original body or a few bytes of zero padding: no buffer is copied.
      assert.ok(chunk.buffer === message.body.buffer || (chunk.length < 8 && chunk.every((b) => b === 0)));
    }
    const decoded = decoder.decode(projected.header, concat(projected.body));
    assert.equal(decoded.kind, 'batch');
    if (decoded.kind === 'batch') batches.push(decoded.batch);
  }
  return { table: new arrow.Table(batches), plan, dictionaries };
}

const NAMES = manyTypes().schema.fields.map((f) => f.name);

test('projecting onto any ordered subset of columns decodes to table.select of those columns', () => {
  const table = manyTypes();
  fc.assert(
    fc.property(fc.shuffledSubarray(NAMES, { minLength: 1 }), (names) => {
      const { table: projected } = projectAndDecode(table, names);
      assert.deepEqual(projected.schema.fields.map((f) => f.name), names);
      assert.deepEqual(columns(projected), columns(table.select(names)));
      assert.equal(projected.numRows, table.numRows);
    }),
    { numRuns: 60 },
  );
});

test('the projected schema describes each kept field exactly as the original schema does', () => {
  const table = manyTypes();
  const names = ['map', 'point', 'timestamp', 'color', 'fixed'];
  const { plan } = projectAndDecode(table, names);
  const original = describeSchema(schemaToFlatbuffer(table.schema));
  assert.deepEqual(describeSchema(plan.schema), names.map((n) => original.find((f) => f.name === n)));
});

test('only the dictionaries of kept columns are kept, under their original ids', () => {
  const table = manyTypes();
  assert.equal(projectAndDecode(table, ['int8']).dictionaries, 0);
  const sizeOnly = projectAndDecode(table, ['size']);
  assert.equal(sizeOnly.plan.dictionaryIds.size, 1);
  // encodeTable sends each dictionary once: both batches slice the same one.
  assert.equal(sizeOnly.dictionaries, 1);
  const both = projectAndDecode(table, ['size', 'color']);
  assert.deepEqual([...both.plan.dictionaryIds].sort(), [0n, 1n]);
  assert.equal(both.dictionaries, 2);
});

test('schema and field custom metadata survive projection', () => {
  const schema = new arrow.Schema(
    [F('a', new arrow.Int32()), new arrow.Field('b', new arrow.Utf8(), false, new Map([['unit', 'cm']]))],
    new Map([['origin', 'spec']]),
  );
  const data = new arrow.Table({ a: arrow.vectorFromArray([1], new arrow.Int32()), b: arrow.vectorFromArray(['x'], new arrow.Utf8()) }).batches[0]!.data;
  const table = new arrow.Table([new arrow.RecordBatch(schema, data)]);
  const { table: projected } = projectAndDecode(table, ['b']);
  assert.deepEqual([...projected.schema.metadata], [['origin', 'spec']]);
  assert.deepEqual([...projected.schema.fields[0]!.metadata], [['unit', 'cm']]);
  assert.equal(projected.schema.fields[0]!.nullable, false);
});

test('projected buffers are packed in order at 8-byte aligned offsets inside the new body', () => {
  const all = messages(manyTypes());
  const batch = all.find((m) => parseMessageHeader(m.header).kind === 'record_batch')!;
  const projected = new ProjectionPlan(all[0]!.header, [NAMES.indexOf('utf8'), NAMES.indexOf('bool')]).projectRecordBatch(batch.header, batch.body);
  const header = messageAccessor(projected.header).header(new FbRecordBatch()) as FbRecordBatch;
  assert.equal(header.nodesLength(), 2);
  assert.equal(header.buffersLength(), 5);
  let end = 0;
  for (let i = 0; i < header.buffersLength(); i++) {
    const offset = Number(header.buffers(i)!.offset());
    assert.equal(offset, Math.ceil(end / 8) * 8);
    end = offset + Number(header.buffers(i)!.length());
  }
  assert.equal(projected.bodyLength, Math.ceil(end / 8) * 8);
});

test('unknown, repeated and missing column names are INVALID_ARGUMENT naming the problem', () => {
  const schema = messages(manyTypes())[0]!.header;
  assert.deepEqual(errorOf(() => columnIndices(schema, ['int8', 'nope'])), {
    code: Code.INVALID_ARGUMENT,
    message: `unknown column "nope"; the dataset's columns are: ${NAMES.map((n) => `"${n}"`).join(', ')}`,
  });
  assert.deepEqual(errorOf(() => columnIndices(schema, ['int8', 'int8'])), { code: Code.INVALID_ARGUMENT, message: '"columns" names column "int8" twice' });
  assert.deepEqual(errorOf(() => columnIndices(schema, [])), { code: Code.INVALID_ARGUMENT, message: '"columns" must name at least one column' });
});

test('a record batch whose layout does not match the schema is INTERNAL', () => {
  const [schema, ...rest] = messages(manyTypes());
  const other = messages(new arrow.Table({ a: arrow.vectorFromArray([1, 2], new arrow.Int32()) }));
  const plan = new ProjectionPlan(schema!.header, [0]);
  assert.ok(rest.length > 0);
  assert.deepEqual(errorOf(() => plan.projectRecordBatch(other[1]!.header, other[1]!.body)), {
    code: Code.INTERNAL,
    message: 'record batch has 1 field nodes and 2 buffers; its schema\'s layout needs 26 and 52',
  });
});
