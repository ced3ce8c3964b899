import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Builder } from 'flatbuffers';
import * as arrow from 'apache-arrow';
import { Message } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { MetadataVersion } from 'apache-arrow/fb/metadata-version';
import { Schema as FbSchema } from 'apache-arrow/fb/schema';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { DictionaryBatch as FbDictionaryBatch } from 'apache-arrow/fb/dictionary-batch';
import { Buffer as FbBuffer } from 'apache-arrow/fb/buffer';
import { BodyCompression } from 'apache-arrow/fb/body-compression';
import { Code, FlightError } from '../errors.js';
import {
  encapsulate,
  encapsulatedHeaderLength,
  extractSchemaFromEncapsulated,
  parseMessageHeader,
  readIpcMessages,
  writeEncapsulatedHeader,
  type MessageHeaderInfo,
} from './ipc-message.js';
import { describeSchema } from './schema-compare.js';
import { errorOf } from '../../../../test/helpers/flight-assertions.js';

const fixture = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`../../../../../test/fixtures/ipc/${name}`, import.meta.url)));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface BatchSpec {
  rows?: bigint;
  buffers?: Array<[bigint, bigint]>;
  codec?: number;
}

function recordBatch(b: Builder, spec: BatchSpec): number {
  const buffers = spec.buffers ?? [];
  FbRecordBatch.startBuffersVector(b, buffers.length);
  for (const [offset, length] of [...buffers].reverse()) FbBuffer.createBuffer(b, offset, length);
  const vector = b.endVector();
  const compression = spec.codec === undefined ? 0 : BodyCompression.createBodyCompression(b, spec.codec, 0);
  FbRecordBatch.startRecordBatch(b);
  FbRecordBatch.addLength(b, spec.rows ?? 0n);
  FbRecordBatch.addBuffers(b, vector);
  if (compression) FbRecordBatch.addCompression(b, compression);
  return FbRecordBatch.endRecordBatch(b);
}

/** A Message flatbuffer built field by field, so tests can write what no Arrow writer would. */
function message(options: {
  version?: MetadataVersion;
  headerType: number;
  bodyLength?: bigint;
  header?: (b: Builder) => number;
}): Uint8Array {
  const b = new Builder(128);
  const header = options.header ? options.header(b) : 0;
  Message.startMessage(b);
  Message.addVersion(b, options.version ?? MetadataVersion.V5);
  Message.addHeaderType(b, options.headerType);
  if (header) Message.addHeader(b, header);
  Message.addBodyLength(b, options.bodyLength ?? 0n);
  Message.finishMessageBuffer(b, Message.endMessage(b));
  return b.asUint8Array();
}

const emptySchema = (b: Builder): number => {
  FbSchema.startSchema(b);
  return FbSchema.endSchema(b);
};
const schemaMessage = message({ headerType: MessageHeader.Schema, header: emptySchema });


const invalid = (message: string): { code: Code; message: string } => ({ code: Code.INVALID_ARGUMENT, message });

/** Runs `run` and accepts only success or FlightError(INVALID_ARGUMENT). */
function onlyInvalidArgument(run: () => unknown): void {
  try {
    run();
  } catch (err) {
    if (!(err instanceof FlightError) || err.code !== Code.INVALID_ARGUMENT) throw err;
  }
}

