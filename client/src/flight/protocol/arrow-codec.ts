/**
 * Client-side Arrow IPC codec over Flight messages, built on apache-arrow JS: decodes FlightData
 * into Schemas and RecordBatches over views of the received bodies, and turns a Table into
 * FlightData whose bodies are the batches' own buffers (never concatenated).
 */
import {
  Data,
  DataType,
  Dictionary,
  Field,
  FixedSizeList,
  LargeList,
  List,
  Map_,
  MetadataVersion,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Union,
  Vector,
  makeData,
  type TypeMap,
} from 'apache-arrow';
import {
  DictionaryBatch as MetaDictionaryBatch,
  Message,
  RecordBatch as MetaRecordBatch,
} from 'apache-arrow/ipc/metadata/message';
import { VectorLoader } from 'apache-arrow/visitor/vectorloader';
import { VectorAssembler } from 'apache-arrow/visitor/vectorassembler';
import { compareSchemas } from 'apache-arrow/visitor/typecomparator';
import { Schema as FbSchema } from 'apache-arrow/fb/schema';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { DictionaryBatch as FbDictionaryBatch } from 'apache-arrow/fb/dictionary-batch';
import type { Message as FbMessage } from 'apache-arrow/fb/message';
import { Code, FlightError } from '../errors.js';
import type { OutgoingFlightData } from './messages.js';
import { messageAccessor, parseMessageHeader } from './ipc-message.js';
import { describeSchema, type FieldDescription } from './schema-compare.js';

/** What one FlightData turned into. */
export type DecodedFlightData =
  | { kind: 'schema'; schema: Schema }
  | { kind: 'dictionary'; id: number; isDelta: boolean }
  | { kind: 'batch'; batch: RecordBatch; appMetadata: Uint8Array }
  /** A FlightData with no IPC message, only application metadata. */
  | { kind: 'metadata'; appMetadata: Uint8Array };

const EMPTY = new Uint8Array(0);
/** Shared source of padding chunks; never written to. */
const ZEROS = new Uint8Array(8);
/** Type bases apache-arrow 21 has no decoder for. */
const UNDECODABLE = ['list_view', 'large_list_view', 'run_end_encoded'];

function invalid(message: string): FlightError {
  return new FlightError(Code.INVALID_ARGUMENT, message);
}

/** The first field (depth first) whose type apache-arrow cannot decode, with its dotted path. */
function firstUndecodable(fields: FieldDescription[], prefix: string): { path: string; field: FieldDescription } | undefined {
  for (const field of fields) {
    const path = prefix + field.name;
    const value = field.base.startsWith('dictionary<values=') ? field.base.slice('dictionary<values='.length) : field.base;
    if (UNDECODABLE.some((name) => value.startsWith(name))) return { path, field };
    const nested = firstUndecodable(field.children, `${path}.`);
    if (nested) return nested;
  }
  return undefined;
}

/** The custom metadata of a Message, as apache-arrow attaches it to a RecordBatch. */
function messageMetadata(message: FbMessage): Map<string, string> {
  const metadata = new Map<string, string>();
  for (let i = 0, n = message.customMetadataLength(); i < n; i++) {
    const entry = message.customMetadata(i);
    const key = entry?.key();
    if (entry && key != null) metadata.set(key, entry.value() ?? '');
  }
  return metadata;
}

/** Encodes an apache-arrow Schema as a raw Schema Message flatbuffer. */
export function schemaToFlatbuffer(schema: Schema): Uint8Array {
  return Message.encode(Message.from(schema));
}

