/**
 * Arrow IPC message framing on the server side. Everything here reads the flatbuffers through a
 * bounds-checked ByteBuffer and never decodes types with apache-arrow, so it works for every type
 * an Arrow writer may send, including ones apache-arrow JS cannot decode.
 */
import { ByteBuffer, type Encoding, type Table } from 'flatbuffers';
import { Message } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { MetadataVersion } from 'apache-arrow/fb/metadata-version';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { DictionaryBatch as FbDictionaryBatch } from 'apache-arrow/fb/dictionary-batch';
import { Schema as FbSchema } from 'apache-arrow/fb/schema';
import { Footer } from 'apache-arrow/fb/footer';
import { CompressionType } from 'apache-arrow/fb/compression-type';
import { BodyCompressionMethod } from 'apache-arrow/fb/body-compression-method';
import { Code, FlightError } from '../errors.js';

/** What a Message flatbuffer says about itself, read without decoding any Arrow type. */
export interface MessageHeaderInfo {
  kind: 'schema' | 'record_batch' | 'dictionary_batch' | 'tensor' | 'sparse_tensor' | 'none';
  bodyLength: number;
  /** Record batch length, or the dictionary batch's data length; 0 for other messages. */
  rows: number;
  dictionaryId?: bigint;
  isDelta?: boolean;
  compressed: boolean;
  /** The flatbuffer MetadataVersion value: 3 is V4, 4 is V5. */
  metadataVersion: number;
}

/** One message of an IPC stream or file: views onto the input, never copies. */
export interface IpcMessage {
  header: Uint8Array;
  body: Uint8Array;
  info: MessageHeaderInfo;
}

const CONTINUATION = 0xffffffff;
const FILE_MAGIC = 'ARROW1';
/** Nothing smaller can hold a root offset, a vtable and a table. */
const MIN_MESSAGE_BYTES = 12;

function invalid(message: string): FlightError {
  return new FlightError(Code.INVALID_ARGUMENT, message);
}

/**
 * A ByteBuffer whose every read is bounds-checked and whose offsets must point forward, so a
 * hostile flatbuffer can neither read outside its bytes nor form cycles.
 */
class CheckedByteBuffer extends ByteBuffer {
  private readonly size: number;

  constructor(bytes: Uint8Array) {
    super(bytes);
    this.size = bytes.length;
  }

  private check(offset: number, width: number): void {
    if (!(offset >= 0 && offset + width <= this.size)) {
      throw invalid(
        `malformed IPC message flatbuffer: a ${width}-byte read at offset ${offset} lies outside its ${this.size} bytes`,
      );
    }
  }

  private forward(at: number): number {
    const relative = this.readInt32(at);
    if (relative <= 0) {
      throw invalid(`malformed IPC message flatbuffer: offset ${relative} stored at ${at} does not point forward`);
    }
    return at + relative;
  }

  override readUint8(offset: number): number {
    this.check(offset, 1);
    return super.readUint8(offset);
  }

  override readUint16(offset: number): number {
    this.check(offset, 2);
    return super.readUint16(offset);
  }

  override readInt32(offset: number): number {
    this.check(offset, 4);
    return super.readInt32(offset);
  }

  override __indirect(offset: number): number {
    return this.forward(offset);
  }

  override __vector(offset: number): number {
    return this.forward(offset) + 4;
  }

  override __vector_len(offset: number): number {
    const length = this.readInt32(this.forward(offset));
    if (length < 0) throw invalid(`malformed IPC message flatbuffer: vector length ${length} at ${offset}`);
    return length;
  }

  override __union(table: Table, offset: number): Table {
    table.bb_pos = this.forward(offset);
    table.bb = this;
    return table;
  }

  override __string(offset: number, encoding?: Encoding): string | Uint8Array {
    const start = this.forward(offset);
    const length = this.readInt32(start);
    if (length < 0) throw invalid(`malformed IPC message flatbuffer: string length ${length} at ${start}`);
    this.check(start + 4, length);
    return super.__string(offset, encoding);
  }
}

