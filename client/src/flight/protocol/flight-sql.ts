/**
 * The arrow.flight.protocol.sql messages (format/FlightSql.proto) that flightcache speaks, and their
 * google.protobuf.Any wrapping: Flight SQL commands travel as Any in descriptor commands, tickets
 * and action bodies. Decoding reads the Any's type URL first, so one function turns any Flight SQL
 * payload into a typed message; any other message of the package decodes to
 * `{ kind: 'unsupported' }` carrying its name, for the server to refuse by name.
 */
import { Code, FlightError } from '../errors.js';
import { WireReader, WireType, WireWriter } from './wire.js';

const { VARINT, LEN } = WireType;
const EMPTY: Uint8Array = new Uint8Array(0);

/** The type URL prefix of every Flight SQL message in an Any. */
export const FLIGHT_SQL_TYPE_PREFIX = 'type.googleapis.com/arrow.flight.protocol.sql.';

/** Flight SQL messages that flightcache decodes and serves. */
export type FlightSqlMessage =
  | { kind: 'CommandStatementQuery'; query: string; transactionId?: Uint8Array }
  | { kind: 'TicketStatementQuery'; statementHandle: Uint8Array }
  | { kind: 'CommandPreparedStatementQuery'; preparedStatementHandle: Uint8Array }
  | { kind: 'CommandGetSqlInfo'; info: number[] }
  | { kind: 'CommandGetCatalogs' }
  | { kind: 'CommandGetDbSchemas'; catalog?: string; dbSchemaFilterPattern?: string }
  | {
      kind: 'CommandGetTables';
      catalog?: string;
      dbSchemaFilterPattern?: string;
      tableNameFilterPattern?: string;
      tableTypes: string[];
      includeSchema: boolean;
    }
  | { kind: 'CommandGetTableTypes' }
  | { kind: 'ActionCreatePreparedStatementRequest'; query: string; transactionId?: Uint8Array }
  | { kind: 'ActionCreatePreparedStatementResult'; preparedStatementHandle: Uint8Array; datasetSchema: Uint8Array; parameterSchema: Uint8Array }
  | { kind: 'ActionClosePreparedStatementRequest'; preparedStatementHandle: Uint8Array }
  | { kind: 'DoPutPreparedStatementResult'; preparedStatementHandle?: Uint8Array };

/** A Flight SQL message flightcache does not serve (updates, transactions, Substrait, keys, newer commands), by name. */
export interface UnsupportedFlightSqlMessage {
  kind: 'unsupported';
  /** The message name, e.g. "CommandStatementUpdate". */
  name: string;
}

type Kind = FlightSqlMessage['kind'];
type MessageOf<K extends Kind> = Extract<FlightSqlMessage, { kind: K }>;

/** The fields of a flat message, by field number. */
interface Fields {
  strings: Map<number, string>;
  repeated: Map<number, string[]>;
  bytes: Map<number, Uint8Array>;
  bools: Map<number, boolean>;
  uint32s: number[];
}

/** Which fields of a message are UTF-8 (`strings`, `repeated` for repeated ones) and which field is a repeated uint32. */
interface Layout {
  strings?: readonly number[];
  repeated?: readonly number[];
  uint32s?: number;
}

/** Reads every field of a flat message; LEN fields not named UTF-8 in `layout` are bytes. */
function readFields(r: WireReader, name: string, layout: Layout = {}): Fields {
  const fields: Fields = { strings: new Map(), repeated: new Map(), bytes: new Map(), bools: new Map(), uint32s: [] };
  while (!r.done()) {
    const t = r.tag();
    const field = Math.floor(t / 8);
    const wire = t & 7;
    if (field === layout.uint32s && wire === LEN) {
      // Packed, as proto3 writes repeated scalars by default.
      const outer = r.enter();
      while (!r.done()) fields.uint32s.push(r.number());
      r.leave(outer);
    } else if (field === layout.uint32s && wire === VARINT) fields.uint32s.push(r.number());
    else if (wire === LEN && layout.repeated?.includes(field)) {
      const list = fields.repeated.get(field) ?? [];
      list.push(r.string(`${name} field ${field}`));
      fields.repeated.set(field, list);
    } else if (wire === LEN && layout.strings?.includes(field)) fields.strings.set(field, r.string(`${name} field ${field}`));
    else if (wire === LEN) fields.bytes.set(field, r.bytes());
    else if (wire === VARINT) fields.bools.set(field, r.bool());
    else r.skip(wire);
  }
  return fields;
}

