/**
 * Zero-copy FlightData codec, as Arrow C++ does it. Sending: one small head buffer (tags, lengths,
 * descriptor, data_header, app_metadata, the data_body tag and length) followed by the body chunks
 * as they are. Receiving: an incremental sink that parses fields as slices arrive and copies the body
 * exactly once, straight into memory from a pluggable allocator (aligned, so Arrow reads views on it).
 */
import { Code, FlightError } from '../errors.js';
import type { MessageSink, RequestBuffer, RequestMemory } from '../grpc/method.js';
import { decodeFlightDescriptor, encodeFlightDescriptor } from './codec.js';
import type { FlightData, OutgoingFlightData } from './messages.js';
import { putVarint, varintSize } from './wire.js';

/**
 * Returns writable memory of exactly `bodyLength` bytes, starting 8-byte aligned, that the body of the
 * FlightData being received is copied into. `dataHeader` is the data_header received so far (empty if
 * the sender put data_body first) and is the message's data_header once decoded: the sink refuses a
 * later, different data_header, so memory laid out for this header always gets it.
 * May throw a FlightError (e.g. RESOURCE_EXHAUSTED) to refuse the message.
 */
export type BodyAllocator = (dataHeader: Uint8Array, bodyLength: number) => Uint8Array;

/** Allocates a fresh ArrayBuffer per body (V8 backing stores start at least 8-byte aligned). */
export const defaultBodyAllocator: BodyAllocator = (_dataHeader, bodyLength) => {
  try {
    // Not zero-filled (the sink overwrites every byte before handing the body out) and never pooled,
    // so the view starts at offset 0 of its own backing store. A plain Uint8Array, not a Buffer.
    return new Uint8Array(Buffer.allocUnsafeSlow(bodyLength).buffer, 0, bodyLength);
  } catch (err) {
    throw new FlightError(Code.RESOURCE_EXHAUSTED, `cannot allocate ${bodyLength} bytes for a FlightData body`, { cause: err });
  }
};

const EMPTY: Uint8Array = new Uint8Array(0);

// Tags (field * 8 + wire type 2): flight_descriptor 1, data_header 2, app_metadata 3, data_body 1000.
const TAG_DESCRIPTOR = 0x0a;
const TAG_HEADER = 0x12;
const TAG_METADATA = 0x1a;
const TAG_BODY = 1000 * 8 + 2; // varint bytes 0xC2 0x3E

/** Total byte length of a message given as chunks (e.g. for the gRPC length prefix). */
export function flightDataLength(chunks: readonly Uint8Array[]): number {
  let n = 0;
  for (const c of chunks) n += c.length;
  return n;
}

function fieldSize(len: number): number {
  return 1 + varintSize(len) + len;
}

function putField(head: Uint8Array, pos: number, tag: number, value: Uint8Array): number {
  head[pos++] = tag;
  pos = putVarint(head, pos, value.length);
  head.set(value, pos);
  return pos + value.length;
}

/**
 * Encodes a FlightData as [head, ...fd.body]: the body chunks are returned as they are, never copied.
 * data_body is omitted when bodyLength is 0. INTERNAL if bodyLength differs from the chunks' total.
 */
export function encodeFlightData(fd: OutgoingFlightData): Uint8Array[] {
  const bodyLength = flightDataLength(fd.body);
  if (bodyLength !== fd.bodyLength) {
    throw new FlightError(Code.INTERNAL, `FlightData bodyLength ${fd.bodyLength} differs from its ${fd.body.length} chunks' ${bodyLength} bytes`);
  }
  const descriptor = fd.flightDescriptor === undefined ? undefined : encodeFlightDescriptor(fd.flightDescriptor);
  const header = fd.dataHeader;
  const metadata = fd.appMetadata ?? EMPTY;
  let size = 0;
  if (descriptor !== undefined) size += fieldSize(descriptor.length);
  if (header.length > 0) size += fieldSize(header.length);
  if (metadata.length > 0) size += fieldSize(metadata.length);
  if (bodyLength > 0) size += 2 + varintSize(bodyLength);
  // Every byte is written below; small sizes come from Node's pool, so this is cheap per batch.
  const head = Buffer.allocUnsafe(size);
  let pos = 0;
  if (descriptor !== undefined) pos = putField(head, pos, TAG_DESCRIPTOR, descriptor);
  if (header.length > 0) pos = putField(head, pos, TAG_HEADER, header);
  if (metadata.length > 0) pos = putField(head, pos, TAG_METADATA, metadata);
  if (bodyLength > 0) putVarint(head, putVarint(head, pos, TAG_BODY), bodyLength);
  const out: Uint8Array[] = [head];
  for (const c of fd.body) out.push(c);
  return out;
}

// Sink states: what the next byte belongs to.
const AT_TAG = 0;
const AT_LENGTH = 1;
const IN_VARINT = 2; // an unknown varint field's value
const IN_SKIP = 3; // an unknown field's bytes
const IN_FIELD = 4; // a small field being copied into `target`
const IN_BODY = 5;