/** The root Message of a flatbuffer, read through bounds-checked accessors (no copy). */
export function messageAccessor(flatbuffer: Uint8Array): Message {
  if (flatbuffer.length < MIN_MESSAGE_BYTES) {
    throw invalid(
      `malformed IPC message flatbuffer: ${flatbuffer.length} bytes is too short for a Message (at least ${MIN_MESSAGE_BYTES})`,
    );
  }
  return Message.getRootAsMessage(new CheckedByteBuffer(flatbuffer));
}

/** Converts an int64 length or offset to a number, rejecting negatives and values past 2^53. */
function safeNumber(value: bigint, what: string): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw invalid(`invalid IPC message: ${what} ${value} is out of range (0 to 2^53-1)`);
  }
  return Number(value);
}

/** Validates a RecordBatch header against its body length; returns rows and compression. */
function batchInfo(batch: FbRecordBatch, bodyLength: number, what: string): { rows: number; compressed: boolean } {
  const rows = safeNumber(batch.length(), `${what} length`);
  const nodes = batch.nodesLength();
  // Reading the last node proves the whole node vector lies inside the flatbuffer.
  if (nodes > 0) batch.nodes(nodes - 1)?.length();
  for (let i = 0, n = batch.buffersLength(); i < n; i++) {
    const buffer = batch.buffers(i);
    if (!buffer) continue;
    const offset = buffer.offset();
    const length = buffer.length();
    if (offset < 0n || length < 0n || offset + length > BigInt(bodyLength)) {
      throw invalid(
        `invalid IPC message: ${what} buffer ${i} (offset ${offset}, length ${length}) lies outside the ${bodyLength}-byte body`,
      );
    }
  }
  const compression = batch.compression();
  if (compression) {
    const codec = compression.codec();
    if (codec !== CompressionType.LZ4_FRAME && codec !== CompressionType.ZSTD) {
      throw invalid(`invalid IPC message: unknown ${what} compression codec ${codec}`);
    }
    if (compression.method() !== BodyCompressionMethod.BUFFER) {
      throw invalid(`invalid IPC message: unknown ${what} compression method ${compression.method()}`);
    }
  }
  return { rows, compressed: compression !== null };
}

/** Reads the kind, body length, row count and dictionary facts of a raw Message flatbuffer. */
export function parseMessageHeader(flatbuffer: Uint8Array): MessageHeaderInfo {
  const message = messageAccessor(flatbuffer);
  const metadataVersion = message.version();
  if (metadataVersion < MetadataVersion.V4 || metadataVersion > MetadataVersion.V5) {
    throw invalid(
      `unsupported IPC metadata version ${MetadataVersion[metadataVersion] ?? metadataVersion} (V4 and V5 are supported)`,
    );
  }
  const bodyLength = safeNumber(message.bodyLength(), 'body length');
  const base = { bodyLength, rows: 0, compressed: false, metadataVersion };
  const headerType = message.headerType();
  switch (headerType) {
    case MessageHeader.NONE:
      return { kind: 'none', ...base };
    case MessageHeader.Schema:
      if (!message.header(new FbSchema())) throw invalid('invalid IPC message: Schema message without its header');
      return { kind: 'schema', ...base };
    case MessageHeader.RecordBatch: {
      const batch = message.header(new FbRecordBatch()) as FbRecordBatch | null;
      if (!batch) throw invalid('invalid IPC message: RecordBatch message without its header');
      return { kind: 'record_batch', ...base, ...batchInfo(batch, bodyLength, 'record batch') };
    }
    case MessageHeader.DictionaryBatch: {
      const dictionary = message.header(new FbDictionaryBatch()) as FbDictionaryBatch | null;
      const data = dictionary?.data();
      if (!dictionary || !data) throw invalid('invalid IPC message: DictionaryBatch message without its data');
      const info = batchInfo(data, bodyLength, 'dictionary batch');
      return { kind: 'dictionary_batch', ...base, ...info, dictionaryId: dictionary.id(), isDelta: dictionary.isDelta() };
    }
    case MessageHeader.Tensor:
      return { kind: 'tensor', ...base };
    case MessageHeader.SparseTensor:
      return { kind: 'sparse_tensor', ...base };
    default:
      throw invalid(`invalid IPC message: unknown message header type ${headerType}`);
  }
}

