/**
 * Protobuf encode/decode for the Flight messages other than FlightData (see flight-data.ts), with
 * proto3 semantics: default values are omitted on encode and absent fields decode to defaults.
 * Decoded byte fields are views that alias the input buffer (no copy): copy them to keep them past
 * the buffer's lifetime. Unknown fields, and known fields with an unexpected wire type, are skipped;
 * a singular message field that appears twice is merged, as protobuf does.
 */
import {
  DescriptorType,
  type Action,
  type ActionType,
  type Criteria,
  type Empty,
  type FlightDescriptor,
  type FlightEndpoint,
  type FlightInfo,
  type HandshakeRequest,
  type HandshakeResponse,
  type Location,
  type PollInfo,
  type PutResult,
  type Result,
  type SchemaResult,
  type Ticket,
  type Timestamp,
} from './messages.js';
import { WireReader, WireType, WireWriter } from './wire.js';

export { decodeUtf8Strict } from './wire.js';

const { VARINT, I64, LEN } = WireType;
const EMPTY: Uint8Array = new Uint8Array(0);

// One writer shared by every encode: encoding is synchronous and calls no user code, so it never nests.
const writer = new WireWriter(1024);

function encodeWith<T>(write: (w: WireWriter, m: T) => void, msg: T): Uint8Array {
  try {
    write(writer, msg);
    return writer.finish();
  } finally {
    writer.pos = 0;
  }
}

function nested<T>(w: WireWriter, field: number, msg: T, write: (w: WireWriter, m: T) => void): void {
  w.tag(field, LEN);
  const mark = w.fork();
  write(w, msg);
  w.join(mark);
}

function bytesField(w: WireWriter, field: number, b: Uint8Array | undefined): void {
  if (b === undefined || b.length === 0) return;
  w.tag(field, LEN);
  w.bytes(b);
}

function stringField(w: WireWriter, field: number, s: string): void {
  if (s.length === 0) return;
  w.tag(field, LEN);
  w.string(s);
}

/** Reads a nested message of the length just read into `into` (merging, as protobuf does). */
function readNested<T>(r: WireReader, into: T, read: (r: WireReader, m: T) => T): T {
  const outer = r.enter();
  read(r, into);
  r.leave(outer);
  return into;
}

// Tags as field * 8 + wire type, for switch cases.
const tag = (field: number, wireType: number): number => field * 8 + wireType;
const F1_VARINT = tag(1, VARINT);
const F2_VARINT = tag(2, VARINT);
const F4_VARINT = tag(4, VARINT);
const F5_VARINT = tag(5, VARINT);
const F6_VARINT = tag(6, VARINT);
const F3_I64 = tag(3, I64);
const F1_LEN = tag(1, LEN);
const F2_LEN = tag(2, LEN);
const F3_LEN = tag(3, LEN);
const F4_LEN = tag(4, LEN);
const F7_LEN = tag(7, LEN);

function writeDescriptor(w: WireWriter, d: FlightDescriptor): void {
  if (d.type !== DescriptorType.UNKNOWN) {
    w.tag(1, VARINT);
    w.int32(d.type);
  }
  bytesField(w, 2, d.cmd);
  for (const p of d.path) {
    w.tag(3, LEN);
    w.string(p);
  }
}

function readDescriptor(r: WireReader, d: FlightDescriptor): FlightDescriptor {
  while (!r.done()) {
    const t = r.tag();
    if (t === F1_VARINT) d.type = r.int32(); // open enum: unknown values are kept as numbers
    else if (t === F2_LEN) d.cmd = r.bytes();
    else if (t === F3_LEN) d.path.push(r.string('FlightDescriptor.path'));
    else r.skip(t & 7);
  }
  return d;
}

const newDescriptor = (): FlightDescriptor => ({ type: DescriptorType.UNKNOWN, cmd: EMPTY, path: [] });

function writeTimestamp(w: WireWriter, ts: Timestamp): void {
  if (ts.seconds !== 0n) {
    w.tag(1, VARINT);
    w.int64(ts.seconds, 'Timestamp.seconds');
  }
  if (ts.nanos !== 0) {
    w.tag(2, VARINT);
    w.int32(ts.nanos);
  }
}

