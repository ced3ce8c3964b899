import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Builder, ByteBuffer } from 'flatbuffers';
import * as arrow from 'apache-arrow';
import { Message as ArrowMessage } from 'apache-arrow/ipc/metadata/message';
import { Message } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { MetadataVersion } from 'apache-arrow/fb/metadata-version';
import { Schema as FbSchema } from 'apache-arrow/fb/schema';
import { Field as FbField } from 'apache-arrow/fb/field';
import { Int as FbInt } from 'apache-arrow/fb/int';
import { List as FbList } from 'apache-arrow/fb/list';
import { Struct_ as FbStruct } from 'apache-arrow/fb/struct-';
import { Type } from 'apache-arrow/fb/type';
import { Code, FlightError } from '../errors.js';
import { readIpcMessages } from './ipc-message.js';
import {
  describeField,
  describeSchema,
  dictionaryIds,
  firstDictionaryIdDifference,
  firstSchemaDifference,
  schemaFieldNames,
} from './schema-compare.js';
import { errorOf } from '../../../../test/helpers/flight-assertions.js';

const fixture = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`../../../../../test/fixtures/ipc/${name}`, import.meta.url)));
const F = (name: string, type: arrow.DataType, nullable = true): arrow.Field => new arrow.Field(name, type, nullable);
const schemaOf = (fields: arrow.Field[], metadata?: Map<string, string>): Uint8Array =>
  ArrowMessage.encode(ArrowMessage.from(new arrow.Schema(fields, metadata)));
const text = (fb: Uint8Array): string[] => describeSchema(fb).map((f) => `${f.name}: ${f.type}${f.nullable ? '' : ' not null'}`);

const invalid = (message: string): { code: Code; message: string } => ({ code: Code.INVALID_ARGUMENT, message });

test('describeSchema names every type pyarrow writes, as pyarrow prints them', () => {
  assert.deepEqual(text(readIpcMessages(fixture('all-types.arrows')).schema), [
    'i8: int8',
    'u64: uint64 not null',
    'f16: float16',
    'f32: float32',
    'b: bool',
    's: utf8',
    'ls: large_utf8',
    'bin: binary',
    'lbin: large_binary',
    'fsb: fixed_size_binary[3]',
    'd32: date32',
    'd64: date64',
    't32: time32[ms]',
    't64: time64[ns]',
    'ts: timestamp[us, tz=UTC]',
    'tsn: timestamp[s]',
    'dur: duration[ms]',
    'iv: interval[month_day_nano]',
    'dec: decimal128(10, 2)',
    'dec256: decimal256(40, 5)',
    'lst: list<item: int64>',
    'llst: large_list<item: utf8>',
    'fsl: fixed_size_list<item: float32>[2]',
    'st: struct<a: int32 not null, b: utf8>',
    'mp: map<key: utf8 not null, value: int64>(keys sorted)',
    'du: dense_union<i: int64=0, s: utf8=1>',
    'su: sparse_union<i: int64=5, s: utf8=7>',
    'nul: null',
    'dict: dictionary<values=utf8, indices=int8, ordered>',
    'sv: utf8_view',
    'bv: binary_view',
    'lv: list_view<item: int32>',
    'llv: large_list_view<item: int16>',
    'ree: run_end_encoded<run_ends: int32 not null, values: utf8>',
  ]);
});

test('an IPC file footer schema describes the same as its stream schema', () => {
  assert.deepEqual(text(readIpcMessages(fixture('all-types.arrow')).schema), text(readIpcMessages(fixture('all-types.arrows')).schema));
});

test('describeSchema keeps child fields, with their own nullability', () => {
  const schema = readIpcMessages(fixture('all-types.arrows')).schema;
  const map = describeSchema(schema).find((f) => f.name === 'mp')!;
  assert.deepEqual(map, {
    name: 'mp',
    nullable: true,
    type: 'map<key: utf8 not null, value: int64>(keys sorted)',
    base: 'map(keys sorted)',
    children: [
      {
        name: 'entries',
        nullable: false,
        type: 'struct<key: utf8 not null, value: int64>',
        base: 'struct',
        children: [
          { name: 'key', nullable: false, type: 'utf8', base: 'utf8', children: [] },
          { name: 'value', nullable: true, type: 'int64', base: 'int64', children: [] },
        ],
      },
    ],
  });
});

