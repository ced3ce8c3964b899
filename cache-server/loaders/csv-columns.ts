/**
 * Builds Arrow columns straight from CSV cells into typed arrays (no per-value builder calls or
 * BigInts for safe integers), for the types text-schema.ts infers. A cell that does not fit its
 * column's type throws INVALID_ARGUMENT naming the row (0-based within the block) via `bad`.
 */
import { Bool, DateDay, Float64, Int64, Null, TimestampSecond, Utf8, makeData, type Data, type DataType } from 'apache-arrow';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { CSV_NULLS, csvValue } from './text-schema.js';
import { fieldText, quotedInner, type CsvBlock } from './csv-scanner.js';

const TRUE = new Set(['1', 'True', 'TRUE', 'true']);
const FALSE = new Set(['0', 'False', 'FALSE', 'false']);
const INT = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)$/;
const TWO_32 = 4294967296;

/** Where a cell did not fit: the caller turns the row into a line number. */
export class CellError extends Error {
  constructor(readonly row: number, readonly cell: string) {
    super(`cell ${JSON.stringify(cell)} at row ${row}`);
  }
}

/** Writes a safe integer as int64 into two int32 halves (little-endian). */
function setInt64(halves: Int32Array, i: number, value: number): void {
  const hi = Math.floor(value / TWO_32);
  halves[2 * i] = (value - hi * TWO_32) | 0;
  halves[2 * i + 1] = hi;
}

/** A validity bitmap and null count: cells in CSV_NULLS are null. */
function validity(cells: readonly string[]): { nullBitmap: Uint8Array | undefined; nullCount: number } {
  let nullCount = 0;
  const bitmap = new Uint8Array(Math.ceil(cells.length / 8));
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i]!;
    // No null marker is longer than 8 characters: longer cells skip the set.
    if (cell.length <= 8 && CSV_NULLS.has(cell)) nullCount++;
    else bitmap[i >> 3]! |= 1 << (i & 7);
  }
  return { nullBitmap: nullCount === 0 ? undefined : bitmap, nullCount };
}

/** A utf8 column of a block's field bytes, copied as they are (strings are never null, as in pyarrow). */
export function csvUtf8Column(block: CsvBlock, column: number): Data {
  const { bytes, rows, columns, starts, ends } = block;
  const offsets = new Int32Array(rows + 1);
  const ranges = new Int32Array(2 * rows);
  // Fields with "" inside or text after the closing quote: their unquoted bytes.
  const rewritten = new Map<number, Buffer>();
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const at = r * columns + column;
    const inner = quotedInner(bytes, starts[at]!, ends[at]!);
    if (inner) {
      ranges[2 * r] = inner[0];
      ranges[2 * r + 1] = inner[1];
      total += inner[1] - inner[0];
    } else {
      const value = Buffer.from(fieldText(block, r, column));
      rewritten.set(r, value);
      total += value.length;
    }
    if (total > 0x7fffffff) throw new FlightError(Code.INVALID_ARGUMENT, 'a CSV string column holds over 2 GiB in one block');
    offsets[r + 1] = total;
  }
  const data = Buffer.allocUnsafe(total);
  for (let r = 0; r < rows; r++) {
    const value = rewritten.get(r);
    if (value) value.copy(data, offsets[r]!);
    else bytes.copy(data, offsets[r]!, ranges[2 * r]!, ranges[2 * r + 1]!);
  }
  return makeData({ type: new Utf8(), length: rows, nullCount: 0, valueOffsets: offsets, data });
}

/** The column of `type` (not utf8: csvUtf8Column copies those bytes as they are) holding `cells`. */
export function csvColumn(type: DataType, cells: readonly string[]): Data {
  const n = cells.length;
  if (type instanceof Null) return makeData({ type: new Null(), length: n, nullCount: n });
  const { nullBitmap, nullCount } = validity(cells);
  const valid = (i: number): boolean => nullBitmap === undefined || (nullBitmap[i >> 3]! & (1 << (i & 7))) !== 0;
  const base = { length: n, nullCount, ...(nullBitmap ? { nullBitmap } : {}) };
  if (type instanceof Int64 || type instanceof TimestampSecond) {
    const values = new BigInt64Array(n);
    const halves = new Int32Array(values.buffer);
    for (let i = 0; i < n; i++) {
      if (!valid(i)) continue;
      const cell = cells[i]!;
      if (type instanceof Int64) {
        const value = Number(cell);
        if (Number.isSafeInteger(value) && INT.test(cell)) setInt64(halves, i, value);
        else {
          const exact = csvValue(type, cell);
          if (typeof exact !== 'bigint') throw new CellError(i, cell);
          values[i] = exact;
        }
      } else {
        const ms = csvValue(type, cell);
        if (typeof ms !== 'number') throw new CellError(i, cell);
        setInt64(halves, i, ms / 1000);
      }
    }
    return type instanceof Int64 ? makeData({ type, ...base, data: values }) : makeData({ type, ...base, data: values as unknown as Int32Array });
  }
  if (type instanceof Float64) {
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (!valid(i)) continue;
      const cell = cells[i]!;
      if (DECIMAL.test(cell)) values[i] = Number(cell);
      else {
        // inf, Infinity and their signs: rare, so the general parser.
        const parsed = csvValue(type, cell);
        if (typeof parsed !== 'number') throw new CellError(i, cell);
        values[i] = parsed;
      }
    }
    return makeData({ type, ...base, data: values });
  }
  if (type instanceof Bool) {
    const values = new Uint8Array(Math.ceil(n / 8));
    for (let i = 0; i < n; i++) {
      if (!valid(i)) continue;
      const cell = cells[i]!;
      if (TRUE.has(cell)) values[i >> 3]! |= 1 << (i & 7);
      else if (!FALSE.has(cell)) throw new CellError(i, cell);
    }
    return makeData({ type, ...base, data: values });
  }
  if (type instanceof DateDay) {
    const values = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      if (!valid(i)) continue;
      const ms = csvValue(type, cells[i]!);
      if (typeof ms !== 'number') throw new CellError(i, cells[i]!);
      values[i] = ms / 86_400_000;
    }
    return makeData({ type, ...base, data: values });
  }
  throw new FlightError(Code.INVALID_ARGUMENT, `CSV columns cannot be ${String(type)}`);
}