function checkAlignment(alignment: number): void {
  if (!Number.isInteger(alignment) || alignment < 8 || alignment % 8 !== 0) {
    throw new FlightError(Code.INTERNAL, `IPC alignment must be a positive multiple of 8, got ${alignment}`);
  }
}

/** Bytes before an encapsulated message's body: marker, length and the flatbuffer padded to `alignment`. */
export function encapsulatedHeaderLength(flatbufferLength: number, alignment = 8): number {
  checkAlignment(alignment);
  return Math.ceil((8 + flatbufferLength) / alignment) * alignment;
}

/** Writes marker, padded length, flatbuffer and zero padding at the start of `target`; returns bytes written. */
export function writeEncapsulatedHeader(target: Uint8Array, flatbuffer: Uint8Array, alignment = 8): number {
  const total = encapsulatedHeaderLength(flatbuffer.length, alignment);
  if (target.length < total) {
    throw new FlightError(Code.INTERNAL, `encapsulated IPC header needs ${total} bytes, target has ${target.length}`);
  }
  const view = new DataView(target.buffer, target.byteOffset, 8);
  view.setUint32(0, CONTINUATION, true);
  view.setInt32(4, total - 8, true);
  target.set(flatbuffer, 8);
  target.fill(0, 8 + flatbuffer.length, total);
  return total;
}

/** An encapsulated IPC message (continuation marker, length, flatbuffer, padding) in new memory. */
export function encapsulate(flatbuffer: Uint8Array, alignment = 8): Uint8Array {
  const out = new Uint8Array(encapsulatedHeaderLength(flatbuffer.length, alignment));
  writeEncapsulatedHeader(out, flatbuffer, alignment);
  return out;
}

/**
 * Where one message's metadata starts and how long it is, after either the continuation-marker
 * prefix or the legacy bare length; null at an end-of-stream marker. `context` prefixes errors.
 */
function readPrefix(
  bytes: Uint8Array,
  offset: number,
  end: number,
  context: string,
): { start: number; length: number } | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (end - offset < 4) throw invalid(`${context}: truncated message length at offset ${offset}`);
  let start = offset + 4;
  let length = view.getInt32(offset, true);
  if (length === -1) {
    if (end - start < 4) throw invalid(`${context}: truncated message length at offset ${start}`);
    length = view.getInt32(start, true);
    start += 4;
  }
  if (length === 0) return null;
  if (length < 0 || length > end - start) {
    throw invalid(`${context}: metadata length ${length} at offset ${offset} exceeds the ${end - start} bytes left`);
  }
  return { start, length };
}

function hasMagic(bytes: Uint8Array, at: number): boolean {
  for (let i = 0; i < FILE_MAGIC.length; i++) {
    if (bytes[at + i] !== FILE_MAGIC.charCodeAt(i)) return false;
  }
  return true;
}

/** The message region of an IPC file (after magic and padding, before the footer), or null for a stream. */
function fileRegion(bytes: Uint8Array): { start: number; end: number; footer: Uint8Array } | null {
  const n = bytes.length;
  if (n < FILE_MAGIC.length || !hasMagic(bytes, 0)) return null;
  if (n < 8 + 4 + FILE_MAGIC.length || !hasMagic(bytes, n - FILE_MAGIC.length)) {
    throw invalid(`invalid Arrow IPC file: ${n} bytes without the trailing ARROW1 magic`);
  }
  const footerLength = new DataView(bytes.buffer, bytes.byteOffset + n - 10, 4).getInt32(0, true);
  const end = n - 10 - footerLength;
  if (footerLength <= 0 || end < 8) {
    throw invalid(`invalid Arrow IPC file: footer length ${footerLength} does not fit in ${n} bytes`);
  }
  return { start: 8, end, footer: bytes.subarray(end, n - 10) };
}

/**
 * A Message flatbuffer around the Schema of an IPC file footer, for files whose stream part lacks
 * the Schema message (apache-arrow JS writes them so). The footer is copied after a hand-built
 * Message table whose header offset points into the copy; flatbuffer offsets are relative, so the
 * copy stays valid, and it starts 8-byte aligned to keep the footer's own alignment.
 */
