import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import * as arrow from 'apache-arrow';
import { Code, FlightError } from '../errors.js';
import type { OutgoingFlightData } from './messages.js';
import { readIpcMessages } from './ipc-message.js';
import { dictionaryIds } from './schema-compare.js';
import {
  ArrowStreamDecoder,
  encodeTable,
  schemaFromFlatbuffer,
  schemaToFlatbuffer,
  type DecodedFlightData,
} from './arrow-codec.js';
import { errorOf as decodeError } from '../../../../test/helpers/flight-assertions.js';

const fixture = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`../../../../../test/fixtures/ipc/${name}`, import.meta.url)));

const F = (name: string, type: arrow.DataType, nullable = true): arrow.Field => new arrow.Field(name, type, nullable);

/** Renders values so that bigint, bytes, rows and maps compare exactly. */
function render(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (ArrayBuffer.isView(v)) return Array.from(v as Uint8Array);
    return v;
  });
}

function columns(table: arrow.Table | arrow.RecordBatch): Record<string, string> {
  const out: Record<string, string> = {};
  for (const field of table.schema.fields) {
    const vector = table.getChild(field.name)!;
    out[field.name] = render(Array.from({ length: vector.length }, (_, i) => vector.get(i)));
  }
  return out;
}

/** Concatenates a message's body chunks the way the wire does, starting `misalign` bytes past an 8-byte boundary. */
function wireBody(message: OutgoingFlightData, misalign = 0): Uint8Array {
  const body = new Uint8Array(message.bodyLength + misalign).subarray(misalign);
  let offset = 0;
  for (const chunk of message.body) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  assert.equal(offset, message.bodyLength);
  return body;
}

function decodeAll(messages: Iterable<OutgoingFlightData>, misalign = 0): DecodedFlightData[] {
  const decoder = new ArrowStreamDecoder();
  return [...messages].map((m) => decoder.decode(m.dataHeader, wireBody(m, misalign)));
}

function batchesOf(decoded: DecodedFlightData[]): arrow.RecordBatch[] {
  return decoded.flatMap((d) => (d.kind === 'batch' ? [d.batch] : []));
}

function batchOf(schema: arrow.Schema, vectors: arrow.Vector[]): arrow.RecordBatch {
  const length = vectors[0]?.length ?? 0;
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length, children: vectors.map((v) => v.data[0]!) });
  return new arrow.RecordBatch(schema, data);
}

const dictionaryType = new arrow.Dictionary(new arrow.Utf8(), new arrow.Int8());
const manyTypes: Array<[string, arrow.DataType, unknown[]]> = [
  ['i8', new arrow.Int8(), [1, null, -3]],
  ['u16', new arrow.Uint16(), [1, 2, 65535]],
  ['i64', new arrow.Int64(), [1n, null, -(2n ** 62n)]],
  ['u64', new arrow.Uint64(), [2n ** 63n, 0n, 5n]],
  ['f16', new arrow.Float16(), [0.5, null, -2]],
  ['f32', new arrow.Float32(), [1.5, 2, null]],
  ['f64', new arrow.Float64(), [Math.PI, null, -0.25]],
  ['bool', new arrow.Bool(), [true, null, false]],
  ['utf8', new arrow.Utf8(), ['a', null, 'ccc']],
  ['lutf8', new arrow.LargeUtf8(), ['é', '', null]],
  ['bin', new arrow.Binary(), [new Uint8Array([1, 2]), null, new Uint8Array([])]],
  ['lbin', new arrow.LargeBinary(), [new Uint8Array([3]), null, new Uint8Array([4, 5])]],
  ['fsb', new arrow.FixedSizeBinary(2), [new Uint8Array([1, 2]), null, new Uint8Array([3, 4])]],
  ['date', new arrow.DateDay(), [new Date(86400000), null, new Date(0)]],
  ['ts', new arrow.TimestampMillisecond('UTC'), [1000, null, 2000]],
  ['time', new arrow.TimeMillisecond(), [1, 2, null]],
  ['dur', new arrow.DurationMicrosecond(), [1n, null, 3n]],
  ['dec', new arrow.Decimal(2, 10, 128), [new Uint32Array([1, 0, 0, 0]), null, new Uint32Array([2, 0, 0, 0])]],
  ['list', new arrow.List(F('item', new arrow.Int32())), [[1, 2], null, []]],
  ['fsl', new arrow.FixedSizeList(2, F('item', new arrow.Float64())), [[1, 2], null, [3, 4]]],
  ['struct', new arrow.Struct([F('a', new arrow.Int32()), F('b', new arrow.Utf8())]), [{ a: 1, b: 'x' }, null, { a: 3, b: null }]],
  [
    'map',
    new arrow.Map_(F('entries', new arrow.Struct([F('key', new arrow.Utf8(), false), F('value', new arrow.Int32())]), false)),
    [new Map([['k', 1]]), null, new Map()],
  ],
  ['dict', dictionaryType, ['x', null, 'y']],
  ['nul', new arrow.Null(), [null, null, null]],
];
const manySchema = new arrow.Schema(manyTypes.map(([name, type]) => F(name, type)), new Map([['origin', 'spec']]));