function readTimestamp(r: WireReader, ts: Timestamp): Timestamp {
  while (!r.done()) {
    const t = r.tag();
    if (t === F1_VARINT) ts.seconds = r.int64();
    else if (t === F2_VARINT) ts.nanos = r.int32();
    else r.skip(t & 7);
  }
  return ts;
}

const newTimestamp = (): Timestamp => ({ seconds: 0n, nanos: 0 });

function writeLocation(w: WireWriter, l: Location): void {
  stringField(w, 1, l.uri);
}

function readLocation(r: WireReader, l: Location): Location {
  while (!r.done()) {
    const t = r.tag();
    if (t === F1_LEN) l.uri = r.string('Location.uri');
    else r.skip(t & 7);
  }
  return l;
}

function writeTicket(w: WireWriter, t: Ticket): void {
  bytesField(w, 1, t.ticket);
}

function readTicket(r: WireReader, tk: Ticket): Ticket {
  while (!r.done()) {
    const t = r.tag();
    if (t === F1_LEN) tk.ticket = r.bytes();
    else r.skip(t & 7);
  }
  return tk;
}

function writeEndpoint(w: WireWriter, e: FlightEndpoint): void {
  if (e.ticket.ticket.length > 0) nested(w, 1, e.ticket, writeTicket);
  for (const l of e.locations) nested(w, 2, l, writeLocation);
  if (e.expirationTime !== undefined) nested(w, 3, e.expirationTime, writeTimestamp);
  bytesField(w, 4, e.appMetadata);
}

function readEndpoint(r: WireReader, e: FlightEndpoint): FlightEndpoint {
  while (!r.done()) {
    const t = r.tag();
    if (t === F1_LEN) readNested(r, e.ticket, readTicket);
    else if (t === F2_LEN) e.locations.push(readNested(r, { uri: '' }, readLocation));
    else if (t === F3_LEN) e.expirationTime = readNested(r, e.expirationTime ?? newTimestamp(), readTimestamp);
    else if (t === F4_LEN) e.appMetadata = r.bytes();
    else r.skip(t & 7);
  }
  return e;
}

const newEndpoint = (): FlightEndpoint => ({ ticket: { ticket: EMPTY }, locations: [], appMetadata: EMPTY });

function writeInfo(w: WireWriter, info: FlightInfo): void {
  bytesField(w, 1, info.schema);
  if (info.flightDescriptor !== undefined) nested(w, 2, info.flightDescriptor, writeDescriptor);
  for (const e of info.endpoints) nested(w, 3, e, writeEndpoint);
  if (info.totalRecords !== 0n) {
    w.tag(4, VARINT);
    w.int64(info.totalRecords, 'FlightInfo.total_records');
  }
  if (info.totalBytes !== 0n) {
    w.tag(5, VARINT);
    w.int64(info.totalBytes, 'FlightInfo.total_bytes');
  }
  if (info.ordered) {
    w.tag(6, VARINT);
    w.bool(true);
  }
  bytesField(w, 7, info.appMetadata);
}

function readInfo(r: WireReader, info: FlightInfo): FlightInfo {
  while (!r.done()) {
    const t = r.tag();
    if (t === F1_LEN) info.schema = r.bytes();
    else if (t === F2_LEN) info.flightDescriptor = readNested(r, info.flightDescriptor ?? newDescriptor(), readDescriptor);
    else if (t === F3_LEN) info.endpoints.push(readNested(r, newEndpoint(), readEndpoint));
    else if (t === F4_VARINT) info.totalRecords = r.int64();
    else if (t === F5_VARINT) info.totalBytes = r.int64();
    else if (t === F6_VARINT) info.ordered = r.bool();
    else if (t === F7_LEN) info.appMetadata = r.bytes();
    else r.skip(t & 7);
  }
  return info;
}

const newInfo = (): FlightInfo => ({
  schema: EMPTY,
  endpoints: [],
  totalRecords: 0n,
  totalBytes: 0n,
  ordered: false,
  appMetadata: EMPTY,
});

function writePollInfo(w: WireWriter, p: PollInfo): void {
  if (p.info !== undefined) nested(w, 1, p.info, writeInfo);
  if (p.flightDescriptor !== undefined) nested(w, 2, p.flightDescriptor, writeDescriptor);
  if (p.progress !== undefined) {
    w.tag(3, I64);
    w.double(p.progress);
  }
  if (p.expirationTime !== undefined) nested(w, 4, p.expirationTime, writeTimestamp);
}