/**
 * Decodes one FlightData message from consecutive slices (begin / push* / end), parsing fields as they
 * arrive: data_header, app_metadata and flight_descriptor are copied into small buffers the result
 * owns; data_body is copied once, into memory from `allocate`, as soon as its tag and length are seen.
 * Protobuf lets a non-repeated field repeat (the last one wins): data_header may repeat before the
 * body, but after the body only byte for byte, since the body was allocated for the earlier one.
 * A sink can decode several messages one after another (begin resets it).
 */
export class FlightDataSink implements MessageSink<FlightData> {
  private total = 0;
  private received = 0;
  private state = AT_TAG;
  private varValue = 0;
  private varScale = 1;
  private varBytes = 0;
  private fieldTag = 0;
  private left = 0;
  private target = EMPTY;
  private filled = 0;
  private header = EMPTY;
  private metadata = EMPTY;
  private descriptor: Uint8Array | undefined;
  private body: Uint8Array | undefined;
  /** The data_header the body's memory was allocated for, once it was. */
  private bodyHeader: Uint8Array | undefined;
  /** Charged buffers of the small fields of the message being received. */
  private charged: RequestBuffer[] = [];

  /**
   * `maxMessageBytes` bounds the whole protobuf message (RESOURCE_EXHAUSTED past it). With `memory`,
   * the small fields are received into charged memory, charged until the message is decoded.
   */
  constructor(
    private readonly allocate: BodyAllocator = defaultBodyAllocator,
    private readonly maxMessageBytes = 2 ** 31,
    private readonly memory?: RequestMemory,
  ) {}

  /** Starts a message of `length` bytes. */
  begin(length: number): void {
    if (!Number.isSafeInteger(length) || length < 0) throw new FlightError(Code.INTERNAL, `invalid FlightData message length ${length}`);
    if (length > this.maxMessageBytes) {
      throw new FlightError(Code.RESOURCE_EXHAUSTED, `FlightData message of ${length} bytes exceeds the limit of ${this.maxMessageBytes} bytes`);
    }
    this.total = length;
    this.received = 0;
    this.state = AT_TAG;
    this.varValue = 0;
    this.varScale = 1;
    this.varBytes = 0;
    this.left = 0;
    this.target = EMPTY;
    this.header = EMPTY;
    this.metadata = EMPTY;
    this.descriptor = undefined;
    this.body = undefined;
    this.bodyHeader = undefined;
    this.discard();
  }

  /** Ends the charge of the small fields; they stay readable. */
  discard(): void {
    for (const buffer of this.charged) buffer.release();
    this.charged = [];
  }

  /** Parses the next slice; keeps no reference to it. */
  push(slice: Uint8Array): void {
    const n = slice.length;
    const base = this.received;
    if (n > this.total - base) {
      throw new FlightError(Code.INTERNAL, `FlightData sink got ${base + n} bytes of a ${this.total}-byte message`);
    }
    let i = 0;
    while (i < n) {
      const state = this.state;
      if (state === IN_BODY || state === IN_FIELD || state === IN_SKIP) {
        const take = Math.min(this.left, n - i);
        if (state !== IN_SKIP) this.target.set(slice.subarray(i, i + take), this.filled);
        this.filled += take;
        this.left -= take;
        i += take;
        if (this.left === 0) this.fieldDone(base + i);
        continue;
      }
      const b = slice[i++]!;
      this.varValue += (b & 0x7f) * this.varScale;
      this.varScale *= 128;
      this.varBytes++;
      if (b >= 128) {
        if (this.varBytes === 10) throw this.malformed('varint longer than 10 bytes', base + i);
        continue;
      }
      const value = this.varValue;
      this.varValue = 0;
      this.varScale = 1;
      this.varBytes = 0;
      if (state === AT_TAG) this.onTag(value, base + i);
      else if (state === AT_LENGTH) this.onLength(value, base + i);
      else this.state = AT_TAG;
    }
    this.received = base + n;
  }

  /** Finishes the message: INVALID_ARGUMENT if it stopped inside a field. */
  end(): FlightData {
    try {
      return this.finish();
    } finally {
      this.discard();
    }
  }

  private finish(): FlightData {
    if (this.received < this.total) throw this.malformed(`truncated: got ${this.received} of ${this.total} bytes`, this.received);
    if (this.state !== AT_TAG || this.varBytes > 0) throw this.malformed(`truncated inside ${this.describeState()}`, this.received);
    const fd: FlightData = {
      dataHeader: this.header,
      appMetadata: this.metadata,
      dataBody: this.body ?? EMPTY,
    };
    if (this.descriptor !== undefined) fd.flightDescriptor = decodeFlightDescriptor(this.descriptor);
    return fd;
  }

