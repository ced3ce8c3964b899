/**
 * CSV (RFC 4180: quoted fields may hold commas, quotes and newlines) and JSON Lines, read as a stream
 * in blocks of BLOCK_ROWS rows; each block becomes one record batch. Types come from the first block
 * (see text-schema.ts) unless given; a later cell that does not fit fails the load, naming its line.
 */
import { createReadStream } from 'node:fs';
import type { DataType, Schema } from 'apache-arrow';
import { Code, FlightError } from '../flight/errors.js';
import type { IpcChunk, ReadOptions } from './ipc-chunk.js';
import { csvValue, encodeBatch, inferCsvType, inferJsonType, jsonValue, namedType, nullableSchema } from './text-schema.js';

/** Rows per record batch. */
export const BLOCK_ROWS = 65_536;

/** Reader options of the text formats. */
export interface TextReadOptions extends ReadOptions {
  /** Column name -> type name for the columns not to infer. */
  readonly schema?: Readonly<Record<string, string>>;
}

/** Splits CSV text into records as it arrives; `push` returns the records completed so far. */
class CsvRecords {
  private field = '';
  private record: string[] = [];
  private quoted = false;
  /** Inside quotes, a quote just seen may close them or start an escaped quote. */
  private quoteSeen = false;
  private fieldStarted = false;
  line = 1;

  push(text: string, out: string[][]): void {
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (this.quoted) {
        if (this.quoteSeen) {
          this.quoteSeen = false;
          if (c === '"') {
            this.field += '"';
            continue;
          }
          this.quoted = false;
        } else if (c === '"') {
          this.quoteSeen = true;
          continue;
        } else {
          if (c === '\n') this.line++;
          this.field += c;
          continue;
        }
      }
      if (c === ',') this.endField();
      else if (c === '\n') {
        this.line++;
        this.endRecord(out);
      } else if (c === '\r') continue;
      else if (c === '"' && !this.fieldStarted) {
        this.quoted = true;
        this.fieldStarted = true;
      } else {
        this.field += c;
        this.fieldStarted = true;
      }
    }
  }

  end(out: string[][]): void {
    if (this.quoted && !this.quoteSeen) throw new FlightError(Code.INVALID_ARGUMENT, `CSV ends inside a quoted field opened before line ${this.line}`);
    if (this.fieldStarted || this.record.length > 0) this.endRecord(out);
  }

  private endField(): void {
    this.record.push(this.field);
    this.field = '';
    this.fieldStarted = false;
  }

  private endRecord(out: string[][]): void {
    this.endField();
    // Blank lines are skipped, as pyarrow does.
    if (!(this.record.length === 1 && this.record[0] === '')) out.push(this.record);
    this.record = [];
  }
}

/** Column positions to keep: the projection's, in its order, or all. */
function keptColumns(names: readonly string[], columns: readonly string[] | undefined, what: string): number[] {
  if (!columns) return names.map((_, i) => i);
  return columns.map((column) => {
    const index = names.indexOf(column);
    if (index < 0) throw new FlightError(Code.INVALID_ARGUMENT, `unknown column "${column}"; the ${what}'s columns are: ${names.map((n) => JSON.stringify(n)).join(', ')}`);
    return index;
  });
}

function typesOf(names: readonly string[], given: TextReadOptions['schema'], infer: (column: number) => DataType): DataType[] {
  return names.map((name, i) => (given?.[name] !== undefined ? namedType(given[name]!, name) : infer(i)));
}

