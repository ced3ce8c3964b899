/**
 * Projection of Arrow IPC messages onto a subset of top-level columns, done on the flatbuffers
 * alone: the schema is rebuilt with the kept fields, record batches keep the kept fields' runs of
 * FieldNodes and Buffers, and bodies are re-laid out as views of the original body. No Arrow type
 * is decoded and no buffer byte is copied, so it works for every type whose buffer layout is fixed.
 */
import { Builder, type Offset } from 'flatbuffers';
import { Field } from 'apache-arrow/fb/field';
import { Message } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { MetadataVersion } from 'apache-arrow/fb/metadata-version';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { Schema as FbSchema } from 'apache-arrow/fb/schema';
import { FieldNode } from 'apache-arrow/fb/field-node';
import { Buffer as FbBuffer } from 'apache-arrow/fb/buffer';
import { Type } from 'apache-arrow/fb/type';
import { Union } from 'apache-arrow/fb/union';
import { UnionMode } from 'apache-arrow/fb/union-mode';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { messageAccessor, parseMessageHeader } from '../../client/src/flight/protocol/ipc-message.js';
import { copyField, copyMetadata } from './ipc-field-copy.js';

/** How many FieldNodes and Buffers a top-level field occupies in a record batch, and where they start. */
interface FieldRun {
  readonly node: number;
  readonly nodes: number;
  readonly buffer: number;
  readonly buffers: number;
}

/** A projected record batch: a new header and views of the original body with zero padding between them. */
export interface ProjectedBatch {
  readonly header: Uint8Array;
  readonly body: readonly Uint8Array[];
  readonly bodyLength: number;
}

/** A message body: contiguous, or read range by range (offset, length) from several chunks. */
export type MessageBody = Uint8Array | ((offset: number, length: number) => Uint8Array);

const ZEROS = new Uint8Array(8);
const MAX_DEPTH = 64;
const TWO_BUFFERS = new Set([
  Type.Int, Type.FloatingPoint, Type.Date, Type.Time, Type.Timestamp, Type.Duration, Type.Interval,
  Type.Decimal, Type.FixedSizeBinary, Type.Bool,
]);
const THREE_BUFFERS = new Set([Type.Utf8, Type.Binary, Type.LargeUtf8, Type.LargeBinary]);

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/** Counts the nodes and buffers of one field and its descendants in a record batch. */
function countLayout(field: Field, path: string, version: MetadataVersion, depth: number): { nodes: number; buffers: number } {
  if (depth > MAX_DEPTH) throw new FlightError(Code.INVALID_ARGUMENT, `invalid schema: field "${path}" is nested deeper than ${MAX_DEPTH} levels`);
  // A dictionary-encoded field carries only its indices; its values travel in dictionary batches.
  if (field.dictionary()) return { nodes: 1, buffers: 2 };
  const type = field.typeType();
  let own: number;
  if (type === Type.Null) own = 0;
  else if (TWO_BUFFERS.has(type)) own = 2;
  else if (THREE_BUFFERS.has(type)) own = 3;
  else if (type === Type.List || type === Type.LargeList || type === Type.Map) own = 2;
  else if (type === Type.FixedSizeList || type === Type.Struct_) own = 1;
  else if (type === Type.Union) {
    const union = field.type(new Union()) as Union | null;
    const dense = union?.mode() === UnionMode.Dense;
    // V5 dropped the validity bitmap of unions; V4 writers still send one.
    own = (dense ? 2 : 1) + (version < MetadataVersion.V5 ? 1 : 0);
  } else {
    throw new FlightError(Code.UNIMPLEMENTED, `column projection does not support field "${path}" of type ${Type[type] ?? type}`);
  }
  let nodes = 1;
  let buffers = own;
  for (let i = 0, n = field.childrenLength(); i < n; i++) {
    const child = field.children(i);
    if (!child) throw new FlightError(Code.INVALID_ARGUMENT, `invalid schema: field "${path}" is missing child #${i + 1}`);
    const inner = countLayout(child, `${path}.${child.name() ?? ''}`, version, depth + 1);
    nodes += inner.nodes;
    buffers += inner.buffers;
  }
  return { nodes, buffers };
}

/** Every dictionary id declared by a field or its descendants. */
function collectDictionaryIds(field: Field, ids: Set<bigint>): void {
  const dictionary = field.dictionary();
  if (dictionary) ids.add(dictionary.id());
  for (let i = 0, n = field.childrenLength(); i < n; i++) {
    const child = field.children(i);
    if (child) collectDictionaryIds(child, ids);
  }
}