function readPollInfo(r: WireReader, p: PollInfo): PollInfo {
  while (!r.done()) {
    const t = r.tag();
    if (t === F1_LEN) p.info = readNested(r, p.info ?? newInfo(), readInfo);
    else if (t === F2_LEN) p.flightDescriptor = readNested(r, p.flightDescriptor ?? newDescriptor(), readDescriptor);
    else if (t === F3_I64) p.progress = r.double();
    else if (t === F4_LEN) p.expirationTime = readNested(r, p.expirationTime ?? newTimestamp(), readTimestamp);
    else r.skip(t & 7);
  }
  return p;
}

// The remaining messages are flat: one reader loop per shape.

function readBytes1(r: WireReader): Uint8Array {
  let value = EMPTY;
  while (!r.done()) {
    const t = r.tag();
    if (t === F1_LEN) value = r.bytes();
    else r.skip(t & 7);
  }
  return value;
}

function writeHandshake(w: WireWriter, h: HandshakeRequest | HandshakeResponse): void {
  if (h.protocolVersion !== 0n) {
    w.tag(1, VARINT);
    w.uint64(h.protocolVersion, 'protocol_version');
  }
  bytesField(w, 2, h.payload);
}

function readHandshake(r: WireReader): HandshakeRequest {
  const h: HandshakeRequest = { protocolVersion: 0n, payload: EMPTY };
  while (!r.done()) {
    const t = r.tag();
    if (t === F1_VARINT) h.protocolVersion = r.uint64();
    else if (t === F2_LEN) h.payload = r.bytes();
    else r.skip(t & 7);
  }
  return h;
}

/** Encodes a FlightDescriptor. */
export const encodeFlightDescriptor = (m: FlightDescriptor): Uint8Array => encodeWith(writeDescriptor, m);
/** Decodes a FlightDescriptor (cmd aliases the input). */
export const decodeFlightDescriptor = (b: Uint8Array): FlightDescriptor =>
  readDescriptor(new WireReader(b, 'FlightDescriptor'), newDescriptor());

/** Encodes a Location. */
export const encodeLocation = (m: Location): Uint8Array => encodeWith(writeLocation, m);
/** Decodes a Location. */
export const decodeLocation = (b: Uint8Array): Location => readLocation(new WireReader(b, 'Location'), { uri: '' });

/** Encodes a Ticket. */
export const encodeTicket = (m: Ticket): Uint8Array => encodeWith(writeTicket, m);
/** Decodes a Ticket (the ticket bytes alias the input). */
export const decodeTicket = (b: Uint8Array): Ticket => ({ ticket: readBytes1(new WireReader(b, 'Ticket')) });

/** Encodes a google.protobuf.Timestamp. */
export const encodeTimestamp = (m: Timestamp): Uint8Array => encodeWith(writeTimestamp, m);
/** Decodes a google.protobuf.Timestamp. */
export const decodeTimestamp = (b: Uint8Array): Timestamp => readTimestamp(new WireReader(b, 'Timestamp'), newTimestamp());

/** Encodes a FlightEndpoint. */
export const encodeFlightEndpoint = (m: FlightEndpoint): Uint8Array => encodeWith(writeEndpoint, m);
/** Decodes a FlightEndpoint (byte fields alias the input). */
export const decodeFlightEndpoint = (b: Uint8Array): FlightEndpoint =>
  readEndpoint(new WireReader(b, 'FlightEndpoint'), newEndpoint());

/** Encodes a FlightInfo (total_records/total_bytes of -1 take ten bytes each, as int64 does). */
export const encodeFlightInfo = (m: FlightInfo): Uint8Array => encodeWith(writeInfo, m);
/** Decodes a FlightInfo (byte fields alias the input). */
export const decodeFlightInfo = (b: Uint8Array): FlightInfo => readInfo(new WireReader(b, 'FlightInfo'), newInfo());

