/**
 * Reads one data file of an Iceberg table as the table's schema sees it: columns are found by field
 * id (the Parquet field ids; by the table's name mapping, else by name, for files written without
 * them), renamed to their current names, promoted to their current types; a column the file lacks
 * is its identity partition value, its initial default, or null. Rows that the file's position
 * deletes or equality deletes remove are left out (row take on the IPC batch).
 */
import { Field, RecordBatch, RecordBatchReader, Schema, Struct, Table, makeData, makeVector, tableToIPC, type Data, type DataType, type Vector } from 'apache-arrow';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { IpcMessage } from '../../client/src/flight/protocol/ipc-message.js';
import { RowTaker } from '../engine/ipc-take.js';
import { chunkOfStream, keepRows, streamOfChunk, type IpcChunk, type ReadOptions } from './ipc-chunk.js';
import type { EqualityDelete, IcebergTask } from './iceberg-table.js';
import { arrowType, constantData, convertData, isNested, type IcebergField } from './iceberg-types.js';
import { readParquet } from './parquet-reader.js';
import type { S3Options } from './s3-credentials.js';

const FIELD_ID = 'PARQUET:field_id';

/** The batches of a Parquet file (local or s3://) decoded by apache-arrow, one per row group. */
async function* parquetBatches(path: string, s3: S3Options | undefined, signal: AbortSignal | undefined): AsyncGenerator<RecordBatch> {
  for await (const chunk of readParquet(path, { ...(signal ? { signal } : {}), s3 })) {
    yield* RecordBatchReader.from(streamOfChunk(chunk));
  }
}

/** A row's values at the given columns as one comparable text (null equals null, as equality deletes say). */
function rowKey(columns: ReadonlyArray<Data | undefined>, row: number): string {
  return columns
    .map((data) => {
      const value: unknown = data === undefined ? null : vectorOf(data).get(row);
      if (value === null || value === undefined) return '\u0000';
      if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
    })
    .join('\u0001');
}

const vectors = new WeakMap<Data, Vector>();
/** The data as a vector, made once per column. */
function vectorOf(data: Data): Vector {
  let vector = vectors.get(data);
  if (!vector) {
    vector = makeVector(data);
    vectors.set(data, vector);
  }
  return vector;
}

/** The file column index of each table field (-1: absent), by field id, else name mapping, else name. */
function columnMap(schema: readonly IcebergField[], fileFields: readonly Field[], nameMapping: ReadonlyMap<string, number>): number[] {
  const ids = fileFields.map((f) => f.metadata.get(FIELD_ID));
  const byId = ids.some((id) => id !== undefined);
  return schema.map((field) => {
    if (byId) return ids.findIndex((id) => id !== undefined && Number(id) === field.id);
    if (nameMapping.size > 0) return fileFields.findIndex((f) => nameMapping.get(f.name) === field.id);
    return fileFields.findIndex((f) => f.name === field.id.toString() || f.name === field.name);
  });
}

/** The values of the delete files' rows, keyed as rowKey keys them, per set of equality ids. */
async function equalityKeys(deletes: readonly EqualityDelete[], s3: S3Options | undefined, signal: AbortSignal | undefined): Promise<Array<{ ids: readonly number[]; keys: Set<string> }>> {
  const groups = new Map<string, { ids: readonly number[]; keys: Set<string> }>();
  for (const { path, ids } of deletes) {
    const group = groups.get(ids.join(',')) ?? { ids, keys: new Set<string>() };
    groups.set(ids.join(','), group);
    for await (const batch of parquetBatches(path, s3, signal)) {
      const at = ids.map((id) => batch.schema.fields.findIndex((f) => Number(f.metadata.get(FIELD_ID)) === id));
      if (at.some((i) => i < 0)) throw new FlightError(Code.INVALID_ARGUMENT, `equality delete file ${path} lacks a column of field ids ${ids.join(', ')}`);
      const columns = at.map((i) => batch.data.children[i]!);
      for (let row = 0; row < batch.numRows; row++) group.keys.add(rowKey(columns, row));
    }
  }
  return [...groups.values()];
}