/** The Message, Schema table and top-level fields of a Schema message flatbuffer. */
function schemaOf(flatbuffer: Uint8Array): { message: Message; schema: FbSchema; fields: Field[] } {
  if (parseMessageHeader(flatbuffer).kind !== 'schema') throw new FlightError(Code.INVALID_ARGUMENT, 'column projection needs a Schema message');
  const message = messageAccessor(flatbuffer);
  const schema = message.header(new FbSchema()) as FbSchema;
  const fields: Field[] = [];
  for (let i = 0, n = schema.fieldsLength(); i < n; i++) {
    const field = schema.fields(i);
    if (!field) throw new FlightError(Code.INVALID_ARGUMENT, `invalid schema: field #${i + 1} is missing`);
    fields.push(field);
  }
  return { message, schema, fields };
}

/** Indices of the named top-level columns, in the order given; INVALID_ARGUMENT for unknown or repeated names. */
export function columnIndices(schemaFlatbuffer: Uint8Array, names: readonly string[]): number[] {
  const fieldNames = schemaOf(schemaFlatbuffer).fields.map((f) => f.name() ?? '');
  if (names.length === 0) throw new FlightError(Code.INVALID_ARGUMENT, '"columns" must name at least one column');
  const seen = new Set<string>();
  return names.map((name) => {
    if (seen.has(name)) throw new FlightError(Code.INVALID_ARGUMENT, `"columns" names column "${name}" twice`);
    seen.add(name);
    const index = fieldNames.indexOf(name);
    if (index < 0) {
      throw new FlightError(Code.INVALID_ARGUMENT, `unknown column "${name}"; the dataset's columns are: ${fieldNames.map((n) => JSON.stringify(n)).join(', ')}`);
    }
    return index;
  });
}

/** A projection of one dataset's schema onto some of its top-level columns. */
export class ProjectionPlan {
  /** The projected Schema message flatbuffer. */
  readonly schema: Uint8Array;
  /** Dictionary ids used by the kept columns; other dictionary batches are dropped. */
  readonly dictionaryIds: ReadonlySet<bigint>;
  private readonly runs: readonly FieldRun[];
  private readonly totalNodes: number;
  private readonly totalBuffers: number;

  /** Plans keeping the top-level fields at `columns` (in that order) of a Schema message flatbuffer, sent under `names` when given. */
  constructor(schemaFlatbuffer: Uint8Array, readonly columns: readonly number[], names?: readonly string[]) {
    const { message, schema, fields } = schemaOf(schemaFlatbuffer);
    const version = message.version();
    const all: FieldRun[] = [];
    let node = 0;
    let buffer = 0;
    for (const field of fields) {
      const { nodes, buffers } = countLayout(field, field.name() ?? '', version, 0);
      all.push({ node, nodes, buffer, buffers });
      node += nodes;
      buffer += buffers;
    }
    this.totalNodes = node;
    this.totalBuffers = buffer;
    const ids = new Set<bigint>();
    for (const column of columns) {
      const field = fields[column];
      if (field === undefined) throw new FlightError(Code.INVALID_ARGUMENT, `column index ${column} is out of range for ${fields.length} columns`);
      collectDictionaryIds(field, ids);
    }
    if (new Set(columns).size !== columns.length) throw new FlightError(Code.INVALID_ARGUMENT, 'column projection repeats a column');
    this.runs = columns.map((c) => all[c]!);
    this.dictionaryIds = ids;
    if (names && names.length !== columns.length) throw new FlightError(Code.INTERNAL, `column projection has ${columns.length} columns and ${names.length} names`);
    this.schema = projectSchema(message, schema, columns.map((c) => fields[c]!), names);
  }

  /** The body length of a record batch after projection, read from its header alone. */
  bodyLength(header: Uint8Array): number {
    let length = 0;
    const batch = this.batchOf(header);
    for (const run of this.runs) {
      for (let i = run.buffer; i < run.buffer + run.buffers; i++) length = align8(length + Number(batch.buffers(i)!.length()));
    }
    return length;
  }

  /** Projects a RecordBatch message: a new header and views of `body`, never a copy of its bytes. */
  projectRecordBatch(header: Uint8Array, body: MessageBody): ProjectedBatch {
    const message = messageAccessor(header);
    const batch = this.batchOf(header);
    const chunks: Uint8Array[] = [];
    const buffers: { offset: number; length: number }[] = [];
    const nodes: { length: bigint; nulls: bigint }[] = [];
    let at = 0;
    for (const run of this.runs) {
      for (let i = run.node; i < run.node + run.nodes; i++) {
        const node = batch.nodes(i)!;
        nodes.push({ length: node.length(), nulls: node.nullCount() });
      }
      for (let i = run.buffer; i < run.buffer + run.buffers; i++) {
        const source = batch.buffers(i)!;
        const offset = Number(source.offset());
        const length = Number(source.length());
        buffers.push({ offset: at, length });
        if (length > 0) chunks.push(typeof body === 'function' ? body(offset, length) : body.subarray(offset, offset + length));
        const padded = align8(at + length);
        if (padded > at + length) chunks.push(ZEROS.subarray(0, padded - at - length));
        at = padded;
      }
    }
    const projected = recordBatchHeader(message, batch.length(), nodes, buffers, at);
    return { header: projected, body: chunks, bodyLength: at };
  }

