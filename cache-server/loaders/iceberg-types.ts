/**
 * Iceberg types as Arrow types (as pyiceberg reads them, with regular-size strings and binaries),
 * columns of one repeated value (an identity partition value, a column's initial default, or null),
 * and the type promotions a column may have undergone since a data file was written.
 */
import {
  Binary, Bool, DataType, DateDay, Decimal, Field, FixedSizeBinary, Float32, Float64, Int32, Int64, LargeBinary, LargeUtf8, List, Map_, Struct,
  TimeMicrosecond, TimeUnit, Timestamp, Utf8, makeData, util, vectorFromArray, type Data,
} from 'apache-arrow';
import { Code, FlightError } from '../../client/src/flight/errors.js';

/** An Iceberg type: a primitive's name, or a nested type. */
export type IcebergType =
  | string
  | { type: 'struct'; fields: IcebergField[] }
  | { type: 'list'; 'element-id': number; element: IcebergType; 'element-required': boolean }
  | { type: 'map'; 'key-id': number; key: IcebergType; 'value-id': number; value: IcebergType; 'value-required': boolean };

/** A field of an Iceberg schema. */
export interface IcebergField {
  readonly id: number;
  readonly name: string;
  readonly required: boolean;
  readonly type: IcebergType;
  /** Format v3: the value of rows written before the column was added. */
  readonly 'initial-default'?: unknown;
}

const PRIMITIVES: Record<string, () => DataType> = {
  boolean: () => new Bool(),
  int: () => new Int32(),
  long: () => new Int64(),
  float: () => new Float32(),
  double: () => new Float64(),
  date: () => new DateDay(),
  time: () => new TimeMicrosecond(),
  timestamp: () => new Timestamp(TimeUnit.MICROSECOND),
  timestamptz: () => new Timestamp(TimeUnit.MICROSECOND, 'UTC'),
  timestamp_ns: () => new Timestamp(TimeUnit.NANOSECOND),
  timestamptz_ns: () => new Timestamp(TimeUnit.NANOSECOND, 'UTC'),
  string: () => new Utf8(),
  uuid: () => new FixedSizeBinary(16),
  binary: () => new Binary(),
};

/** The Arrow type of an Iceberg type. */
export function arrowType(type: IcebergType): DataType {
  if (typeof type === 'string') {
    const decimal = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(type);
    if (decimal) return new Decimal(Number(decimal[2]), Number(decimal[1]), 128);
    const fixed = /^fixed\[(\d+)\]$/.exec(type);
    if (fixed) return new FixedSizeBinary(Number(fixed[1]));
    const make = PRIMITIVES[type];
    if (!make) throw new FlightError(Code.UNIMPLEMENTED, `Iceberg type ${type} is not supported`);
    return make();
  }
  if (type.type === 'struct') return new Struct(type.fields.map((f) => new Field(f.name, arrowType(f.type), !f.required)));
  if (type.type === 'list') return new List(new Field('element', arrowType(type.element), !type['element-required']));
  const entries = new Struct([new Field('key', arrowType(type.key), false), new Field('value', arrowType(type.value), !type['value-required'])]);
  return new Map_(new Field('key_value', entries, false));
}

/** True for struct, list and map. */
export const isNested = (type: IcebergType): boolean => typeof type !== 'string';

/** A decimal's unscaled value from its Avro bytes (big-endian two's complement) or its JSON text ("12.30"). */
function unscaled(value: unknown, scale: number): bigint {
  if (value instanceof Uint8Array) {
    let out = 0n;
    for (const byte of value) out = (out << 8n) | BigInt(byte);
    return value.length > 0 && value[0]! & 0x80 ? out - (1n << BigInt(8 * value.length)) : out;
  }
  const [whole = '0', fraction = ''] = String(value).split('.');
  const negative = whole.startsWith('-');
  const digits = BigInt(`${whole.replace('-', '')}${fraction.padEnd(scale, '0').slice(0, scale)}`);
  return negative ? -digits : digits;
}

/** Microseconds (or nanoseconds) since the epoch of a JSON timestamp text, or the Avro long as is. */
function epochTicks(value: unknown, unit: TimeUnit): bigint {
  if (typeof value === 'number' || typeof value === 'bigint') return BigInt(value);
  const text = String(value);
  const fraction = /\.(\d+)/.exec(text)?.[1] ?? '';
  const seconds = BigInt(Math.floor(Date.parse(text.replace(/\.\d+/, '') + (/[zZ]|[+-]\d\d:\d\d$/.test(text) ? '' : 'Z')) / 1000));
  const digits = unit === TimeUnit.NANOSECOND ? 9 : 6;
  return seconds * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, '0').slice(0, digits) || '0');
}

/** The bytes of a binary value: Avro bytes as they are, JSON as hex (uuid: its hex digits). */
const bytesOf = (value: unknown): Uint8Array => (value instanceof Uint8Array ? value : Buffer.from(String(value).replace(/-/g, ''), 'hex'));