function manyTypesTable(): arrow.Table {
  const full = batchOf(manySchema, manyTypes.map(([, type, values]) => arrow.vectorFromArray(values, type)));
  const empty = batchOf(manySchema, manyTypes.map(([, type]) => arrow.vectorFromArray([], type)));
  const sliced = full.slice(1, 3);
  return new arrow.Table(manySchema, [full, empty, sliced]);
}

test('a table of many types, with nulls, an empty and a sliced batch, survives encode then decode', () => {
  const table = manyTypesTable();
  const decoded = decodeAll(encodeTable(table));
  assert.deepEqual(
    decoded.map((d) => d.kind),
    // Each batch was built with its own dictionary, so each gets a replacement dictionary.
    ['schema', 'dictionary', 'batch', 'dictionary', 'batch', 'dictionary', 'batch'],
  );
  const schema = (decoded[0] as { schema: arrow.Schema }).schema;
  assert.deepEqual(schema.fields.map((f) => `${f.name}: ${f.type}`), manySchema.fields.map((f) => `${f.name}: ${f.type}`));
  assert.equal(schema.metadata.get('origin'), 'spec');
  const batches = batchesOf(decoded);
  assert.deepEqual(batches.map((b) => b.numRows), [3, 0, 2]);
  table.batches.forEach((batch, i) => assert.deepEqual(columns(batches[i]!), columns(batch)));
  assert.equal(columns(batches[0]!).dict, '["x",null,"y"]');
  assert.equal(columns(batches[0]!).i64, '["1n",null,"-4611686018427387904n"]');
});

test('a body that does not start on an 8-byte boundary decodes from an aligned copy', () => {
  const table = manyTypesTable();
  const batches = batchesOf(decodeAll(encodeTable(table), 3));
  table.batches.forEach((batch, i) => assert.deepEqual(columns(batches[i]!), columns(batch)));
});

test('an aligned body is decoded in place, without a copy', () => {
  const table = arrow.tableFromArrays({ n: BigInt64Array.from([7n, 8n]) });
  const [schemaMessage, batchMessage] = [...encodeTable(table)];
  const body = wireBody(batchMessage!);
  const decoder = new ArrowStreamDecoder();
  decoder.decode(schemaMessage!.dataHeader, new Uint8Array(0));
  const decoded = decoder.decode(batchMessage!.dataHeader, body);
  assert.equal(decoded.kind, 'batch');
  const values = (decoded as { batch: arrow.RecordBatch }).batch.getChild('n')!.data[0]!.values;
  assert.equal(values.buffer, body.buffer);
});

test('encoded bodies are views of the batch buffers, each padded to an 8-byte boundary', () => {
  const ints = Int32Array.from([1, 2, 3]);
  const table = new arrow.Table({ n: arrow.makeVector(ints), s: arrow.vectorFromArray(['a', 'bb', 'ccc'], new arrow.Utf8()) });
  const messages = [...encodeTable(table)];
  assert.deepEqual(messages.map((m) => [m.body.length, m.bodyLength]), [[0, 0], [5, 40]]);
  const body = messages[1]!.body;
  assert.equal(body[0]!.buffer, ints.buffer);
  assert.deepEqual(body.map((c) => c.length), [12, 4, 16, 6, 2]);
  assert.deepEqual([...body[1]!, ...body[4]!], [0, 0, 0, 0, 0, 0]);
});