  private onTag(tag: number, offset: number): void {
    if (tag > 0xffffffff || tag < 8) throw this.malformed(`invalid tag ${tag}`, offset);
    const wireType = tag % 8;
    this.fieldTag = tag;
    if (wireType === 0) this.state = IN_VARINT;
    else if (wireType === 2) this.state = AT_LENGTH;
    else if (wireType === 1 || wireType === 5) this.startField(IN_SKIP, EMPTY, wireType === 1 ? 8 : 4, offset);
    else throw this.malformed(`unsupported wire type ${wireType} for field ${Math.floor(tag / 8)}`, offset);
  }

  private onLength(len: number, offset: number): void {
    const remaining = this.total - offset;
    if (len > remaining) {
      throw this.malformed(`field ${Math.floor(this.fieldTag / 8)} length ${len} exceeds the ${remaining} bytes left`, offset);
    }
    switch (this.fieldTag) {
      case TAG_BODY:
        if (this.body !== undefined) throw this.malformed('more than one data_body field', offset);
        this.startField(IN_BODY, len === 0 ? EMPTY : this.allocateBody(len), len, offset);
        return;
      case TAG_HEADER:
      case TAG_METADATA:
      case TAG_DESCRIPTOR:
        this.startField(IN_FIELD, len === 0 ? EMPTY : this.allocateSmall(len), len, offset);
        return;
      default:
        this.startField(IN_SKIP, EMPTY, len, offset);
    }
  }

  /** Starts a field of `len` bytes whose first byte is at `offset`. */
  private startField(state: number, target: Uint8Array, len: number, offset: number): void {
    this.state = state;
    this.target = target;
    this.filled = 0;
    this.left = len;
    if (len === 0) this.fieldDone(offset);
  }

  /** Takes the field that ended at `offset`. */
  private fieldDone(offset: number): void {
    if (this.state === IN_BODY) this.body = this.target;
    else if (this.state === IN_FIELD) {
      if (this.fieldTag === TAG_HEADER) this.setHeader(this.target, offset);
      else if (this.fieldTag === TAG_METADATA) this.metadata = this.target;
      // A repeated message field merges; concatenated protobuf encodings decode as that merge.
      else this.descriptor = this.descriptor === undefined ? this.target : this.concat(this.descriptor, this.target);
    }
    this.state = AT_TAG;
    this.target = EMPTY;
  }

  /** Takes a data_header field: the last one wins, unless the body was already allocated for another. */
  private setHeader(header: Uint8Array, offset: number): void {
    if (this.bodyHeader !== undefined && !sameBytes(header, this.bodyHeader)) {
      const why =
        this.bodyHeader.length === 0
          ? 'a data_header after data_body (send data_header first: the body is stored with its header)'
          : 'a second data_header after data_body that differs from the one before it (the body is stored with the first)';
      throw this.malformed(why, offset);
    }
    this.header = header;
  }

  private allocateBody(len: number): Uint8Array {
    let target: Uint8Array;
    this.bodyHeader = this.header;
    try {
      target = this.allocate(this.header, len);
    } catch (err) {
      throw FlightError.from(err, Code.INTERNAL);
    }
    if (target.length !== len || target.byteOffset % 8 !== 0) {
      throw new FlightError(Code.INTERNAL, `body allocator returned ${target.length} bytes at offset ${target.byteOffset} for an aligned ${len}-byte body`);
    }
    return target;
  }

  /** Memory for a small field: charged when the sink has a budget. */
  private allocateSmall(len: number): Uint8Array {
    if (this.memory) {
      const buffer = this.memory(len);
      this.charged.push(buffer);
      return buffer.bytes;
    }
    try {
      return new Uint8Array(len);
    } catch (err) {
      throw new FlightError(Code.RESOURCE_EXHAUSTED, `cannot allocate ${len} bytes for a FlightData field`, { cause: err });
    }
  }

  private concat(a: Uint8Array, b: Uint8Array): Uint8Array {
    const out = this.allocateSmall(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  }

  private describeState(): string {
    switch (this.state) {
      case AT_TAG:
        return 'a tag';
      case AT_LENGTH:
        return `the length of field ${Math.floor(this.fieldTag / 8)}`;
      case IN_VARINT:
        return `the varint of field ${Math.floor(this.fieldTag / 8)}`;
      default:
        return `field ${Math.floor(this.fieldTag / 8)} (${this.left} bytes missing)`;
    }
  }

  private malformed(detail: string, offset: number): FlightError {
    return new FlightError(Code.INVALID_ARGUMENT, `malformed FlightData: ${detail} at byte ${offset}`);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}


/** Decodes a FlightData held in one buffer; the body is still copied once into `allocate`'s memory. */
export function decodeFlightData(bytes: Uint8Array, allocate: BodyAllocator = defaultBodyAllocator): FlightData {
  const sink = new FlightDataSink(allocate);
  sink.begin(bytes.length);
  sink.push(bytes);
  return sink.end();
}