/** A column of `length` rows all holding `value` (null: all null), typed `type`. */
export function constantData(type: DataType, value: unknown, length: number): Data {
  const nulls = value === null || value === undefined;
  const nullBitmap = new Uint8Array((length + 7) >> 3).fill(nulls ? 0 : 0xff);
  const base = { type, length, nullCount: nulls ? length : 0, nullBitmap } as const;
  if (nulls && !DataType.isBinary(type) && !DataType.isUtf8(type) && (type.children?.length ?? 0) > 0) {
    return vectorFromArray(new Array<null>(length).fill(null), type).data[0]!;
  }
  if (DataType.isBool(type)) return makeData({ ...base, type, data: new Uint8Array((length + 7) >> 3).fill(!nulls && value === true ? 0xff : 0) });
  if (DataType.isUtf8(type) || DataType.isBinary(type)) {
    const one = nulls ? new Uint8Array(0) : DataType.isUtf8(type) ? Buffer.from(String(value)) : bytesOf(value);
    const data = new Uint8Array(one.length * length);
    for (let i = 0; i < length; i++) data.set(one, i * one.length);
    const valueOffsets = Int32Array.from({ length: length + 1 }, (_, i) => i * one.length);
    return makeData({ ...base, type: type as Utf8, valueOffsets, data });
  }
  if (DataType.isFixedSizeBinary(type)) {
    const data = new Uint8Array(type.byteWidth * length);
    if (!nulls) for (let i = 0; i < length; i++) data.set(bytesOf(value), i * type.byteWidth);
    return makeData({ ...base, type, data });
  }
  if (DataType.isDecimal(type)) {
    const data = new BigUint64Array(2 * length);
    if (!nulls) {
      const v = BigInt.asUintN(128, unscaled(value, type.scale));
      for (let i = 0; i < length; i++) data.set([v & 0xffffffffffffffffn, v >> 64n], 2 * i);
    }
    return makeData({ ...base, type, data: new Uint32Array(data.buffer) });
  }
  if (DataType.isTimestamp(type)) return makeData({ ...base, type, data: new BigInt64Array(length).fill(nulls ? 0n : epochTicks(value, type.unit)) });
  if (DataType.isTime(type)) {
    const micros = typeof value === 'string' ? BigInt(Math.round(Number(`0.${(/\.(\d+)/.exec(value)?.[1] ?? '0')}`) * 1e6)) + BigInt(value.split(':').reduce((s, p) => s * 60 + Math.floor(Number(p)), 0)) * 1_000_000n : BigInt((value as number | bigint | null) ?? 0);
    return makeData({ ...base, type: type as TimeMicrosecond, data: new BigInt64Array(length).fill(micros) });
  }
  if (DataType.isDate(type)) {
    const days = typeof value === 'string' ? Date.parse(`${value}T00:00:00Z`) / 86_400_000 : Number(value ?? 0);
    return makeData({ ...base, type: type as DateDay, data: new Int32Array(length).fill(days) });
  }
  if (DataType.isInt(type) && type.bitWidth === 64) return makeData({ ...base, type: type as Int64, data: new BigInt64Array(length).fill(BigInt((value as number | bigint | null) ?? 0)) });
  if (DataType.isInt(type)) return makeData({ ...base, type: type as Int32, data: new Int32Array(length).fill(Number(value ?? 0)) });
  if (DataType.isFloat(type)) return makeData({ ...base, type: type as Float64, data: new (type instanceof Float32 ? Float32Array : Float64Array)(length).fill(Number(value ?? 0)) });
  throw new FlightError(Code.UNIMPLEMENTED, `a column of one value of type ${String(type)} is not supported`);
}

/** Rebuilds `data` with new values (same validity), typed `type`. */
function withValues(data: Data, type: DataType, values: ArrayLike<unknown>, extra: { valueOffsets?: Int32Array } = {}): Data {
  return makeData({ type, offset: data.offset, length: data.length, nullCount: data.nullCount, nullBitmap: data.nullBitmap, data: values, ...extra } as never);
}

/**
 * A file's column as the table's current type: equal types as they are, and the promotions Iceberg
 * allows (int to long, float to double, wider decimals), large to regular strings and binaries, and
 * timestamps of another unit or zone spelling. Undefined when the file's type does not convert.
 */
export function convertData(data: Data, to: DataType): Data | undefined {
  const from = data.type as DataType;
  // apache-arrow's comparison ignores a decimal's precision.
  if (DataType.isDecimal(from) && DataType.isDecimal(to) && from.scale === to.scale && from.bitWidth === to.bitWidth) return data.clone(to);
  const same: boolean = util.compareTypes(from, to);
  if (same) return data;
  if (DataType.isInt(from) && DataType.isInt(to) && to.bitWidth === 64 && from.bitWidth <= 32) {
    return withValues(data, to, BigInt64Array.from(data.values as Int32Array, (v) => BigInt(v)));
  }
  if (DataType.isFloat(from) && to instanceof Float64) return withValues(data, to, Float64Array.from(data.values as Float32Array));
  if ((from instanceof LargeUtf8 && DataType.isUtf8(to)) || (from instanceof LargeBinary && DataType.isBinary(to))) {
    const offsets = data.valueOffsets as unknown as BigInt64Array;
    return withValues(data, to, data.values as Uint8Array, { valueOffsets: Int32Array.from(offsets, (v) => Number(v)) });
  }
  if (DataType.isTimestamp(from) && DataType.isTimestamp(to) && Boolean(from.timezone) === Boolean(to.timezone)) {
    if (from.unit === to.unit) return data.clone(to);
    const scale = (unit: TimeUnit): bigint => 1000n ** BigInt(unit);
    const [up, down] = [scale(to.unit), scale(from.unit)];
    return withValues(data, to, BigInt64Array.from(data.values as BigInt64Array, (v) => (v * up) / down));
  }
  return undefined;
}