/** Decodes the value of an Any whose message name is `name`. */
function decodeValue(name: Kind, value: Uint8Array): FlightSqlMessage {
  const r = new WireReader(value, name);
  switch (name) {
    case 'CommandStatementQuery':
    case 'ActionCreatePreparedStatementRequest': {
      const f = readFields(r, name, { strings: [1] });
      const transactionId = f.bytes.get(2);
      return { kind: name, query: f.strings.get(1) ?? '', ...(transactionId ? { transactionId } : {}) };
    }
    case 'TicketStatementQuery':
      return { kind: name, statementHandle: readFields(r, name).bytes.get(1) ?? EMPTY };
    case 'CommandPreparedStatementQuery':
    case 'ActionClosePreparedStatementRequest':
      return { kind: name, preparedStatementHandle: readFields(r, name).bytes.get(1) ?? EMPTY };
    case 'DoPutPreparedStatementResult': {
      const handle = readFields(r, name).bytes.get(1);
      return { kind: name, ...(handle ? { preparedStatementHandle: handle } : {}) };
    }
    case 'CommandGetSqlInfo':
      return { kind: name, info: readFields(r, name, { uint32s: 1 }).uint32s };
    case 'CommandGetCatalogs':
    case 'CommandGetTableTypes':
      readFields(r, name);
      return { kind: name };
    case 'CommandGetDbSchemas': {
      const f = readFields(r, name, { strings: [1, 2] });
      return { kind: name, ...optionalStrings(f, { catalog: 1, dbSchemaFilterPattern: 2 }) };
    }
    case 'CommandGetTables': {
      const f = readFields(r, name, { strings: [1, 2, 3], repeated: [4] });
      return {
        kind: name,
        ...optionalStrings(f, { catalog: 1, dbSchemaFilterPattern: 2, tableNameFilterPattern: 3 }),
        tableTypes: f.repeated.get(4) ?? [],
        includeSchema: f.bools.get(5) ?? false,
      };
    }
    case 'ActionCreatePreparedStatementResult': {
      const f = readFields(r, name);
      return {
        kind: name,
        preparedStatementHandle: f.bytes.get(1) ?? EMPTY,
        datasetSchema: f.bytes.get(2) ?? EMPTY,
        parameterSchema: f.bytes.get(3) ?? EMPTY,
      };
    }
  }
}

/** The `optional string` fields present in `f`, under their property names. */
function optionalStrings<K extends string>(f: Fields, numbers: Record<K, number>): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const key of Object.keys(numbers) as K[]) {
    const value = f.strings.get(numbers[key]);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

const KINDS: readonly Kind[] = [
  'CommandStatementQuery',
  'TicketStatementQuery',
  'CommandPreparedStatementQuery',
  'CommandGetSqlInfo',
  'CommandGetCatalogs',
  'CommandGetDbSchemas',
  'CommandGetTables',
  'CommandGetTableTypes',
  'ActionCreatePreparedStatementRequest',
  'ActionCreatePreparedStatementResult',
  'ActionClosePreparedStatementRequest',
  'DoPutPreparedStatementResult',
];

/** Whether `bytes` start like an encoded Any (field 1, a length-delimited type URL) rather than a JSON command or ticket. */
export function looksLikeAny(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0] === 0x0a;
}

/**
 * Decodes a google.protobuf.Any holding a Flight SQL message. INVALID_ARGUMENT for a malformed Any
 * or a type URL outside arrow.flight.protocol.sql; unknown names of that package decode to
 * `unsupported` as well, so a newer client's command is refused by its name.
 */
export function decodeFlightSqlAny(bytes: Uint8Array): FlightSqlMessage | UnsupportedFlightSqlMessage {
  const r = new WireReader(bytes, 'google.protobuf.Any');
  let typeUrl = '';
  let value = EMPTY;
  while (!r.done()) {
    const t = r.tag();
    if (t === 1 * 8 + LEN) typeUrl = r.string('Any.type_url');
    else if (t === 2 * 8 + LEN) value = r.bytes();
    else r.skip(t & 7);
  }
  if (!typeUrl.startsWith(FLIGHT_SQL_TYPE_PREFIX)) {
    throw new FlightError(
      Code.INVALID_ARGUMENT,
      `expected a google.protobuf.Any holding an arrow.flight.protocol.sql message, got type URL ${JSON.stringify(typeUrl)}`,
    );
  }
  const name = typeUrl.slice(FLIGHT_SQL_TYPE_PREFIX.length);
  if ((KINDS as readonly string[]).includes(name)) return decodeValue(name as Kind, value);
  return { kind: 'unsupported', name };
}