test('parseMessageHeader reads schema, record batch and dictionary batch headers', () => {
  assert.deepEqual(parseMessageHeader(schemaMessage), {
    kind: 'schema',
    bodyLength: 0,
    rows: 0,
    compressed: false,
    metadataVersion: MetadataVersion.V5,
  });
  const batch = message({
    headerType: MessageHeader.RecordBatch,
    bodyLength: 24n,
    header: (b) => recordBatch(b, { rows: 3n, buffers: [[0n, 0n], [0n, 24n]] }),
  });
  assert.deepEqual(parseMessageHeader(batch), {
    kind: 'record_batch',
    bodyLength: 24,
    rows: 3,
    compressed: false,
    metadataVersion: MetadataVersion.V5,
  });
  const dictionary = message({
    version: MetadataVersion.V4,
    headerType: MessageHeader.DictionaryBatch,
    bodyLength: 8n,
    header: (b) => {
      const data = recordBatch(b, { rows: 2n, buffers: [[0n, 8n]], codec: 1 });
      FbDictionaryBatch.startDictionaryBatch(b);
      FbDictionaryBatch.addId(b, 7n);
      FbDictionaryBatch.addData(b, data);
      FbDictionaryBatch.addIsDelta(b, true);
      return FbDictionaryBatch.endDictionaryBatch(b);
    },
  });
  assert.deepEqual(parseMessageHeader(dictionary), {
    kind: 'dictionary_batch',
    bodyLength: 8,
    rows: 2,
    compressed: true,
    metadataVersion: MetadataVersion.V4,
    dictionaryId: 7n,
    isDelta: true,
  });
});

test('parseMessageHeader refuses old versions, huge lengths and inconsistent headers precisely', () => {
  assert.deepEqual(
    errorOf(() => parseMessageHeader(message({ version: MetadataVersion.V3, headerType: MessageHeader.Schema, header: emptySchema }))),
    invalid('unsupported IPC metadata version V3 (V4 and V5 are supported)'),
  );
  assert.deepEqual(
    errorOf(() => parseMessageHeader(message({ headerType: MessageHeader.Schema, header: emptySchema, bodyLength: 2n ** 53n }))),
    invalid('invalid IPC message: body length 9007199254740992 is out of range (0 to 2^53-1)'),
  );
  assert.deepEqual(
    errorOf(() => parseMessageHeader(message({ headerType: MessageHeader.Schema, header: emptySchema, bodyLength: -1n }))),
    invalid('invalid IPC message: body length -1 is out of range (0 to 2^53-1)'),
  );
  assert.deepEqual(
    errorOf(() =>
      parseMessageHeader(message({ headerType: MessageHeader.RecordBatch, header: (b) => recordBatch(b, { rows: 2n ** 60n }) })),
    ),
    invalid('invalid IPC message: record batch length 1152921504606846976 is out of range (0 to 2^53-1)'),
  );
  assert.deepEqual(
    errorOf(() =>
      parseMessageHeader(
        message({
          headerType: MessageHeader.RecordBatch,
          bodyLength: 16n,
          header: (b) => recordBatch(b, { rows: 1n, buffers: [[0n, 8n], [8n, 16n]] }),
        }),
      ),
    ),
    invalid('invalid IPC message: record batch buffer 1 (offset 8, length 16) lies outside the 16-byte body'),
  );
  assert.deepEqual(
    errorOf(() =>
      parseMessageHeader(message({ headerType: MessageHeader.RecordBatch, header: (b) => recordBatch(b, { codec: 5 }) })),
    ),
    invalid('invalid IPC message: unknown record batch compression codec 5'),
  );
  assert.deepEqual(
    errorOf(() => parseMessageHeader(message({ headerType: MessageHeader.Schema }))),
    invalid('invalid IPC message: Schema message without its header'),
  );
  assert.deepEqual(
    errorOf(() => parseMessageHeader(message({ headerType: 9, header: emptySchema }))),
    invalid('invalid IPC message: unknown message header type 9'),
  );
  assert.deepEqual(
    errorOf(() => parseMessageHeader(new Uint8Array(3))),
    invalid('malformed IPC message flatbuffer: 3 bytes is too short for a Message (at least 12)'),
  );
  const rootPastTheEnd = new Uint8Array(16);
  rootPastTheEnd[0] = 200;
  assert.deepEqual(
    errorOf(() => parseMessageHeader(rootPastTheEnd)),
    invalid('malformed IPC message flatbuffer: a 4-byte read at offset 200 lies outside its 16 bytes'),
  );
});

