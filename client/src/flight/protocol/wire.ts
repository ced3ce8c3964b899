/**
 * A minimal protobuf wire-format reader and writer: just what the Flight messages need. Malformed
 * input always surfaces as FlightError(INVALID_ARGUMENT) naming the message and byte offset, never as
 * a RangeError from a typed array.
 */
import { Code, FlightError } from '../errors.js';

/** Protobuf wire types used by Flight (groups, 3 and 4, are rejected as malformed). */
export const WireType = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;

const TWO_32 = 2 ** 32;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

// ignoreBOM keeps a leading U+FEFF as part of the string instead of silently dropping it.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

/** Decodes UTF-8, rejecting invalid sequences with INVALID_ARGUMENT instead of replacing them. */
export function decodeUtf8Strict(bytes: Uint8Array, what = 'string field'): string {
  // Short ASCII strings (paths, URIs, action names) skip TextDecoder's fixed per-call cost.
  if (bytes.length <= 64 && isAscii(bytes)) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  try {
    return utf8Decoder.decode(bytes);
  } catch (err) {
    throw new FlightError(Code.INVALID_ARGUMENT, `${what} is not valid UTF-8`, { cause: err });
  }
}

// Hand-rolled rather than TextEncoder.encodeInto so short strings cost no subarray allocation.
function putUtf8(buf: Uint8Array, pos: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[pos++] = c;
      continue;
    }
    if (c < 0x800) {
      buf[pos++] = 0xc0 | (c >> 6);
      buf[pos++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        buf[pos++] = 0xf0 | (c >> 18);
        buf[pos++] = 0x80 | ((c >> 12) & 0x3f);
        buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
        buf[pos++] = 0x80 | (c & 0x3f);
        continue;
      }
      c = 0xfffd;
    }
    buf[pos++] = 0xe0 | (c >> 12);
    buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
    buf[pos++] = 0x80 | (c & 0x3f);
  }
  return pos;
}