/** Decodes a raw Schema Message flatbuffer; UNIMPLEMENTED for types apache-arrow cannot decode. */
export function schemaFromFlatbuffer(flatbuffer: Uint8Array): Schema {
  // describeSchema walks the whole schema through checked accessors with a field budget, so
  // apache-arrow's unbounded recursive decoder only ever meets a well-formed tree.
  const undecodable = firstUndecodable(describeSchema(flatbuffer), '');
  if (undecodable) {
    throw new FlightError(
      Code.UNIMPLEMENTED,
      `field "${undecodable.path}" has type ${undecodable.field.type}, which apache-arrow JS cannot decode`,
    );
  }
  // apache-arrow reads union type ids through an Int32Array view, which needs 4-byte alignment.
  const aligned = flatbuffer.byteOffset % 8 === 0 ? flatbuffer : flatbuffer.slice();
  const message = messageAccessor(aligned);
  try {
    return Schema.decode(message.header(new FbSchema()) as FbSchema, new Map(), message.version());
  } catch (err) {
    throw invalid(`apache-arrow could not decode the schema: ${FlightError.from(err).message}`);
  }
}

/**
 * Decodes the FlightData of one stream in order, keeping its dictionaries (replacements and
 * deltas per the IPC stream rules). Batches are views onto the received bodies: a body that does
 * not start on an 8-byte boundary is copied once into aligned memory, since apache-arrow builds
 * 64-bit typed arrays straight over it.
 */
export class ArrowStreamDecoder {
  private current: Schema | undefined;
  private version = MetadataVersion.V5;
  private readonly dictionaries = new Map<number, Vector>();
  private batches = 0;

  /** The stream's schema, once its Schema message has arrived. */
  get schema(): Schema | undefined {
    return this.current;
  }

  /** Decodes one FlightData's header and body (both may alias the receive buffer). */
  decode(dataHeader: Uint8Array, dataBody: Uint8Array, appMetadata: Uint8Array = EMPTY): DecodedFlightData {
    if (dataHeader.length === 0) return { kind: 'metadata', appMetadata };
    const info = parseMessageHeader(dataHeader);
    if (info.kind === 'schema') {
      if (this.current) throw invalid('the stream sent a second Schema message');
      this.current = schemaFromFlatbuffer(dataHeader);
      this.version = info.metadataVersion;
      return { kind: 'schema', schema: this.current };
    }
    if (info.kind !== 'record_batch' && info.kind !== 'dictionary_batch') {
      throw invalid(`a ${info.kind} message cannot appear in a record batch stream`);
    }
    const schema = this.current;
    if (!schema) throw invalid(`the stream sent a ${info.kind} message before its Schema message`);
    if (info.compressed) throw new FlightError(Code.UNIMPLEMENTED, 'compressed IPC bodies are not supported');
    if (dataBody.length < info.bodyLength) {
      throw invalid(`the ${info.kind} body is ${dataBody.length} bytes but its header declares ${info.bodyLength}`);
    }
    const body = dataBody.byteOffset % 8 === 0 ? dataBody : dataBody.slice();
    const what = info.kind === 'dictionary_batch' ? `dictionary batch ${info.dictionaryId}` : `record batch ${this.batches}`;
    try {
      return info.kind === 'dictionary_batch'
        ? this.loadDictionary(schema, messageAccessor(dataHeader), body)
        : this.loadBatch(schema, messageAccessor(dataHeader), body, appMetadata);
    } catch (err) {
      // apache-arrow throws plain Errors (unsafe int64s, impossible lengths) on hostile headers.
      if (err instanceof FlightError) throw err;
      throw invalid(`could not decode ${what}: ${FlightError.from(err).message}`);
    }
  }

  private loadBatch(schema: Schema, message: FbMessage, body: Uint8Array, appMetadata: Uint8Array): DecodedFlightData {
    const header = MetaRecordBatch.decode(message.header(new FbRecordBatch()) as FbRecordBatch, this.version);
    if (header.length > 0) {
      for (const id of schema.dictionaries.keys()) {
        if (!this.dictionaries.has(id)) throw invalid(`record batch ${this.batches} arrived before dictionary ${id}`);
      }
    }
    const children = this.load(header, body, schema.fields);
    const data = makeData({ type: new Struct(schema.fields), length: header.length, children });
    this.batches++;
    return { kind: 'batch', batch: new RecordBatch(schema, data, messageMetadata(message)), appMetadata };
  }