/** Encodes a PollInfo (progress is written whenever defined, since the field is `optional`). */
export const encodePollInfo = (m: PollInfo): Uint8Array => encodeWith(writePollInfo, m);
/** Decodes a PollInfo (byte fields alias the input). */
export const decodePollInfo = (b: Uint8Array): PollInfo => readPollInfo(new WireReader(b, 'PollInfo'), {});

/** Encodes a SchemaResult. */
export const encodeSchemaResult = (m: SchemaResult): Uint8Array => encodeWith((w, x: SchemaResult) => bytesField(w, 1, x.schema), m);
/** Decodes a SchemaResult (the schema aliases the input). */
export const decodeSchemaResult = (b: Uint8Array): SchemaResult => ({ schema: readBytes1(new WireReader(b, 'SchemaResult')) });

/** Encodes a Criteria. */
export const encodeCriteria = (m: Criteria): Uint8Array => encodeWith((w, x: Criteria) => bytesField(w, 1, x.expression), m);
/** Decodes a Criteria (the expression aliases the input). */
export const decodeCriteria = (b: Uint8Array): Criteria => ({ expression: readBytes1(new WireReader(b, 'Criteria')) });

/** Encodes a Result. */
export const encodeResult = (m: Result): Uint8Array => encodeWith((w, x: Result) => bytesField(w, 1, x.body), m);
/** Decodes a Result (the body aliases the input). */
export const decodeResult = (b: Uint8Array): Result => ({ body: readBytes1(new WireReader(b, 'Result')) });

/** Encodes a PutResult. */
export const encodePutResult = (m: PutResult): Uint8Array => encodeWith((w, x: PutResult) => bytesField(w, 1, x.appMetadata), m);
/** Decodes a PutResult (app_metadata aliases the input). */
export const decodePutResult = (b: Uint8Array): PutResult => ({ appMetadata: readBytes1(new WireReader(b, 'PutResult')) });

/** Encodes an Action. */
export const encodeAction = (m: Action): Uint8Array =>
  encodeWith((w, x: Action) => {
    stringField(w, 1, x.type);
    bytesField(w, 2, x.body);
  }, m);
/** Decodes an Action (the body aliases the input). */
export function decodeAction(b: Uint8Array): Action {
  const r = new WireReader(b, 'Action');
  const a: Action = { type: '', body: EMPTY };
  while (!r.done()) {
    const t = r.tag();
    if (t === F1_LEN) a.type = r.string('Action.type');
    else if (t === F2_LEN) a.body = r.bytes();
    else r.skip(t & 7);
  }
  return a;
}

/** Encodes an ActionType. */
export const encodeActionType = (m: ActionType): Uint8Array =>
  encodeWith((w, x: ActionType) => {
    stringField(w, 1, x.type);
    stringField(w, 2, x.description);
  }, m);
/** Decodes an ActionType. */
export function decodeActionType(b: Uint8Array): ActionType {
  const r = new WireReader(b, 'ActionType');
  const a: ActionType = { type: '', description: '' };
  while (!r.done()) {
    const t = r.tag();
    if (t === F1_LEN) a.type = r.string('ActionType.type');
    else if (t === F2_LEN) a.description = r.string('ActionType.description');
    else r.skip(t & 7);
  }
  return a;
}

/** Encodes a HandshakeRequest. */
export const encodeHandshakeRequest = (m: HandshakeRequest): Uint8Array => encodeWith(writeHandshake, m);
/** Decodes a HandshakeRequest (the payload aliases the input). */
export const decodeHandshakeRequest = (b: Uint8Array): HandshakeRequest => readHandshake(new WireReader(b, 'HandshakeRequest'));

/** Encodes a HandshakeResponse. */
export const encodeHandshakeResponse = (m: HandshakeResponse): Uint8Array => encodeWith(writeHandshake, m);
/** Decodes a HandshakeResponse (the payload aliases the input). */
export const decodeHandshakeResponse = (b: Uint8Array): HandshakeResponse => readHandshake(new WireReader(b, 'HandshakeResponse'));

/** Encodes an Empty (always zero bytes). */
export const encodeEmpty = (_m: Empty): Uint8Array => new Uint8Array(0);
/** Decodes an Empty, still validating (and skipping) any fields present. */
export function decodeEmpty(b: Uint8Array): Empty {
  const r = new WireReader(b, 'Empty');
  while (!r.done()) r.skip(r.tag() & 7);
  return {};
}