/** Reads a CSV file with a header line. */
export async function* readCsv(path: string, options: TextReadOptions = {}): AsyncGenerator<IpcChunk> {
  const parser = new CsvRecords();
  let header: string[] | undefined;
  let kept: number[] = [];
  let schema: Schema | undefined;
  let types: DataType[] = [];
  let pending: string[][] = [];
  let firstLine = 2;
  const emit = (records: string[][]): IpcChunk => {
    if (!header) throw new FlightError(Code.INVALID_ARGUMENT, 'empty CSV: no header line');
    if (!schema) {
      const names = kept.map((i) => header![i]!);
      types = typesOf(names, options.schema, (k) => inferCsvType(records.map((r) => r[kept[k]!] ?? '')));
      schema = nullableSchema(names, types);
    }
    const columns = kept.map((index, k) =>
      records.map((record, row) => {
        if (record.length !== header!.length) throw new FlightError(Code.INVALID_ARGUMENT, `CSV line ${firstLine + row} has ${record.length} fields; the header has ${header!.length}`);
        const cell = record[index]!;
        const value = csvValue(types[k]!, cell);
        if (value === undefined) throw new FlightError(Code.INVALID_ARGUMENT, `CSV line ${firstLine + row}: column "${header![index]}" is ${String(types[k])} (inferred from the first ${BLOCK_ROWS} rows or given) but holds ${JSON.stringify(cell)}`);
        return value;
      }),
    );
    firstLine += records.length;
    return encodeBatch(schema, columns, records.length);
  };
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20, ...(options.signal ? { signal: options.signal } : {}) });
  for await (const text of stream as AsyncIterable<string>) {
    parser.push(text, pending);
    if (!header && pending.length > 0) {
      header = pending.shift()!;
      kept = keptColumns(header, options.columns, 'CSV header');
    }
    while (pending.length >= BLOCK_ROWS) yield emit(pending.splice(0, BLOCK_ROWS));
  }
  parser.end(pending);
  if (!header && pending.length > 0) {
    header = pending.shift()!;
    kept = keptColumns(header, options.columns, 'CSV header');
  }
  if (pending.length > 0 || !schema) yield emit(pending);
}

/** Reads a JSON Lines file: one JSON object per line; keys of the first block's objects are the columns. */
export async function* readJsonLines(path: string, options: TextReadOptions = {}): AsyncGenerator<IpcChunk> {
  let names: string[] | undefined;
  let schema: Schema | undefined;
  let types: DataType[] = [];
  let line = 0;
  let firstLine = 1;
  let pending: Array<Record<string, unknown>> = [];
  let partial = '';
  const emit = (records: Array<Record<string, unknown>>): IpcChunk => {
    if (!schema) {
      const seen = new Set<string>();
      for (const record of records) for (const key of Object.keys(record)) seen.add(key);
      const all = [...seen];
      names = keptColumns(all, options.columns, 'JSON objects').map((i) => all[i]!);
      types = typesOf(names, options.schema, (k) => inferJsonType(records.map((r) => r[names![k]!])));
      schema = nullableSchema(names, types);
    }
    const columns = names!.map((name, k) => records.map((record, row) => {
      try {
        return jsonValue(types[k]!, record[name], name);
      } catch (err) {
        throw new FlightError(Code.INVALID_ARGUMENT, `JSON line ${firstLine + row}: ${FlightError.from(err).message}`);
      }
    }));
    if (!options.columns) {
      const known = new Set(names);
      records.forEach((record, row) => {
        const extra = Object.keys(record).find((key) => !known.has(key));
        if (extra !== undefined) throw new FlightError(Code.INVALID_ARGUMENT, `JSON line ${firstLine + row} has a key "${extra}" the first ${BLOCK_ROWS} lines lack; give the schema`);
      });
    }
    firstLine += records.length;
    return encodeBatch(schema, columns, records.length);
  };
  const parse = (text: string): void => {
    line++;
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new FlightError(Code.INVALID_ARGUMENT, `JSON line ${line} is not JSON: ${(err as Error).message}`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FlightError(Code.INVALID_ARGUMENT, `JSON line ${line} is not an object`);
    if (pending.length === 0) firstLine = line;
    pending.push(value as Record<string, unknown>);
  };
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20, ...(options.signal ? { signal: options.signal } : {}) });
  for await (const text of stream as AsyncIterable<string>) {
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    for (const l of lines) parse(l);
    while (pending.length >= BLOCK_ROWS) yield emit(pending.splice(0, BLOCK_ROWS));
  }
  if (partial !== '') parse(partial);
  if (pending.length > 0 || !schema) {
    if (pending.length === 0 && !schema) throw new FlightError(Code.INVALID_ARGUMENT, 'JSON Lines file without any object: no columns to infer');
    yield emit(pending);
  }
}