test('describeSchema names the units and widths apache-arrow writes', () => {
  const fb = schemaOf([
    F('t', new arrow.TimeSecond()),
    F('ts', new arrow.TimestampNanosecond()),
    F('d', new arrow.DurationSecond()),
    F('ym', new arrow.IntervalYearMonth()),
    F('dt', new arrow.IntervalDayTime()),
    F('u32', new arrow.Uint32(), false),
    F('code', new arrow.Dictionary(new arrow.Int64(), new arrow.Uint8(), 3, true)),
    F('lists', new arrow.Dictionary(new arrow.List(F('item', new arrow.Int16(), false)), new arrow.Int16())),
  ]);
  assert.deepEqual(text(fb), [
    't: time32[s]',
    'ts: timestamp[ns]',
    'd: duration[s]',
    'ym: interval[year_month]',
    'dt: interval[day_time]',
    'u32: uint32 not null',
    'code: dictionary<values=int64, indices=uint8, ordered>',
    'lists: dictionary<values=list<item: int16 not null>, indices=int16>',
  ]);
});

test('describeField describes a single flatbuffer field', () => {
  const fb = schemaOf([F('tags', new arrow.List(F('item', new arrow.Utf8())), false)]);
  const schema = Message.getRootAsMessage(new ByteBuffer(fb)).header(new FbSchema()) as FbSchema;
  assert.deepEqual(describeField(schema.fields(0)!), {
    name: 'tags',
    nullable: false,
    type: 'list<item: utf8>',
    base: 'list',
    children: [{ name: 'item', nullable: true, type: 'utf8', base: 'utf8', children: [] }],
  });
});

test('schemaFieldNames lists the top-level names in order', () => {
  assert.deepEqual(schemaFieldNames(schemaOf([F('b', new arrow.Int8()), F('a', new arrow.Struct([F('x', new arrow.Int8())])), F('', new arrow.Utf8())])), ['b', 'a', '']);
});

const label = (type: arrow.DataType, nullable = true): Uint8Array =>
  schemaOf([F('id', new arrow.Int64(), false), F('label', type, nullable)]);

test('firstSchemaDifference ignores metadata and dictionary ids', () => {
  const a = schemaOf([F('c', new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32(), 0))], new Map([['k', 'v']]));
  const b = schemaOf([F('c', new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32(), 9))]);
  assert.equal(firstSchemaDifference(a, b), undefined);
  const all = readIpcMessages(fixture('all-types.arrows')).schema;
  assert.equal(firstSchemaDifference(all, readIpcMessages(fixture('all-types.arrow')).schema), undefined);
});

const dict = (id: number): arrow.Dictionary => new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32(), id);
const nestedDictionaries = (a: number, x: number, c: number): Uint8Array =>
  schemaOf([
    F('a', new arrow.List(F('item', dict(a)))),
    F('b', new arrow.Struct([F('x', dict(x)), F('y', new arrow.Int8())])),
    F('c', dict(c)),
  ]);

test('dictionaryIds lists dictionary-encoded fields depth first with their dotted paths', () => {
  assert.deepEqual(dictionaryIds(nestedDictionaries(5, 3, 9)), [
    { path: 'a.item', id: 5n },
    { path: 'b.x', id: 3n },
    { path: 'c', id: 9n },
  ]);
  assert.deepEqual(dictionaryIds(label(new arrow.Utf8())), []);
});

test('dictionaryIds reads the ids pyarrow numbered from 0', () => {
  assert.deepEqual(dictionaryIds(readIpcMessages(fixture('all-types.arrows')).schema), [{ path: 'dict', id: 0n }]);
});

test('firstDictionaryIdDifference accepts equal ids and ignores everything else', () => {
  assert.equal(firstDictionaryIdDifference(nestedDictionaries(0, 1, 2), nestedDictionaries(0, 1, 2)), undefined);
  assert.equal(firstDictionaryIdDifference(label(new arrow.Int64()), label(new arrow.Float32())), undefined);
});

test('firstDictionaryIdDifference names the first field whose id differs and how to fix it', () => {
  const advice = "send the dictionary ids of the dataset's schema (GetSchema) or number dictionaries 0..n-1 in field order as Arrow C++ does";
  assert.equal(
    firstDictionaryIdDifference(label(dict(0)), label(dict(5))),
    `dictionary ids differ: field "label" uses id 5 in the new data, 0 in the dataset; ${advice}`,
  );
  assert.equal(
    firstDictionaryIdDifference(nestedDictionaries(0, 1, 2), nestedDictionaries(0, 7, 8)),
    `dictionary ids differ: field "b.x" uses id 7 in the new data, 1 in the dataset; ${advice}`,
  );
});