test('parseMessageHeader throws only INVALID_ARGUMENT for random, truncated and mutated flatbuffers', () => {
  const { schema, messages } = readIpcMessages(fixture('all-types.arrows'));
  const valid = [schema, ...messages.map((m) => m.header), schemaMessage];
  fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => onlyInvalidArgument(() => parseMessageHeader(bytes))), {
    numRuns: 2000,
  });
  fc.assert(
    fc.property(
      fc.constantFrom(...valid),
      fc.nat(),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      (original, cut, edits) => {
        const bytes = original.slice(0, cut % (original.length + 1));
        for (const [at, value] of edits) if (bytes.length > 0) bytes[at % bytes.length] = value;
        onlyInvalidArgument(() => parseMessageHeader(bytes));
      },
    ),
    { numRuns: 3000 },
  );
});

test('encapsulate writes marker, padded length, flatbuffer and zero padding', () => {
  assert.equal(hex(encapsulate(new Uint8Array([1, 2, 3, 4, 5]))), 'ffffffff080000000102030405000000');
  assert.equal(hex(encapsulate(new Uint8Array(8).fill(7))), 'ffffffff080000000707070707070707');
  const wide = encapsulate(new Uint8Array([1]), 64);
  assert.equal(wide.length, 64);
  assert.equal(hex(wide.subarray(0, 9)), 'ffffffff3800000001');
  assert.ok(wide.subarray(9).every((b) => b === 0));
  assert.deepEqual(
    [encapsulatedHeaderLength(0), encapsulatedHeaderLength(5), encapsulatedHeaderLength(8), encapsulatedHeaderLength(9), encapsulatedHeaderLength(5, 64)],
    [8, 16, 16, 24, 64],
  );
});

test('writeEncapsulatedHeader fills only its prefix of the target', () => {
  const target = new Uint8Array(24).fill(0xaa);
  assert.equal(writeEncapsulatedHeader(target, new Uint8Array([1, 2, 3]), 8), 16);
  assert.equal(hex(target), 'ffffffff080000000102030000000000aaaaaaaaaaaaaaaa');
  assert.deepEqual(errorOf(() => writeEncapsulatedHeader(new Uint8Array(10), new Uint8Array(3))), {
    code: Code.INTERNAL,
    message: 'encapsulated IPC header needs 16 bytes, target has 10',
  });
  assert.deepEqual(errorOf(() => encapsulate(new Uint8Array(3), 12)), {
    code: Code.INTERNAL,
    message: 'IPC alignment must be a positive multiple of 8, got 12',
  });
});

test('extractSchemaFromEncapsulated returns a view of the flatbuffer, for both prefix styles', () => {
  const encapsulated = encapsulate(schemaMessage);
  const view = extractSchemaFromEncapsulated(encapsulated);
  assert.equal(view.buffer, encapsulated.buffer);
  assert.equal(view.byteOffset, 8);
  assert.deepEqual(view.subarray(0, schemaMessage.length), schemaMessage);
  const legacy = new Uint8Array(4 + schemaMessage.length);
  new DataView(legacy.buffer).setInt32(0, schemaMessage.length, true);
  legacy.set(schemaMessage, 4);
  assert.deepEqual(extractSchemaFromEncapsulated(legacy), schemaMessage);
});

test('extractSchemaFromEncapsulated rejects what is not one encapsulated Schema message', () => {
  const batch = message({ headerType: MessageHeader.RecordBatch, header: (b) => recordBatch(b, {}) });
  assert.deepEqual(errorOf(() => extractSchemaFromEncapsulated(encapsulate(batch))), invalid('invalid encapsulated schema: it holds a record_batch message'));
  assert.deepEqual(errorOf(() => extractSchemaFromEncapsulated(new Uint8Array(0))), invalid('invalid encapsulated schema: truncated message length at offset 0'));
  assert.deepEqual(
    errorOf(() => extractSchemaFromEncapsulated(new Uint8Array([255, 255, 255, 255, 0, 0, 0, 0]))),
    invalid('invalid encapsulated schema: it is an end-of-stream marker'),
  );
  assert.deepEqual(
    errorOf(() => extractSchemaFromEncapsulated(new Uint8Array([255, 255, 255, 255, 100, 0, 0, 0, 1, 2]))),
    invalid('invalid encapsulated schema: metadata length 100 at offset 0 exceeds the 2 bytes left'),
  );
  assert.deepEqual(
    errorOf(() => extractSchemaFromEncapsulated(encapsulate(new Uint8Array(4)))),
    invalid('invalid encapsulated schema: malformed IPC message flatbuffer: 8 bytes is too short for a Message (at least 12)'),
  );
});

