/**
 * Adds the hive partition values of a file (`.../year=2024/lang=en/part.parquet`) to each of its
 * batches as trailing columns, typed as pyarrow's datasets type them: dictionary<int32 values> when
 * every value of the key is an int32, else dictionary<string values>, with int32 indices into all the
 * key's values across the source (in the order the sorted files first show them). The file's batches
 * pass through apache-arrow to gain the columns.
 */
import {
  Dictionary, Field, Int32, RecordBatch, RecordBatchReader, Schema, Struct, Table, Utf8, makeData, tableToIPC, vectorFromArray, type Data, type Vector,
} from 'apache-arrow';
import { chunkOfStream, streamOfChunk, type IpcChunk } from './ipc-chunk.js';
import type { SourceFile } from './source-files.js';

interface PartitionKey {
  readonly field: Field;
  readonly dictionary: Vector;
  readonly values: readonly string[];
}

/** Far above the ids writers give their own dictionaries (0, 1, ...), so none collides. */
const FIRST_ID = 1_000_000;
const INT32 = /^-?\d+$/;
const keysOfSource = new WeakMap<readonly SourceFile[], PartitionKey[]>();

/** The partition keys of a source, computed once per file list. */
function partitionKeys(files: readonly SourceFile[]): PartitionKey[] {
  let keys = keysOfSource.get(files);
  if (keys) return keys;
  keys = files[0]!.partition.map(([key], k) => {
    const values: string[] = [];
    for (const file of files) {
      const value = file.partition[k]![1];
      if (!values.includes(value)) values.push(value);
    }
    const ints = values.every((v) => INT32.test(v) && Number(v) >= -(2 ** 31) && Number(v) < 2 ** 31);
    const dictionary = ints ? vectorFromArray(values.map(Number), new Int32()) : vectorFromArray(values, new Utf8());
    const type = new Dictionary(dictionary.type, new Int32(), FIRST_ID + k, false);
    return { field: new Field(key, type, true), dictionary, values };
  });
  keysOfSource.set(files, keys);
  return keys;
}

/** The chunks of `file` with its partition columns appended. */
export async function* withPartitionColumns(chunks: AsyncIterable<IpcChunk>, file: SourceFile, files: readonly SourceFile[]): AsyncGenerator<IpcChunk> {
  const keys = partitionKeys(files);
  for await (const chunk of chunks) {
    const table = new Table(RecordBatchReader.from(streamOfChunk(chunk)).readAll());
    const schema = new Schema([...table.schema.fields, ...keys.map((k) => k.field)], table.schema.metadata);
    if (table.batches.length === 0) {
      yield chunkOfStream(tableToIPC(new Table(schema), 'stream'));
      continue;
    }
    const batches = table.batches.map((batch) => {
      const extra = keys.map((key, k) => {
        const index = key.values.indexOf(file.partition[k]![1]);
        return makeData({ type: key.field.type as Dictionary, length: batch.numRows, nullCount: 0, data: new Int32Array(batch.numRows).fill(index), dictionary: key.dictionary }) as Data;
      });
      const data = makeData({ type: new Struct(schema.fields), length: batch.numRows, nullCount: 0, children: [...batch.data.children, ...extra] });
      return new RecordBatch(schema, data);
    });
    yield chunkOfStream(tableToIPC(new Table(schema, batches), 'stream'));
  }
}