test('firstDictionaryIdDifference names both field lists when different fields are dictionary-encoded', () => {
  assert.equal(
    firstDictionaryIdDifference(nestedDictionaries(0, 1, 2), label(dict(0))),
    'dictionary-encoded fields differ: "a.item", "b.x", "c" in the dataset, "label" in the new data',
  );
  assert.equal(
    firstDictionaryIdDifference(label(dict(0)), label(new arrow.Utf8())),
    'dictionary-encoded fields differ: "label" in the dataset, none in the new data',
  );
});

test('firstSchemaDifference names the first differing field', () => {
  const cases: Array<[Uint8Array, Uint8Array, string]> = [
    [label(new arrow.Int64()), label(new arrow.Float32()), 'field "label" differs: int64 in the dataset, float32 in the new data'],
    [label(new arrow.Int64()), label(new arrow.Int64(), false), 'field "label" differs: nullable in the dataset, not nullable in the new data'],
    [
      schemaOf([F('a', new arrow.Int8()), F('b', new arrow.Int8())]),
      schemaOf([F('a', new arrow.Int8()), F('c', new arrow.Int8())]),
      'field #2 differs: named "b" in the dataset, "c" in the new data',
    ],
    [
      schemaOf([F('a', new arrow.Int8()), F('b', new arrow.Int8())]),
      schemaOf([F('a', new arrow.Int8()), F('b', new arrow.Int8()), F('x', new arrow.Utf8())]),
      'field count differs: 2 in the dataset, 3 in the new data (first extra field "x")',
    ],
    [
      schemaOf([F('a', new arrow.Int8()), F('b', new arrow.Int8()), F('c', new arrow.Int8())]),
      schemaOf([F('a', new arrow.Int8()), F('b', new arrow.Int8())]),
      'field count differs: 3 in the dataset, 2 in the new data (first missing field "c")',
    ],
    [
      label(new arrow.Struct([F('a', new arrow.Int32()), F('b', new arrow.Utf8())])),
      label(new arrow.Struct([F('a', new arrow.Int32()), F('b', new arrow.LargeUtf8())])),
      'field "label.b" differs: utf8 in the dataset, large_utf8 in the new data',
    ],
    [
      label(new arrow.Struct([F('a', new arrow.Int32()), F('b', new arrow.Utf8())])),
      label(new arrow.Struct([F('a', new arrow.Int32()), F('c', new arrow.Utf8())])),
      'field "label" differs: child #2 is named "b" in the dataset, "c" in the new data',
    ],
    [
      label(new arrow.Struct([F('a', new arrow.Int32())])),
      label(new arrow.Struct([F('a', new arrow.Int32()), F('b', new arrow.Utf8())])),
      'field "label" differs: struct<a: int32> in the dataset, struct<a: int32, b: utf8> in the new data',
    ],
    [
      label(new arrow.List(F('item', new arrow.Int64()))),
      label(new arrow.LargeList(F('item', new arrow.Int64()))),
      'field "label" differs: list<item: int64> in the dataset, large_list<item: int64> in the new data',
    ],
    [
      label(new arrow.List(F('item', new arrow.Int64()))),
      label(new arrow.List(F('item', new arrow.Int64(), false))),
      'field "label.item" differs: nullable in the dataset, not nullable in the new data',
    ],
    [
      label(new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
      label(new arrow.Utf8()),
      'field "label" differs: dictionary<values=utf8, indices=int32> in the dataset, utf8 in the new data',
    ],
    [
      label(new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
      label(new arrow.Dictionary(new arrow.Utf8(), new arrow.Int8())),
      'field "label" differs: dictionary<values=utf8, indices=int32> in the dataset, dictionary<values=utf8, indices=int8> in the new data',
    ],
    [
      label(new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32(), 0, false)),
      label(new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32(), 0, true)),
      'field "label" differs: dictionary<values=utf8, indices=int32> in the dataset, dictionary<values=utf8, indices=int32, ordered> in the new data',
    ],
    [
      label(new arrow.TimestampMicrosecond('UTC')),
      label(new arrow.TimestampMicrosecond('Europe/Paris')),
      'field "label" differs: timestamp[us, tz=UTC] in the dataset, timestamp[us, tz=Europe/Paris] in the new data',
    ],
  ];
  for (const [dataset, incoming, expected] of cases) assert.equal(firstSchemaDifference(dataset, incoming), expected);
});