/** The deleted row positions of the data file `written` in the position delete files. */
async function deletedPositions(task: IcebergTask, signal: AbortSignal | undefined): Promise<Set<number>> {
  const positions = new Set<number>();
  for (const path of task.positionDeletes) {
    for await (const batch of parquetBatches(path, task.s3, signal)) {
      const [files, pos] = [batch.getChild('file_path'), batch.getChild('pos')];
      if (!files || !pos) throw new FlightError(Code.INVALID_ARGUMENT, `position delete file ${path} lacks its file_path and pos columns`);
      for (let row = 0; row < batch.numRows; row++) if (files.get(row) === task.writtenPath) positions.add(Number(pos.get(row)));
    }
  }
  return positions;
}

/** The output column of a table field from the file's batch. */
function fieldData(field: IcebergField, index: number, batch: RecordBatch, task: IcebergTask, path: string): Data {
  if (index < 0) {
    const type = arrowType(field.type);
    const value = task.constants.has(field.id) ? task.constants.get(field.id) : field['initial-default'];
    return constantData(type, value ?? null, batch.numRows);
  }
  const data = batch.data.children[index]!;
  if (isNested(field.type)) return data;
  const to = arrowType(field.type);
  const converted = convertData(data, to);
  if (!converted) {
    throw new FlightError(Code.INVALID_ARGUMENT, `${path}: column ${JSON.stringify(field.name)} (field id ${field.id}) is ${String(data.type)} in the file, which does not read as the table's ${String(to)}`);
  }
  return converted;
}

/** The record batch messages of `batch` with only rows `kept` (undefined: all). */
function messagesOf(batch: RecordBatch, kept: Uint32Array | undefined): IpcChunk {
  const chunk = chunkOfStream(tableToIPC(new Table([batch]), 'stream'));
  if (!kept) return chunk;
  const taker = new RowTaker(chunk.schema);
  const messages: IpcMessage[] = [];
  for (const message of chunk.messages) {
    if (message.info.kind !== 'record_batch') {
      messages.push(message);
      continue;
    }
    if (kept.length === 0) continue;
    messages.push(keepRows(taker, message, kept));
  }
  return { schema: chunk.schema, messages };
}

/** Yields the data file's rows as the table's (projected) schema, deleted rows left out; see the module comment. */
export async function* readIcebergFile(path: string, task: IcebergTask, options: ReadOptions = {}): AsyncGenerator<IpcChunk> {
  const names = options.columns ?? task.schema.map((f) => f.name);
  const unknown = names.find((n) => !task.schema.some((f) => f.name === n));
  if (unknown !== undefined) throw new FlightError(Code.INVALID_ARGUMENT, `the table has no column ${JSON.stringify(unknown)}; its columns: ${task.schema.map((f) => f.name).join(', ')}`);
  const positions = await deletedPositions(task, options.signal);
  const equalities = await equalityKeys(task.equalityDeletes, task.s3, options.signal);
  const output = names.map((n) => task.schema.find((f) => f.name === n)!);
  let map: number[] | undefined;
  let offset = 0;
  let schema: Schema | undefined;
  for await (const batch of parquetBatches(path, undefined, options.signal)) {
    options.signal?.throwIfAborted();
    map ??= columnMap(task.schema, batch.schema.fields, task.nameMapping);
    const all = new Map<number, Data>();
    const dataOf = (field: IcebergField): Data => {
      let data = all.get(field.id);
      if (!data) {
        data = fieldData(field, map![task.schema.indexOf(field)]!, batch, task, path);
        all.set(field.id, data);
      }
      return data;
    };
    const columns = output.map(dataOf);
    schema ??= new Schema(output.map((f, i) => new Field(f.name, columns[i]!.type as DataType, !f.required)));
    let kept: Uint32Array | undefined;
    if (positions.size > 0 || equalities.length > 0) {
      const checks = equalities.map((g) => ({ keys: g.keys, columns: g.ids.map((id) => {
        const field = task.schema.find((f) => f.id === id);
        return field ? dataOf(field) : undefined;
      }) }));
      const rows: number[] = [];
      for (let row = 0; row < batch.numRows; row++) {
        if (positions.has(offset + row) || checks.some((c) => c.keys.has(rowKey(c.columns, row)))) continue;
        rows.push(row);
      }
      if (rows.length < batch.numRows) kept = Uint32Array.from(rows);
    }
    offset += batch.numRows;
    const data = makeData({ type: new Struct(schema.fields), length: batch.numRows, nullCount: 0, children: columns });
    yield messagesOf(new RecordBatch(schema, data), kept);
  }
  if (!schema) {
    const empty = new Schema(output.map((f) => new Field(f.name, arrowType(f.type), !f.required)));
    yield chunkOfStream(tableToIPC(new Table(empty), 'stream'));
  }
}