/** Two batches sharing one dictionary, so the IPC file writer accepts them too. */
function dictionaryTable(): arrow.Table {
  const type = new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32());
  const schema = new arrow.Schema([new arrow.Field('label', type), new arrow.Field('n', new arrow.Int64())]);
  const full = new arrow.RecordBatch(
    schema,
    arrow.makeData({
      type: new arrow.Struct(schema.fields),
      length: 4,
      children: [
        arrow.vectorFromArray(['a', 'b', 'a', 'c'], type).data[0]!,
        arrow.vectorFromArray([1n, 2n, 3n, 4n], new arrow.Int64()).data[0]!,
      ],
    }),
  );
  return new arrow.Table(schema, [full.slice(0, 3), full.slice(3)]);
}

const summary = (info: MessageHeaderInfo): string =>
  `${info.kind} rows=${info.rows} body=${info.bodyLength}${info.isDelta === undefined ? '' : ` delta=${info.isDelta}`}`;

test('readIpcMessages returns views of every message of an apache-arrow stream and file', () => {
  const table = dictionaryTable();
  const stream = arrow.tableToIPC(table, 'stream');
  const file = arrow.tableToIPC(table, 'file');
  const fromStream = readIpcMessages(stream);
  const fromFile = readIpcMessages(file);
  const expected = ['dictionary_batch rows=3 body=24 delta=false', 'record_batch rows=3 body=40', 'record_batch rows=1 body=16'];
  assert.deepEqual(fromStream.messages.map((m) => summary(m.info)), expected);
  assert.deepEqual(fromFile.messages.map((m) => summary(m.info)), expected);
  for (const [bytes, read] of [[stream, fromStream], [file, fromFile]] as const) {
    for (const m of read.messages) {
      assert.equal(m.body.buffer, bytes.buffer);
      assert.equal(m.header.buffer, bytes.buffer);
      assert.equal((m.body.byteOffset - bytes.byteOffset) % 8, 0);
    }
  }
  fromStream.messages.forEach((m, i) => assert.deepEqual(fromFile.messages[i]!.body, m.body));
  // apache-arrow files carry their schema only in the footer.
  assert.deepEqual(describeSchema(fromFile.schema), describeSchema(fromStream.schema));
  assert.deepEqual(describeSchema(fromStream.schema).map((f) => f.type), ['dictionary<values=utf8, indices=int32>', 'int64']);
});

test('readIpcMessages reads pyarrow streams and files: all types, legacy V4, compressed, dictionary deltas', () => {
  for (const name of ['all-types.arrows', 'all-types.arrow']) {
    const bytes = fixture(name);
    const { schema, messages } = readIpcMessages(bytes);
    assert.equal(schema.buffer, bytes.buffer);
    assert.deepEqual(messages.map((m) => summary(m.info)), ['dictionary_batch rows=1 body=16 delta=false', 'record_batch rows=1 body=552']);
  }
  const legacy = readIpcMessages(fixture('legacy-v4.arrows'));
  assert.deepEqual(legacy.messages.map((m) => [summary(m.info), m.info.metadataVersion]), [['record_batch rows=3 body=24', MetadataVersion.V4]]);
  assert.equal(parseMessageHeader(legacy.schema).metadataVersion, MetadataVersion.V4);
  assert.deepEqual(readIpcMessages(fixture('compressed.arrows')).messages.map((m) => m.info.compressed), [true]);
  assert.deepEqual(readIpcMessages(fixture('dictionary-deltas.arrows')).messages.map((m) => summary(m.info)), [
    'dictionary_batch rows=2 body=24 delta=false',
    'record_batch rows=3 body=40',
    'dictionary_batch rows=1 body=16 delta=true',
    'record_batch rows=2 body=32',
    'dictionary_batch rows=1 body=16 delta=false',
    'record_batch rows=1 body=16',
  ]);
});