/** Decodes a Flight SQL Any and checks it holds a message of kind `kind` (INVALID_ARGUMENT naming both otherwise). */
export function decodeFlightSqlAs<K extends Kind>(bytes: Uint8Array, kind: K): MessageOf<K> {
  const message = decodeFlightSqlAny(bytes);
  if (message.kind !== kind) {
    const got = message.kind === 'unsupported' ? message.name : message.kind;
    throw new FlightError(Code.INVALID_ARGUMENT, `expected a Flight SQL ${kind}, got ${got}`);
  }
  return message as MessageOf<K>;
}

function writeString(w: WireWriter, field: number, s: string | undefined): void {
  if (s === undefined) return;
  w.tag(field, LEN);
  w.string(s);
}

function writeBytes(w: WireWriter, field: number, b: Uint8Array | undefined, always = false): void {
  if (b === undefined || (b.length === 0 && !always)) return;
  w.tag(field, LEN);
  w.bytes(b);
}

/** Writes the message's own fields (the Any's value). */
function writeValue(w: WireWriter, m: FlightSqlMessage): void {
  switch (m.kind) {
    case 'CommandStatementQuery':
    case 'ActionCreatePreparedStatementRequest':
      if (m.query !== '') writeString(w, 1, m.query);
      writeBytes(w, 2, m.transactionId, true);
      return;
    case 'TicketStatementQuery':
      writeBytes(w, 1, m.statementHandle);
      return;
    case 'CommandPreparedStatementQuery':
    case 'ActionClosePreparedStatementRequest':
      writeBytes(w, 1, m.preparedStatementHandle);
      return;
    case 'DoPutPreparedStatementResult':
      writeBytes(w, 1, m.preparedStatementHandle, true);
      return;
    case 'CommandGetSqlInfo':
      if (m.info.length > 0) {
        w.tag(1, LEN);
        const mark = w.fork();
        for (const id of m.info) w.uint(id);
        w.join(mark);
      }
      return;
    case 'CommandGetCatalogs':
    case 'CommandGetTableTypes':
      return;
    case 'CommandGetDbSchemas':
      writeString(w, 1, m.catalog);
      writeString(w, 2, m.dbSchemaFilterPattern);
      return;
    case 'CommandGetTables':
      writeString(w, 1, m.catalog);
      writeString(w, 2, m.dbSchemaFilterPattern);
      writeString(w, 3, m.tableNameFilterPattern);
      for (const type of m.tableTypes) writeString(w, 4, type);
      if (m.includeSchema) {
        w.tag(5, VARINT);
        w.bool(true);
      }
      return;
    case 'ActionCreatePreparedStatementResult':
      writeBytes(w, 1, m.preparedStatementHandle);
      writeBytes(w, 2, m.datasetSchema);
      writeBytes(w, 3, m.parameterSchema);
      return;
  }
}

/** Encodes a Flight SQL message's fields alone, as DoPut's PutResult carries DoPutPreparedStatementResult. */
export function encodeFlightSqlValue(message: FlightSqlMessage): Uint8Array {
  const w = new WireWriter(128);
  writeValue(w, message);
  return w.finish();
}

/** Decodes the fields of a Flight SQL message of kind `kind` sent without an Any. */
export function decodeFlightSqlValue<K extends Kind>(kind: K, value: Uint8Array): MessageOf<K> {
  return decodeValue(kind, value) as MessageOf<K>;
}

/** Encodes a Flight SQL message wrapped in a google.protobuf.Any. */
export function encodeFlightSqlAny(message: FlightSqlMessage): Uint8Array {
  const w = new WireWriter(128);
  w.tag(1, LEN);
  w.string(FLIGHT_SQL_TYPE_PREFIX + message.kind);
  w.tag(2, LEN);
  const mark = w.fork();
  writeValue(w, message);
  w.join(mark);
  return w.finish();
}
