/**
 * JSON Lines, read as a stream in blocks of BLOCK_ROWS rows; each block becomes one record batch.
 * Types come from the first block (see text-schema.ts) unless given; a later value that does not
 * fit fails the load, naming its line. The options and column choice CSV shares (csv-reader.ts).
 */
import { createReadStream } from 'node:fs';
import type { DataType, Schema } from 'apache-arrow';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { IpcChunk, ReadOptions } from './ipc-chunk.js';
import { builtColumn, encodeBatch, inferJsonType, jsonValue, namedType, nullableSchema } from './text-schema.js';

/** Rows per record batch. */
export const BLOCK_ROWS = 65_536;

/** Reader options of the text formats. */
export interface TextReadOptions extends ReadOptions {
  /** Column name -> type name for the columns not to infer. */
  readonly schema?: Readonly<Record<string, string>>;
}

/** Column positions to keep: the projection's, in its order, or all. */
export function keptColumns(names: readonly string[], columns: readonly string[] | undefined, what: string): number[] {
  if (!columns) return names.map((_, i) => i);
  return columns.map((column) => {
    const index = names.indexOf(column);
    if (index < 0) throw new FlightError(Code.INVALID_ARGUMENT, `unknown column "${column}"; the ${what}'s columns are: ${names.map((n) => JSON.stringify(n)).join(', ')}`);
    return index;
  });
}

/** The given type of each named column, else the inferred one. */
export function typesOf(names: readonly string[], given: TextReadOptions['schema'], infer: (column: number) => DataType): DataType[] {
  return names.map((name, i) => (given?.[name] !== undefined ? namedType(given[name]!, name) : infer(i)));
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
