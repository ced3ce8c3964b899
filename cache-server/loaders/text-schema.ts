/**
 * Column types for CSV and JSON Lines given by name; JSON types inferred from the first block of
 * rows the way pyarrow's reader does (nested lists and structs; CSV cells are inferred natively,
 * csv-reader.ts). JSON rows become Arrow IPC with apache-arrow's builders.
 */
import {
  Bool, DateDay, Field, Float64, Int64, List, Null, RecordBatch, Schema, Struct, TimestampSecond, Utf8,
  makeBuilder, makeData, tableToIPC, Table, type Data, type DataType,
} from 'apache-arrow';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { chunkOfStream, type IpcChunk } from './ipc-chunk.js';

/** Type names a given schema may use. */
const NAMED: Record<string, () => DataType> = {
  null: () => new Null(),
  bool: () => new Bool(),
  int64: () => new Int64(),
  double: () => new Float64(),
  float64: () => new Float64(),
  string: () => new Utf8(),
  utf8: () => new Utf8(),
  date32: () => new DateDay(),
  'timestamp[s]': () => new TimestampSecond(),
};

/** The Arrow type of a type name; INVALID_ARGUMENT for one not supported. */
export function namedType(name: string, column: string): DataType {
  const make = NAMED[name];
  if (!make) throw new FlightError(Code.INVALID_ARGUMENT, `column "${column}": unsupported type "${name}"; supported: ${Object.keys(NAMED).join(', ')}`);
  return make();
}

/** Cells pyarrow's CSV reader reads as null (in columns that are not strings). */
export const CSV_NULLS = new Set(['', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', 'N/A', 'NA', 'NULL', 'NaN', 'n/a', 'nan', 'null']);
const TRUE = new Set(['1', 'True', 'TRUE', 'true']);
const FALSE = new Set(['0', 'False', 'FALSE', 'false']);
const INT = /^[+-]?\d+$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf|Inf|INF|infinity|Infinity)$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Up to 18 digits always fit; longer ones are checked exactly. */
const fitsInt64 = (cell: string): boolean => INT.test(cell) && (cell.length <= 18 || (BigInt(cell) >= INT64_MIN && BigInt(cell) <= INT64_MAX));
const validDate = (text: string): boolean => !Number.isNaN(Date.parse(`${text.slice(0, 10)}T00:00:00Z`));

/** A CSV cell as the builder of `type` takes it; undefined when it does not fit. */
export function csvValue(type: DataType, cell: string): unknown {
  if (type instanceof Utf8) return cell;
  if (CSV_NULLS.has(cell)) return null;
  if (type instanceof Int64) return fitsInt64(cell) ? BigInt(cell) : undefined;
  if (type instanceof Bool) return TRUE.has(cell) ? true : FALSE.has(cell) ? false : undefined;
  if (type instanceof DateDay) return DATE.test(cell) && validDate(cell) ? Date.parse(`${cell}T00:00:00Z`) : undefined;
  if (type instanceof TimestampSecond) return TIMESTAMP.test(cell) && validDate(cell) ? Date.parse(`${cell.slice(0, 10)}T${cell.slice(11)}Z`) : undefined;
  if (type instanceof Float64) return FLOAT.test(cell) ? Number(cell.replace(/^([+-]?)inf(inity)?$/i, '$1Infinity')) : undefined;
  return undefined;
}

/** The type of JSON values (pyarrow's JSON inference: ints widen to double, objects to structs of every key seen). */
export function inferJsonType(values: readonly unknown[]): DataType {
  let kind: 'null' | 'bool' | 'int' | 'double' | 'string' | 'list' | 'struct' = 'null';
  const items: unknown[] = [];
  const keys = new Map<string, unknown[]>();
  for (const value of values) {
    if (value === null || value === undefined) continue;
    const next =
      typeof value === 'boolean' ? 'bool'
      : typeof value === 'number' ? (Number.isInteger(value) ? 'int' : 'double')
      : typeof value === 'string' ? 'string'
      : Array.isArray(value) ? 'list'
      : 'struct';
    if (kind === 'null' || kind === next) kind = next;
    else if ((kind === 'int' && next === 'double') || (kind === 'double' && next === 'int')) kind = 'double';
    else throw new FlightError(Code.INVALID_ARGUMENT, `JSON values of one column mix ${kind} and ${next}`);
    if (next === 'list') items.push(...(value as unknown[]));
    if (next === 'struct') {
      for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
        if (!keys.has(key)) keys.set(key, []);
        keys.get(key)!.push(child);
      }
    }
  }
  switch (kind) {
    case 'null': return new Null();
    case 'bool': return new Bool();
    case 'int': return new Int64();
    case 'double': return new Float64();
    case 'string': return new Utf8();
    case 'list': return new List(new Field('item', inferJsonType(items), true));
    case 'struct': return new Struct([...keys].map(([key, children]) => new Field(key, inferJsonType(children), true)));
  }
}

/** A JSON value as the builder of `type` takes it; throws INVALID_ARGUMENT when it does not fit. */
export function jsonValue(type: DataType, value: unknown, column: string): unknown {
  if (value === null || value === undefined) return null;
  const bad = (): never => {
    throw new FlightError(Code.INVALID_ARGUMENT, `JSON column "${column}" is ${String(type)} but holds ${JSON.stringify(value)}`);
  };
  if (type instanceof Int64) return typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : bad();
  if (type instanceof Float64) return typeof value === 'number' ? value : bad();
  if (type instanceof Bool) return typeof value === 'boolean' ? value : bad();
  if (type instanceof Utf8) return typeof value === 'string' ? value : bad();
  if (type instanceof Null) return bad();
  if (type instanceof List) return Array.isArray(value) ? value.map((v) => jsonValue(type.children[0]!.type as DataType, v, `${column}[]`)) : bad();
  if (type instanceof Struct) {
    if (typeof value !== 'object' || Array.isArray(value)) return bad();
    const record = value as Record<string, unknown>;
    const known = new Set(type.children.map((f) => f.name));
    const extra = Object.keys(record).find((k) => !known.has(k));
    if (extra !== undefined) throw new FlightError(Code.INVALID_ARGUMENT, `JSON column "${column}" has a field "${extra}" its first rows did not have; give the schema`);
    return Object.fromEntries(type.children.map((f) => [f.name, jsonValue(f.type as DataType, record[f.name], `${column}.${f.name}`)]));
  }
  if (type instanceof DateDay || type instanceof TimestampSecond) {
    if (typeof value !== 'string') return bad();
    const parsed = csvValue(type, value);
    return parsed === undefined ? bad() : parsed;
  }
  return bad();
}

/** A column of builder-ready values (nested ones included) built with apache-arrow's builders. */
export function builtColumn(type: DataType, values: readonly unknown[]): Data {
  const builder = makeBuilder({ type, nullValues: [null, undefined] });
  for (const value of values) builder.append(value);
  return builder.finish().flush();
}

/** Encodes columns as one Arrow IPC record batch. */
export function encodeBatch(schema: Schema, children: Data[], rows: number): IpcChunk {
  const data = makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children });
  return chunkOfStream(tableToIPC(new Table(schema, new RecordBatch(schema, data)), 'stream'));
}

/** A schema of nullable fields. */
export function nullableSchema(names: readonly string[], types: readonly DataType[]): Schema {
  return new Schema(names.map((name, i) => new Field(name, types[i]!, true)));
}