/** Number of bytes the varint encoding of a non-negative integer (at most 2^53) takes. */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Writes the varint of a non-negative integer (at most 2^53) at `pos`; returns the position after it. */
export function putVarint(buf: Uint8Array, pos: number, n: number): number {
  while (n >= 128) {
    buf[pos++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** Reads protobuf fields from a byte range. Byte and string values alias the input. */
export class WireReader {
  /** Next byte to read. */
  pos: number;
  /** End of the message (or nested message) being read. */
  limit: number;
  // Low and high 32 bits of the last varint read; fields rather than a returned object, so reads allocate nothing.
  private lo = 0;
  private hi = 0;
  private view: DataView | undefined;

  /** `what` names the message in error messages, e.g. "FlightInfo". */
  constructor(
    readonly buf: Uint8Array,
    readonly what: string,
  ) {
    this.pos = 0;
    this.limit = buf.length;
  }

  /** True when the current (nested) message has no bytes left. */
  done(): boolean {
    return this.pos >= this.limit;
  }

  /** A FlightError(INVALID_ARGUMENT) describing malformed input at the current position. */
  error(detail: string): FlightError {
    return new FlightError(Code.INVALID_ARGUMENT, `malformed ${this.what}: ${detail} at byte ${this.pos}`);
  }

  /** Reads a tag (field number * 8 + wire type), rejecting field 0 and unsupported wire types. */
  tag(): number {
    const start = this.pos;
    const tag = this.number();
    const wireType = tag % 8;
    if (tag > 0xffffffff || tag < 8) {
      this.pos = start;
      throw this.error(`invalid tag ${tag}`);
    }
    if (wireType !== 0 && wireType !== 1 && wireType !== 2 && wireType !== 5) {
      this.pos = start;
      throw this.error(`unsupported wire type ${wireType} for field ${Math.floor(tag / 8)}`);
    }
    return tag;
  }

  /** Reads a varint as a number (exact up to 2^53; larger values only need to compare as too large). */
  number(): number {
    this.varint();
    return this.hi * TWO_32 + this.lo;
  }

  /** Reads an int32 or enum varint (low 32 bits, signed). */
  int32(): number {
    this.varint();
    return this.lo | 0;
  }

  /** Reads a uint64 varint. */
  uint64(): bigint {
    this.varint();
    return this.hi === 0 ? BigInt(this.lo) : (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** Reads an int64 varint (two's complement, so -1 is ten bytes). */
  int64(): bigint {
    return BigInt.asIntN(64, this.uint64());
  }

  /** Reads a bool varint: any non-zero value is true. */
  bool(): boolean {
    this.varint();
    return (this.lo | this.hi) !== 0;
  }

  /** Reads a little-endian double (wire type I64). */
  double(): number {
    this.need(8);
    this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    const value = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return value;
  }

  /** Reads a length prefix and checks it fits in the current message. */
  length(): number {
    const len = this.number();
    if (len > this.limit - this.pos) throw this.error(`length ${len} exceeds the ${this.limit - this.pos} remaining bytes`);
    return len;
  }

  /** Reads a length-delimited bytes value as a view onto the input (no copy). */
  bytes(): Uint8Array {
    const len = this.length();
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  /** Reads a length-delimited UTF-8 string; `field` (e.g. "Location.uri") names it if it is invalid. */
  string(field: string): string {
    return decodeUtf8Strict(this.bytes(), field);
  }

  /** Narrows the limit to a nested message of the length just read; returns the limit to restore. */
  enter(): number {
    const len = this.length();
    const outer = this.limit;
    this.limit = this.pos + len;
    return outer;
  }

  /** Restores the limit saved by enter(), after the nested message was read to its end. */
  leave(outer: number): void {
    this.limit = outer;
  }

  /** Skips a field value of the given wire type (unknown fields, or known fields with a mismatched type). */
  skip(wireType: number): void {
    switch (wireType) {
      case WireType.VARINT:
        this.varint();
        return;
      case WireType.I64:
        this.need(8);
        this.pos += 8;
        return;
      case WireType.LEN: {
        const len = this.length(); // before reading pos: length() advances it
        this.pos += len;
        return;
      }
      case WireType.I32:
        this.need(4);
        this.pos += 4;
        return;
      default:
        throw this.error(`unsupported wire type ${wireType}`);
    }
  }

  private need(n: number): void {
    if (this.limit - this.pos < n) throw this.error(`truncated: needs ${n} bytes, ${this.limit - this.pos} left`);
  }

  // Byte k carries bits 7k..7k+6: bytes 0-3 fill lo, byte 4 straddles, bytes 5-9 fill hi; bits past 64 drop, as in protobuf.
  private varint(): void {
    const buf = this.buf;
    let pos = this.pos;
    if (pos < this.limit && buf[pos]! < 128) {
      this.lo = buf[pos]!;
      this.hi = 0;
      this.pos = pos + 1;
      return;
    }
    let lo = 0;
    let hi = 0;
    for (let k = 0; k < 10; k++) {
      if (pos >= this.limit) throw this.error('truncated varint');
      const b = buf[pos++]!;
      if (k < 4) lo |= (b & 0x7f) << (7 * k);
      else if (k === 4) {
        lo |= (b & 0x0f) << 28;
        hi = (b & 0x7f) >>> 4;
      } else if (k < 9) hi |= (b & 0x7f) << (7 * k - 32);
      else hi |= (b & 0x01) << 31;
      if (b < 128) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        this.pos = pos;
        return;
      }
    }
    throw this.error('varint longer than 10 bytes');
  }
}

/** A mark returned by WireWriter.fork(), passed back to join(). */
export type ForkMark = number;

/** Writes protobuf fields into one growable buffer; reuse it across messages with finish(). */
export class WireWriter {
  /** Output so far is buf[0, pos). */
  buf: Uint8Array;
  pos = 0;
  private view: DataView;

  /** Starts with `capacity` bytes; grows by doubling. */
  constructor(private readonly capacity = 256) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  /** Copies out the bytes written and resets the writer (dropping a buffer grown past 1 MiB). */
  finish(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    this.pos = 0;
    if (this.buf.length > 1 << 20) this.replace(new Uint8Array(this.capacity));
    return out;
  }

  /** Writes a tag for `field` with `wireType`. */
  tag(field: number, wireType: number): void {
    this.uint(field * 8 + wireType);
  }

  /** Writes a non-negative integer (at most 2^53) as a varint. */
  uint(n: number): void {
    this.ensure(8);
    this.pos = putVarint(this.buf, this.pos, n);
  }

  /** Writes an int32 or enum; negative values are sign-extended to ten bytes, as protobuf does. */
  int32(n: number): void {
    if (n >= 0) this.uint(n);
    else this.split64(n >>> 0, 0xffffffff);
  }

  /** Writes a uint64; INTERNAL if the value is out of range (a bug in the caller, not bad input). */
  uint64(v: bigint, field: string): void {
    if (v < 0n || v > UINT64_MAX) throw new FlightError(Code.INTERNAL, `${field}: ${v} is outside the uint64 range`);
    if (v <= 0xffffffffn) this.uint(Number(v));
    else this.split64(Number(v & 0xffffffffn), Number(v >> 32n));
  }

  /** Writes an int64 in two's complement (-1 takes ten bytes); INTERNAL if out of range. */
  int64(v: bigint, field: string): void {
    if (v < INT64_MIN || v > INT64_MAX) throw new FlightError(Code.INTERNAL, `${field}: ${v} is outside the int64 range`);
    this.uint64(BigInt.asUintN(64, v), field);
  }

  /** Writes a bool varint. */
  bool(b: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = b ? 1 : 0;
  }

  /** Writes a little-endian double. */
  double(x: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, x, true);
    this.pos += 8;
  }

  /** Writes a length-prefixed byte string. */
  bytes(b: Uint8Array): void {
    this.ensure(10 + b.length);
    this.pos = putVarint(this.buf, this.pos, b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Writes a length-prefixed UTF-8 string (lone surrogates become U+FFFD, as TextEncoder writes them). */
  string(s: string): void {
    const mark = this.fork();
    // UTF-8 never needs more than 3 bytes per UTF-16 code unit.
    this.ensure(s.length * 3);
    this.pos = putUtf8(this.buf, this.pos, s);
    this.join(mark);
  }

  /** Starts a length-delimited value whose length is not known yet (a nested message). */
  fork(): ForkMark {
    this.ensure(1);
    return this.pos++;
  }

  /** Ends the value started by fork(): writes its length, moving the content if it needs more than one byte. */
  join(mark: ForkMark): void {
    const len = this.pos - mark - 1;
    const size = varintSize(len);
    if (size > 1) {
      this.ensure(size - 1);
      this.buf.copyWithin(mark + size, mark + 1, this.pos);
      this.pos += size - 1;
    }
    putVarint(this.buf, mark, len);
  }

  private split64(lo: number, hi: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    while (hi > 0 || lo >= 128) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[pos++] = lo;
    this.pos = pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.pos));
    this.replace(grown);
  }

  private replace(buf: Uint8Array): void {
    this.buf = buf;
    this.view = new DataView(buf.buffer);
  }
}