test('readIpcMessages names the offset of what is wrong', () => {
  const stream = arrow.tableToIPC(arrow.tableFromArrays({ n: Int32Array.from([1, 2, 3]) }), 'stream');
  const { messages } = readIpcMessages(stream);
  const body = messages[0]!.body;
  const bodyStart = body.byteOffset - stream.byteOffset;
  const truncated = stream.subarray(0, bodyStart + body.length - 1);
  assert.deepEqual(
    errorOf(() => readIpcMessages(truncated)),
    invalid(`invalid Arrow IPC data: body of ${body.length} bytes at offset ${bodyStart} exceeds the ${body.length - 1} bytes left`),
  );
  const headerStart = messages[0]!.header.byteOffset - stream.byteOffset;
  assert.deepEqual(
    errorOf(() => readIpcMessages(stream.subarray(headerStart - 8))),
    invalid(`invalid Arrow IPC data: first message at offset 0 is a record_batch, not a schema`),
  );
  const twice = new Uint8Array([...stream.subarray(0, stream.length - 8), ...stream]);
  assert.deepEqual(
    errorOf(() => readIpcMessages(twice)),
    invalid(`invalid Arrow IPC data: unexpected schema message at offset ${stream.length - 8} after other messages`),
  );
  assert.deepEqual(errorOf(() => readIpcMessages(new Uint8Array(0))), invalid('invalid Arrow IPC data: no schema message in 0 bytes'));
  assert.deepEqual(
    errorOf(() => readIpcMessages(new Uint8Array([255, 255, 255, 255, 0, 1, 0, 0]))),
    invalid('invalid Arrow IPC data: metadata length 256 at offset 0 exceeds the 0 bytes left'),
  );
  assert.deepEqual(
    errorOf(() => readIpcMessages(stream.subarray(0, 6))),
    invalid('invalid Arrow IPC data: truncated message length at offset 4'),
  );
  const file = arrow.tableToIPC(arrow.tableFromArrays({ n: Int32Array.from([1]) }), 'file');
  assert.deepEqual(
    errorOf(() => readIpcMessages(file.subarray(0, file.length - 1))),
    invalid(`invalid Arrow IPC file: ${file.length - 1} bytes without the trailing ARROW1 magic`),
  );
  const badFooter = file.slice();
  new DataView(badFooter.buffer).setInt32(badFooter.length - 10, 1 << 20, true);
  assert.deepEqual(
    errorOf(() => readIpcMessages(badFooter)),
    invalid(`invalid Arrow IPC file: footer length 1048576 does not fit in ${file.length} bytes`),
  );
});

test('readIpcMessages throws only INVALID_ARGUMENT for truncated, mutated and random input', () => {
  const inputs = [fixture('all-types.arrows'), fixture('all-types.arrow'), fixture('legacy-v4.arrows'), arrow.tableToIPC(dictionaryTable(), 'file')];
  for (const bytes of inputs) {
    for (let cut = 0; cut < bytes.length; cut++) onlyInvalidArgument(() => readIpcMessages(bytes.subarray(0, cut)));
  }
  fc.assert(
    fc.property(fc.constantFrom(...inputs), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (original, edits) => {
      const bytes = original.slice();
      for (const [at, value] of edits) bytes[at % bytes.length] = value;
      onlyInvalidArgument(() => readIpcMessages(bytes));
    }),
    { numRuns: 3000 },
  );
  const magic = new TextEncoder().encode('ARROW1');
  fc.assert(
    fc.property(fc.boolean(), fc.uint8Array({ maxLength: 300 }), (asFile, tail) => {
      const bytes = asFile ? new Uint8Array([...magic, 0, 0, ...tail, ...magic]) : tail;
      onlyInvalidArgument(() => readIpcMessages(bytes));
    }),
    { numRuns: 2000 },
  );
});