  /** The RecordBatch table of a header, checked against the schema's layout. */
  private batchOf(header: Uint8Array): FbRecordBatch {
    const info = parseMessageHeader(header);
    if (info.kind !== 'record_batch') throw new FlightError(Code.INTERNAL, `column projection expected a record batch, got a ${info.kind}`);
    if (info.compressed) throw new FlightError(Code.UNIMPLEMENTED, 'column projection does not support compressed IPC bodies');
    const batch = messageAccessor(header).header(new FbRecordBatch()) as FbRecordBatch;
    if (batch.nodesLength() !== this.totalNodes || batch.buffersLength() !== this.totalBuffers) {
      throw new FlightError(
        Code.INTERNAL,
        `record batch has ${batch.nodesLength()} field nodes and ${batch.buffersLength()} buffers; its schema's layout needs ${this.totalNodes} and ${this.totalBuffers}`,
      );
    }
    return batch;
  }
}

/** A Schema message flatbuffer with the fields of `schemaFlatbuffer` followed by the fields `extra` writes. */
export function extendSchema(schemaFlatbuffer: Uint8Array, extra: (builder: Builder) => Offset[]): Uint8Array {
  const { message, schema, fields } = schemaOf(schemaFlatbuffer);
  return projectSchema(message, schema, fields, undefined, extra);
}

/** A RecordBatch Message flatbuffer with these nodes and buffers, keeping `like`'s version and custom metadata. */
export function recordBatchHeader(
  like: Message,
  length: bigint,
  nodes: readonly { length: bigint; nulls: bigint }[],
  buffers: readonly { offset: number; length: number }[],
  bodyLength: number,
): Uint8Array {
  const builder = new Builder(256 + 32 * (nodes.length + buffers.length));
  const metadata = copyMetadata(builder, like);
  FbRecordBatch.startNodesVector(builder, nodes.length);
  for (let i = nodes.length - 1; i >= 0; i--) FieldNode.createFieldNode(builder, nodes[i]!.length, nodes[i]!.nulls);
  const nodesOffset = builder.endVector();
  FbRecordBatch.startBuffersVector(builder, buffers.length);
  for (let i = buffers.length - 1; i >= 0; i--) FbBuffer.createBuffer(builder, BigInt(buffers[i]!.offset), BigInt(buffers[i]!.length));
  const buffersOffset = builder.endVector();
  FbRecordBatch.startRecordBatch(builder);
  FbRecordBatch.addLength(builder, length);
  FbRecordBatch.addNodes(builder, nodesOffset);
  FbRecordBatch.addBuffers(builder, buffersOffset);
  const batchOffset = FbRecordBatch.endRecordBatch(builder);
  builder.finish(Message.createMessage(builder, like.version(), MessageHeader.RecordBatch, batchOffset, BigInt(bodyLength), metadata));
  return builder.asUint8Array();
}

/** A Schema message with the given fields, keeping the version, endianness, features and custom metadata. */
function projectSchema(message: Message, schema: FbSchema, fields: readonly Field[], names?: readonly string[], extra: (builder: Builder) => Offset[] = () => []): Uint8Array {
  const builder = new Builder(1024);
  const fieldOffsets = [...fields.map((field, i) => copyField(builder, field, field.name() ?? '', 0, names?.[i])), ...extra(builder)];
  const fieldsVector = FbSchema.createFieldsVector(builder, fieldOffsets);
  const schemaMetadata = copyMetadata(builder, schema);
  const features: bigint[] = [];
  for (let i = 0, n = schema.featuresLength(); i < n; i++) features.push(schema.features(i) ?? 0n);
  const featuresVector = features.length === 0 ? 0 : FbSchema.createFeaturesVector(builder, features);
  const messageMetadata = copyMetadata(builder, message);
  const schemaOffset = FbSchema.createSchema(builder, schema.endianness(), fieldsVector, schemaMetadata, featuresVector);
  builder.finish(Message.createMessage(builder, message.version(), MessageHeader.Schema, schemaOffset, 0n, messageMetadata));
  return builder.asUint8Array();
}