test('a dictionary that changes between batches is sent again as a replacement', () => {
  const type = new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32());
  const schema = new arrow.Schema([F('c', type)]);
  const batches = [['x', 'y', 'x'], ['q', null]].map((v) => batchOf(schema, [arrow.vectorFromArray(v, type)]));
  const decoded = decodeAll(encodeTable(batches));
  assert.deepEqual(
    decoded.map((d) => (d.kind === 'dictionary' ? `dictionary ${d.id} delta=${d.isDelta}` : d.kind)),
    ['schema', 'dictionary 0 delta=false', 'batch', 'dictionary 0 delta=false', 'batch'],
  );
  assert.deepEqual(batchesOf(decoded).map((b) => columns(b).c), ['["x","y","x"]', '["q",null]']);
});

test('separately built tables encode the same dictionary ids, numbered from 0, and decode to their values', () => {
  const tables = [arrow.tableFromArrays({ s: ['a', 'b'] }), arrow.tableFromArrays({ s: ['a', 'b'] })];
  const jsIds = tables.map((t) => (t.schema.fields[0]!.type as arrow.Dictionary).id);
  assert.notEqual(jsIds[0], jsIds[1]);
  const encoded = tables.map((t) => [...encodeTable(t)]);
  for (const messages of encoded) {
    assert.deepEqual(dictionaryIds(messages[0]!.dataHeader), [{ path: 's', id: 0n }]);
    const decoded = decodeAll(messages);
    assert.deepEqual(decoded.map((d) => (d.kind === 'dictionary' ? `dictionary ${d.id}` : d.kind)), ['schema', 'dictionary 0', 'batch']);
    assert.equal(columns(batchesOf(decoded)[0]!).s, '["a","b"]');
  }
  assert.deepEqual(encoded[0]![0]!.dataHeader, encoded[1]![0]!.dataHeader);
  assert.deepEqual(tables.map((t) => (t.schema.fields[0]!.type as arrow.Dictionary).id), jsIds);
});

test('nested and shared dictionaries are numbered depth first, one id per field, without changing the table', () => {
  const dict = (): arrow.Dictionary => new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32());
  // apache-arrow lets two fields share an id only when they share the dictionary itself.
  const shared = arrow.vectorFromArray(['u', 'v'], dict());
  const struct = new arrow.Struct([F('x', shared.type), F('n', new arrow.Int32())]);
  const map = new arrow.Map_(F('entries', new arrow.Struct([F('key', new arrow.Utf8(), false), F('value', dict())])));
  const list = new arrow.List(F('item', dict()));
  const schema = new arrow.Schema([F('l', list), F('st', struct), F('m', map), F('again', shared.type)]);
  const columnsIn = [
    arrow.vectorFromArray([['p', 'q'], ['q']], list),
    arrow.makeVector(arrow.makeData({ type: struct, length: 2, children: [shared.data[0]!, arrow.vectorFromArray([1, 2], new arrow.Int32()).data[0]!] })),
    arrow.vectorFromArray([new Map([['k', 'w']]), new Map()], map),
    shared,
  ];
  const table = new arrow.Table(schema, [batchOf(schema, columnsIn)]);
  const idsBefore = [list.children[0]!.type, shared.type, map.children[0]!.type.children[1]!.type].map((t) => (t as arrow.Dictionary).id);
  const messages = [...encodeTable(table)];
  assert.deepEqual(dictionaryIds(messages[0]!.dataHeader), [
    { path: 'l.item', id: 0n },
    { path: 'st.x', id: 1n },
    { path: 'm.entries.value', id: 2n },
    { path: 'again', id: 3n },
  ]);
  const decoded = decodeAll(messages);
  assert.deepEqual(decoded.flatMap((d) => (d.kind === 'dictionary' ? [d.id] : [])).sort(), [0, 1, 2, 3]);
  assert.deepEqual(columns(batchesOf(decoded)[0]!), columns(table.batches[0]!));
  assert.equal(table.schema, schema);
  assert.deepEqual([list.children[0]!.type, shared.type, map.children[0]!.type.children[1]!.type].map((t) => (t as arrow.Dictionary).id), idsBefore);
});