  private loadDictionary(schema: Schema, message: FbMessage, body: Uint8Array): DecodedFlightData {
    const header = MetaDictionaryBatch.decode(message.header(new FbDictionaryBatch()) as FbDictionaryBatch, this.version);
    const { id, isDelta } = header;
    const type = schema.dictionaries.get(id);
    if (!type) throw invalid(`dictionary batch for id ${id}, which no field of the schema uses`);
    const previous = this.dictionaries.get(id);
    if (isDelta && !previous) throw invalid(`delta dictionary batch for id ${id} before any dictionary batch for it`);
    const vector = new Vector(this.load(header.data, body, [type]));
    this.dictionaries.set(id, (previous && isDelta ? previous.concat(vector) : vector).memoize());
    return { kind: 'dictionary', id, isDelta };
  }

  private load(header: MetaRecordBatch, body: Uint8Array, types: (DataType | Schema['fields'][number])[]): Data[] {
    const loader = new VectorLoader(body, header.nodes, header.buffers, this.dictionaries, this.version, header.variadicBufferCounts);
    return loader.visitMany(types);
  }
}

/** The body chunks of assembled buffers: each buffer as a view, zero-padded to a multiple of 8. */
function bodyOf(assembler: VectorAssembler): { body: Uint8Array[]; bodyLength: number } {
  const body: Uint8Array[] = [];
  let bodyLength = 0;
  for (const buffer of assembler.buffers) {
    const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    if (bytes.length === 0) continue;
    body.push(bytes);
    const padding = -bytes.length & 7;
    if (padding > 0) body.push(ZEROS.subarray(0, padding));
    bodyLength += bytes.length + padding;
  }
  if (bodyLength !== assembler.byteLength) {
    throw new FlightError(Code.INTERNAL, `assembled body is ${bodyLength} bytes, its regions say ${assembler.byteLength}`);
  }
  return { body, bodyLength };
}

/** A schema with its dictionaries renumbered, and the new ids of each id it had (one per field using it). */
interface Renumbered {
  readonly original: Schema;
  readonly schema: Schema;
  readonly newIds: ReadonlyMap<number, readonly number[]>;
}

/** The type with the same value type but children of another type (which has no dictionary here). */
function withChildren(type: DataType, children: Field[]): DataType {
  if (DataType.isStruct(type)) return new Struct(children);
  if (DataType.isList(type)) return new List(children[0]!);
  if (DataType.isLargeList(type)) return new LargeList(children[0]!);
  if (DataType.isFixedSizeList(type)) return new FixedSizeList(type.listSize, children[0]!);
  // Map_ renames the entries' key and value fields in place; they already carry those names.
  if (DataType.isMap(type)) return new Map_(children[0]! as Field<Struct>, type.keysSorted);
  if (DataType.isUnion(type)) return new Union(type.mode, type.typeIds, children);
  throw new FlightError(Code.INTERNAL, `cannot renumber the dictionaries inside a ${String(type)} field`);
}

/**
 * The schema with dictionaries numbered 0..n-1 depth first, a field before its children, as Arrow
 * C++ numbers them, so that separately encoded tables of one logical schema declare the same ids.
 * apache-arrow takes ids from a process-wide counter instead. The given schema is not changed; it
 * is returned as is when already numbered so.
 */
function renumberDictionaries(schema: Schema): Renumbered {
  const newIds = new Map<number, number[]>();
  let next = 0;
  const renumberType = (type: DataType): DataType => {
    if (DataType.isDictionary(type)) {
      const id = next++;
      newIds.set(type.id, [...(newIds.get(type.id) ?? []), id]);
      const value = renumberType(type.dictionary);
      return id === type.id && value === type.dictionary ? type : new Dictionary(value, type.indices, id, type.isOrdered);
    }
    const children = type.children ?? [];
    const renumbered = children.map(renumberField);
    return renumbered.every((child, i) => child === children[i]) ? type : withChildren(type, renumbered);
  };
  const renumberField = (field: Field): Field => {
    const type = renumberType(field.type);
    return type === field.type ? field : field.clone({ type });
  };
  const fields = schema.fields.map(renumberField);
  const unchanged = fields.every((field, i) => field === schema.fields[i]);
  return { original: schema, schema: unchanged ? schema : new Schema(fields, schema.metadata, undefined, schema.metadataVersion), newIds };
}