/** A Schema message with one field built by `field`, for shapes no Arrow writer produces. */
function handmade(field: (b: Builder) => number): Uint8Array {
  const b = new Builder(256);
  const fields = FbSchema.createFieldsVector(b, [field(b)]);
  FbSchema.startSchema(b);
  FbSchema.addFields(b, fields);
  const schema = FbSchema.endSchema(b);
  Message.startMessage(b);
  Message.addVersion(b, MetadataVersion.V5);
  Message.addHeaderType(b, MessageHeader.Schema);
  Message.addHeader(b, schema);
  Message.finishMessageBuffer(b, Message.endMessage(b));
  return b.asUint8Array();
}

function rawField(b: Builder, name: string, typeType: Type, type: number, children: number[] = []): number {
  const nameOffset = b.createString(name);
  const childVector = FbField.createChildrenVector(b, children);
  FbField.startField(b);
  FbField.addName(b, nameOffset);
  FbField.addNullable(b, true);
  FbField.addTypeType(b, typeType);
  if (type) FbField.addType(b, type);
  FbField.addChildren(b, childVector);
  return FbField.endField(b);
}

function recordBatchMessage(): Uint8Array {
  const table = arrow.tableFromArrays({ n: Int32Array.from([1]) });
  return readIpcMessages(arrow.tableToIPC(table, 'stream')).messages[0]!.header;
}

test('describeSchema refuses malformed schemas with the field path', () => {
  assert.deepEqual(
    errorOf(() => describeSchema(handmade((b) => rawField(b, 'tags', Type.List, FbList.createList(b))))),
    invalid('invalid schema: field "tags" of type list has 0 children, expected 1'),
  );
  assert.deepEqual(
    errorOf(() => describeSchema(handmade((b) => rawField(b, 'n', Type.Int, FbInt.createInt(b, 7, true))))),
    invalid('invalid schema: field "n" has an integer bit width of 7'),
  );
  assert.deepEqual(
    errorOf(() => describeSchema(handmade((b) => rawField(b, 'n', Type.Int, 0)))),
    invalid('invalid schema: field "n" has type Int without its parameters'),
  );
  assert.deepEqual(
    errorOf(() => describeSchema(handmade((b) => rawField(b, 'x', 99 as Type, FbList.createList(b))))),
    invalid('invalid schema: field "x" has unknown Arrow type id 99'),
  );
  assert.deepEqual(
    errorOf(() => describeSchema(handmade((b) => rawField(b, 'x', Type.NONE, 0)))),
    invalid('invalid schema: field "x" has no type'),
  );
  assert.deepEqual(
    errorOf(() => describeSchema(recordBatchMessage())),
    invalid('expected a Schema message, got a record_batch message'),
  );
});

test('nesting deeper than 64 levels is refused', () => {
  let type: arrow.DataType = new arrow.Int8();
  for (let i = 0; i < 65; i++) type = new arrow.List(F('item', type));
  const path = ['deep', ...Array(65).fill('item')].join('.');
  for (const walk of [describeSchema, dictionaryIds]) {
    assert.deepEqual(errorOf(() => walk(schemaOf([F('deep', type)]))), invalid(`invalid schema: field "${path}" nests deeper than 64 levels`));
  }
});

test('child tables shared into an exponential tree are refused, not walked', () => {
  const fb = handmade((b) => {
    let child = rawField(b, 'leaf', Type.Null, 0);
    for (let level = 0; level < 40; level++) {
      child = rawField(b, `s${level}`, Type.Struct_, FbStruct.createStruct_(b), [child, child]);
    }
    return child;
  });
  for (const walk of [describeSchema, dictionaryIds]) {
    const { code, message } = errorOf(() => walk(fb));
    assert.equal(code, Code.INVALID_ARGUMENT);
    assert.match(message, /^invalid schema: field "s39(\.s\d+)*(\.leaf)?" is one field more than its flatbuffer can hold$/);
  }
});

test('describeSchema, firstSchemaDifference and firstDictionaryIdDifference throw only INVALID_ARGUMENT for mutated schemas', () => {
  const originals = [readIpcMessages(fixture('all-types.arrows')).schema.slice(), label(new arrow.Struct([F('a', new arrow.Int32())]))];
  fc.assert(
    fc.property(
      fc.constantFrom(...originals),
      fc.nat(),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      (original, cut, edits) => {
        const bytes = original.slice(0, Math.max(12, cut % (original.length + 1)));
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        for (const compare of [firstSchemaDifference, firstDictionaryIdDifference]) {
          try {
            compare(original, bytes);
          } catch (err) {
            if (!(err instanceof FlightError) || err.code !== Code.INVALID_ARGUMENT) throw err;
          }
        }
      },
    ),
    { numRuns: 3000 },
  );
});