test('pyarrow delta and replacement dictionaries decode per the IPC stream rules', () => {
  const { schema, messages } = readIpcMessages(fixture('dictionary-deltas.arrows'));
  const decoder = new ArrowStreamDecoder();
  const kinds = [decoder.decode(schema, new Uint8Array(0)).kind as string];
  const batches: arrow.RecordBatch[] = [];
  for (const m of messages) {
    const decoded = decoder.decode(m.header, m.body);
    kinds.push(decoded.kind === 'dictionary' ? `dictionary delta=${decoded.isDelta}` : decoded.kind);
    if (decoded.kind === 'batch') batches.push(decoded.batch);
  }
  assert.deepEqual(kinds, [
    'schema',
    'dictionary delta=false',
    'batch',
    'dictionary delta=true',
    'batch',
    'dictionary delta=false',
    'batch',
  ]);
  assert.deepEqual(
    batches.map((b) => [columns(b).label, columns(b).id]),
    [
      ['["cat","dog","cat"]', '["1n","2n","3n"]'],
      ['["emu",null]', '["4n","5n"]'],
      ['["fox"]', '["6n"]'],
    ],
  );
});

test('FlightData without an IPC message passes its app metadata through', () => {
  const appMetadata = new Uint8Array([9, 9]);
  assert.deepEqual(new ArrowStreamDecoder().decode(new Uint8Array(0), new Uint8Array(0), appMetadata), {
    kind: 'metadata',
    appMetadata,
  });
});


test('stream order and shape violations are INVALID_ARGUMENT', () => {
  const table = arrow.tableFromArrays({ c: ['x', 'y'] });
  const [schema, dictionary, batch] = [...encodeTable(table)];
  const fresh = (): ArrowStreamDecoder => new ArrowStreamDecoder();
  assert.deepEqual(decodeError(() => fresh().decode(batch!.dataHeader, wireBody(batch!))), {
    code: Code.INVALID_ARGUMENT,
    message: 'the stream sent a record_batch message before its Schema message',
  });
  const withSchema = fresh();
  withSchema.decode(schema!.dataHeader, new Uint8Array(0));
  assert.deepEqual(decodeError(() => withSchema.decode(schema!.dataHeader, new Uint8Array(0))), {
    code: Code.INVALID_ARGUMENT,
    message: 'the stream sent a second Schema message',
  });
  assert.deepEqual(decodeError(() => withSchema.decode(batch!.dataHeader, wireBody(batch!))), {
    code: Code.INVALID_ARGUMENT,
    message: 'record batch 0 arrived before dictionary 0',
  });
  assert.deepEqual(decodeError(() => withSchema.decode(dictionary!.dataHeader, wireBody(dictionary!).subarray(0, 8))), {
    code: Code.INVALID_ARGUMENT,
    message: `the dictionary_batch body is 8 bytes but its header declares ${dictionary!.bodyLength}`,
  });
});

test('a delta dictionary before any dictionary and an unknown dictionary id are INVALID_ARGUMENT', () => {
  const { schema, messages } = readIpcMessages(fixture('dictionary-deltas.arrows'));
  const delta = messages.find((m) => m.info.isDelta)!;
  const decoder = new ArrowStreamDecoder();
  decoder.decode(schema, new Uint8Array(0));
  assert.deepEqual(decodeError(() => decoder.decode(delta.header, delta.body)), {
    code: Code.INVALID_ARGUMENT,
    message: 'delta dictionary batch for id 0 before any dictionary batch for it',
  });
  const other = new ArrowStreamDecoder();
  other.decode(schemaToFlatbuffer(new arrow.Schema([F('n', new arrow.Int32())])), new Uint8Array(0));
  assert.deepEqual(decodeError(() => other.decode(delta.header, delta.body)), {
    code: Code.INVALID_ARGUMENT,
    message: 'dictionary batch for id 0, which no field of the schema uses',
  });
});

test('types apache-arrow cannot decode are UNIMPLEMENTED and named', () => {
  const { schema } = readIpcMessages(fixture('all-types.arrows'));
  assert.deepEqual(decodeError(() => new ArrowStreamDecoder().decode(schema, new Uint8Array(0))), {
    code: Code.UNIMPLEMENTED,
    message: 'field "lv" has type list_view<item: int32>, which apache-arrow JS cannot decode',
  });
});

test('compressed bodies are UNIMPLEMENTED', () => {
  const { schema, messages } = readIpcMessages(fixture('compressed.arrows'));
  const decoder = new ArrowStreamDecoder();
  decoder.decode(schema, new Uint8Array(0));
  assert.deepEqual(decodeError(() => decoder.decode(messages[0]!.header, messages[0]!.body)), {
    code: Code.UNIMPLEMENTED,
    message: 'compressed IPC bodies are not supported',
  });
});

