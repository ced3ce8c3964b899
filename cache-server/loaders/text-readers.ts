/**
 * CSV (RFC 4180: quoted fields may hold commas, quotes and newlines) and JSON Lines, read as a stream
 * in blocks of BLOCK_ROWS rows; each block becomes one record batch. Types come from the first block
 * (see text-schema.ts) unless given; a later cell that does not fit fails the load, naming its line.
 */
import { createReadStream } from 'node:fs';
import type { DataType, Schema } from 'apache-arrow';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { IpcChunk, ReadOptions } from './ipc-chunk.js';
import { builtColumn, encodeBatch, inferCsvType, inferJsonType, jsonValue, namedType, nullableSchema } from './text-schema.js';
import { CellError, csvColumn } from './csv-columns.js';

/** Rows per record batch. */
export const BLOCK_ROWS = 65_536;

/** Reader options of the text formats. */
export interface TextReadOptions extends ReadOptions {
  /** Column name -> type name for the columns not to infer. */
  readonly schema?: Readonly<Record<string, string>>;
}

/**
 * Splits CSV text into records as it arrives. Lines without a quote are split on commas at once;
 * a record with quotes runs over lines until its quotes balance, then is parsed field by field.
 */
class CsvRecords {
  /** Text of a record with unbalanced quotes so far, and the end of the last chunk. */
  private open = '';
  private rest = '';
  line = 1;

  push(text: string, out: string[][]): void {
    const lines = (this.rest + text).split('\n');
    this.rest = lines.pop()!;
    for (const line of lines) this.addLine(line, out);
  }

  end(out: string[][]): void {
    if (this.rest !== '') this.addLine(this.rest, out);
    this.rest = '';
    if (this.open !== '') throw new FlightError(Code.INVALID_ARGUMENT, `CSV ends inside a quoted field opened before line ${this.line}`);
  }

  private addLine(raw: string, out: string[][]): void {
    this.line++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (this.open === '' && !line.includes('"')) {
      // Blank lines are skipped, as pyarrow does.
      if (line !== '') out.push(line.split(','));
      return;
    }
    const text = this.open === '' ? line : `${this.open}\n${line}`;
    if ((text.split('"').length - 1) % 2 === 1) {
      this.open = text;
      return;
    }
    this.open = '';
    out.push(parseQuoted(text));
  }
}

/** The fields of one record that holds quotes (RFC 4180: "" inside quotes is a quote). */
function parseQuoted(text: string): string[] {
  const fields: string[] = [];
  let at = 0;
  for (;;) {
    if (text[at] === '"') {
      // A quoted field: up to the quote not followed by another one.
      let field = '';
      let from = at + 1;
      for (;;) {
        const quote = text.indexOf('"', from);
        if (quote < 0) throw new FlightError(Code.INVALID_ARGUMENT, 'CSV field without its closing quote');
        field += text.slice(from, quote);
        if (text[quote + 1] === '"') {
          field += '"';
          from = quote + 2;
          continue;
        }
        at = quote + 1;
        break;
      }
      // Characters between the closing quote and the comma belong to the field, as pyarrow keeps them.
      const comma = text.indexOf(',', at);
      fields.push(comma < 0 ? field + text.slice(at) : field + text.slice(at, comma));
      if (comma < 0) return fields;
      at = comma + 1;
    } else {
      const comma = text.indexOf(',', at);
      if (comma < 0) {
        fields.push(text.slice(at));
        return fields;
      }
      fields.push(text.slice(at, comma));
      at = comma + 1;
    }
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
  const pending: string[][] = [];
  let firstLine = 2;
  const emit = (records: string[][]): IpcChunk => {
    if (!header) throw new FlightError(Code.INVALID_ARGUMENT, 'empty CSV: no header line');
    if (!schema) {
      const names = kept.map((i) => header![i]!);
      types = typesOf(names, options.schema, (k) => inferCsvType(records.map((r) => r[kept[k]!] ?? '')));
      schema = nullableSchema(names, types);
    }
    records.forEach((record, row) => {
      if (record.length !== header!.length) throw new FlightError(Code.INVALID_ARGUMENT, `CSV line ${firstLine + row} has ${record.length} fields; the header has ${header!.length}`);
    });
    const columns = kept.map((index, k) => {
      try {
        return csvColumn(types[k]!, records.map((record) => record[index]!));
      } catch (err) {
        if (!(err instanceof CellError)) throw err;
        throw new FlightError(Code.INVALID_ARGUMENT, `CSV line ${firstLine + err.row}: column "${header![index]}" is ${String(types[k])} (inferred from the first ${BLOCK_ROWS} rows or given) but holds ${JSON.stringify(err.cell)}`);
      }
    });
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
  const pending: Array<Record<string, unknown>> = [];
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
    const columns = names!.map((name, k) => builtColumn(types[k]!, records.map((record, row) => {
      try {
        return jsonValue(types[k]!, record[name], name);
      } catch (err) {
        throw new FlightError(Code.INVALID_ARGUMENT, `JSON line ${firstLine + row}: ${FlightError.from(err).message}`);
      }
    })));
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