function messageFromFooterSchema(footer: Uint8Array): Uint8Array {
  const root = Footer.getRootAsFooter(new CheckedByteBuffer(footer));
  const version = root.version();
  const schema = root.schema();
  if (!schema) throw invalid('invalid Arrow IPC file: neither a Schema message nor a footer schema');
  const copyAt = 32;
  const out = new Uint8Array(copyAt + footer.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 16, true); // root offset: the Message table
  view.setUint16(4, 10, true); // vtable bytes: 4 + 3 fields
  view.setUint16(6, 12, true); // table bytes
  view.setUint16(8, 4, true); // version
  view.setUint16(10, 6, true); // header_type
  view.setUint16(12, 8, true); // header
  view.setInt32(16, 16 - 4, true); // table -> vtable
  view.setInt16(20, version, true);
  out[22] = MessageHeader.Schema;
  view.setUint32(24, copyAt + schema.bb_pos - 24, true);
  out.set(footer, copyAt);
  return out;
}

/**
 * Splits an Arrow IPC stream or file held in memory into its schema flatbuffer and the following
 * messages, in stream order, as views onto `bytes`. The one exception: a file without a Schema
 * message gets its schema from the footer, wrapped into a new Message flatbuffer.
 */
export function readIpcMessages(bytes: Uint8Array): { schema: Uint8Array; messages: IpcMessage[] } {
  const file = fileRegion(bytes);
  const region = file ?? { start: 0, end: bytes.length };
  let schema: Uint8Array | undefined;
  const messages: IpcMessage[] = [];
  let offset = region.start;
  while (offset < region.end) {
    const prefix = readPrefix(bytes, offset, region.end, 'invalid Arrow IPC data');
    if (!prefix) break;
    const header = bytes.subarray(prefix.start, prefix.start + prefix.length);
    let info: MessageHeaderInfo;
    try {
      info = parseMessageHeader(header);
    } catch (err) {
      throw invalid(`invalid Arrow IPC data: message at offset ${offset}: ${FlightError.from(err).message}`);
    }
    const bodyStart = prefix.start + prefix.length;
    if (info.bodyLength > region.end - bodyStart) {
      throw invalid(
        `invalid Arrow IPC data: body of ${info.bodyLength} bytes at offset ${bodyStart} exceeds the ${region.end - bodyStart} bytes left`,
      );
    }
    if (info.kind === 'schema') {
      if (schema !== undefined || messages.length > 0) {
        throw invalid(`invalid Arrow IPC data: unexpected schema message at offset ${offset} after other messages`);
      }
      schema = header;
    } else {
      if (schema === undefined && !file) {
        throw invalid(`invalid Arrow IPC data: first message at offset ${offset} is a ${info.kind}, not a schema`);
      }
      messages.push({ header, body: bytes.subarray(bodyStart, bodyStart + info.bodyLength), info });
    }
    offset = bodyStart + info.bodyLength;
  }
  if (schema === undefined && file) {
    try {
      schema = messageFromFooterSchema(file.footer);
      parseMessageHeader(schema);
    } catch (err) {
      throw invalid(`invalid Arrow IPC file footer: ${FlightError.from(err).message}`);
    }
  }
  if (schema === undefined) throw invalid(`invalid Arrow IPC data: no schema message in ${bytes.length} bytes`);
  return { schema, messages };
}

/** The Schema flatbuffer inside an encapsulated message (FlightInfo.schema, SchemaResult.schema), as a view. */
export function extractSchemaFromEncapsulated(bytes: Uint8Array): Uint8Array {
  const prefix = readPrefix(bytes, 0, bytes.length, 'invalid encapsulated schema');
  if (!prefix) throw invalid('invalid encapsulated schema: it is an end-of-stream marker');
  const flatbuffer = bytes.subarray(prefix.start, prefix.start + prefix.length);
  let info: MessageHeaderInfo;
  try {
    info = parseMessageHeader(flatbuffer);
  } catch (err) {
    throw invalid(`invalid encapsulated schema: ${FlightError.from(err).message}`);
  }
  if (info.kind !== 'schema') throw invalid(`invalid encapsulated schema: it holds a ${info.kind} message`);
  return flatbuffer;
}