test('a pyarrow legacy V4 stream decodes', () => {
  const { schema, messages } = readIpcMessages(fixture('legacy-v4.arrows'));
  const decoder = new ArrowStreamDecoder();
  decoder.decode(schema, new Uint8Array(0));
  const decoded = decoder.decode(messages[0]!.header, messages[0]!.body);
  assert.equal(decoded.kind, 'batch');
  assert.deepEqual(columns((decoded as { batch: arrow.RecordBatch }).batch), { n: '["1n","2n","3n"]' });
});

test('a schema survives schemaToFlatbuffer then schemaFromFlatbuffer, unaligned too', () => {
  const flatbuffer = schemaToFlatbuffer(manySchema);
  const unaligned = new Uint8Array(flatbuffer.length + 1).subarray(1);
  unaligned.set(flatbuffer);
  for (const bytes of [flatbuffer, unaligned]) {
    const schema = schemaFromFlatbuffer(bytes);
    assert.deepEqual(schema.fields.map((f) => `${f.name}: ${f.type} ${f.nullable}`), manySchema.fields.map((f) => `${f.name}: ${f.type} ${f.nullable}`));
    assert.equal(schema.metadata.get('origin'), 'spec');
  }
});

test('a table without batches encodes to its schema alone; no batches and no schema is an error', () => {
  const empty = new arrow.Table(manySchema);
  assert.deepEqual([...encodeTable(empty)].map((m) => [m.bodyLength, schemaFromFlatbuffer(m.dataHeader).fields.length]), [[0, 24]]);
  assert.deepEqual(decodeError(() => [...encodeTable([])]), {
    code: Code.INVALID_ARGUMENT,
    message: 'cannot encode an empty sequence of record batches: there is no schema to send',
  });
});

test('batches with another schema than the first are refused', () => {
  const a = arrow.tableFromArrays({ n: Int32Array.from([1]) }).batches[0]!;
  const b = arrow.tableFromArrays({ m: Int32Array.from([1]) }).batches[0]!;
  assert.deepEqual(decodeError(() => [...encodeTable([a, b] as arrow.RecordBatch[])]), {
    code: Code.INVALID_ARGUMENT,
    message: 'every record batch must have the schema of the first one',
  });
});

test('random nullable int, float and string columns round-trip exactly', () => {
  const row = fc.record({
    i: fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
    f: fc.option(fc.double({ noNaN: true })),
    s: fc.option(fc.string({ maxLength: 6 })),
  });
  fc.assert(
    fc.property(fc.array(fc.array(row, { maxLength: 20 }), { minLength: 1, maxLength: 4 }), fc.nat(7), (chunks, misalign) => {
      const schema = new arrow.Schema([F('i', new arrow.Int32()), F('f', new arrow.Float64()), F('s', new arrow.Utf8())]);
      const batches = chunks.map((rows) =>
        batchOf(schema, [
          arrow.vectorFromArray(rows.map((r) => r.i), new arrow.Int32()),
          arrow.vectorFromArray(rows.map((r) => r.f), new arrow.Float64()),
          arrow.vectorFromArray(rows.map((r) => r.s), new arrow.Utf8()),
        ]),
      );
      const decoded = batchesOf(decodeAll(encodeTable(batches), misalign));
      assert.deepEqual(decoded.map(columns), batches.map(columns));
    }),
    { numRuns: 100 },
  );
});

test('mutated headers and bodies make the decoder throw only INVALID_ARGUMENT or UNIMPLEMENTED', () => {
  const messages = [...encodeTable(manyTypesTable())].map((m) => ({ header: m.dataHeader.slice(), body: wireBody(m) }));
  fc.assert(
    fc.property(
      fc.nat(messages.length - 1),
      fc.boolean(),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      (target, inBody, edits) => {
        const decoder = new ArrowStreamDecoder();
        for (const [i, m] of messages.entries()) {
          const header = i === target && !inBody ? m.header.slice() : m.header;
          const body = i === target && inBody ? m.body.slice() : m.body;
          const edited = i !== target ? undefined : inBody ? body : header;
          if (edited && edited.length > 0) for (const [at, value] of edits) edited[at % edited.length] = value;
          try {
            decoder.decode(header, body);
          } catch (err) {
            if (!(err instanceof FlightError) || (err.code !== Code.INVALID_ARGUMENT && err.code !== Code.UNIMPLEMENTED)) throw err;
            if (i < target) throw err;
            break;
          }
        }
      },
    ),
    { numRuns: 1500 },
  );
});