function dictionaryMessage(chunk: Data, id: number, isDelta: boolean): OutgoingFlightData {
  const assembler = VectorAssembler.assemble(new Vector([chunk]));
  const { body, bodyLength } = bodyOf(assembler);
  const data = new MetaRecordBatch(chunk.length, assembler.nodes, assembler.bufferRegions, null, assembler.variadicBufferCounts);
  const header = Message.encode(Message.from(new MetaDictionaryBatch(data, id, isDelta), bodyLength));
  return { dataHeader: header, body, bodyLength };
}

/**
 * Dictionary messages a batch needs beyond those already sent (replacement or delta, as apache-arrow's
 * writer decides), under the renumbered ids; `sent` is keyed by those.
 */
function* dictionaryMessages(
  batch: RecordBatch,
  newIds: ReadonlyMap<number, readonly number[]>,
  sent: Map<number, { dictionary: Vector; chunks: number }>,
): Generator<OutgoingFlightData> {
  for (const [oldId, dictionary] of batch.dictionaries) {
    const ids = newIds.get(oldId);
    if (!ids) throw new FlightError(Code.INTERNAL, `record batch has dictionary ${oldId}, which its schema does not declare`);
    const chunks = dictionary?.data ?? [];
    for (const id of ids) {
      const previous = sent.get(id);
      if (!previous || previous.dictionary.data[0] !== chunks[0]) {
        for (const [index, chunk] of chunks.entries()) yield dictionaryMessage(chunk, id, index > 0);
      } else {
        for (const chunk of chunks.slice(previous.chunks)) yield dictionaryMessage(chunk, id, true);
      }
      sent.set(id, { dictionary, chunks: chunks.length });
    }
  }
}

function batchMessage(batch: RecordBatch): OutgoingFlightData {
  const assembler = VectorAssembler.assemble(batch);
  const { body, bodyLength } = bodyOf(assembler);
  const header = new MetaRecordBatch(
    batch.numRows,
    assembler.nodes,
    assembler.bufferRegions,
    null,
    assembler.variadicBufferCounts,
    batch.metadata,
  );
  return { dataHeader: Message.encode(Message.from(header, bodyLength)), body, bodyLength };
}

function schemaData(renumbered: Renumbered): OutgoingFlightData {
  return { dataHeader: schemaToFlatbuffer(renumbered.schema), body: [], bodyLength: 0 };
}

/**
 * The FlightData of a Table or of record batches sharing one schema: the Schema message (empty
 * body), then each batch preceded by the dictionary batches it needs. Dictionaries are numbered
 * 0..n-1 in depth-first field order, as Arrow C++ writes them, whatever ids apache-arrow gave them,
 * so that puts of separately built tables append to one dataset.
 */
export function* encodeTable<T extends TypeMap>(source: Table<T> | Iterable<RecordBatch<T>>): Generator<OutgoingFlightData> {
  let renumbered = source instanceof Table ? renumberDictionaries(source.schema) : undefined;
  const batches = source instanceof Table ? source.batches : source;
  if (renumbered) yield schemaData(renumbered);
  const sent = new Map<number, { dictionary: Vector; chunks: number }>();
  for (const batch of batches) {
    if (!renumbered) {
      renumbered = renumberDictionaries(batch.schema);
      yield schemaData(renumbered);
    } else if (!compareSchemas(renumbered.original, batch.schema)) {
      throw invalid('every record batch must have the schema of the first one');
    }
    yield* dictionaryMessages(batch, renumbered.newIds, sent);
    yield batchMessage(batch);
  }
  if (!renumbered) throw invalid('cannot encode an empty sequence of record batches: there is no schema to send');
}
