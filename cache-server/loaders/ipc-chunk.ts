/** What every file reader yields: Arrow IPC messages under one schema, ready for the store. */
import { encapsulate, parseMessageHeader, readIpcMessages, type IpcMessage } from '../../client/src/flight/protocol/ipc-message.js';
import { ProjectionPlan, columnIndices } from '../engine/ipc-projection.js';
import type { RowTaker } from '../engine/ipc-take.js';
import type { S3Options } from './s3-credentials.js';
import type { ParquetDecoders } from './parquet-decoders.js';

/** A schema and the dictionary and record batches that follow it (views, copied into the store later). */
export interface IpcChunk {
  readonly schema: Uint8Array;
  readonly messages: readonly IpcMessage[];
}

/** Options every reader takes. */
export interface ReadOptions {
  /** Top-level columns to keep, in this order; undefined keeps all. */
  readonly columns?: readonly string[];
  readonly signal?: AbortSignal;
  /** s3:// paths: the load's S3 settings (read with ranged requests, s3-ranged.ts). */
  readonly s3?: S3Options | undefined;
  /** Local Parquet files: worker threads that decode their row groups (parquet-reader.ts). */
  readonly parquetDecoders?: ParquetDecoders;
}

/** A chunk from an in-memory Arrow IPC stream (one encoded batch). */
export function chunkOfStream(bytes: Uint8Array): IpcChunk {
  return readIpcMessages(bytes);
}

/** The chunk's messages as one Arrow IPC stream (for apache-arrow to decode). */
export function streamOfChunk(chunk: IpcChunk): Uint8Array {
  const parts: Uint8Array[] = [encapsulate(chunk.schema)];
  for (const message of chunk.messages) parts.push(encapsulate(message.header), message.body);
  parts.push(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
  return Buffer.concat(parts);
}

/** Keeps the planned columns of a chunk's messages: dictionary batches of dropped columns go, record batches are cut (views, no copy). */
export function projectMessages(plan: ProjectionPlan, messages: readonly IpcMessage[]): IpcMessage[] {
  const out: IpcMessage[] = [];
  for (const message of messages) {
    if (message.info.kind === 'dictionary_batch') {
      if (plan.dictionaryIds.has(message.info.dictionaryId ?? 0n)) out.push(message);
    } else if (message.info.kind === 'record_batch') {
      const projected = plan.projectRecordBatch(message.header, message.body);
      out.push({ header: projected.header, body: Buffer.concat(projected.body as Uint8Array[], projected.bodyLength), info: parseMessageHeader(projected.header) });
    }
  }
  return out;
}

/** A plan putting a schema's columns in the order named, or undefined when they already are. */
export function orderPlan(schema: Uint8Array, columns: readonly string[] | undefined): ProjectionPlan | undefined {
  if (!columns) return undefined;
  const indices = columnIndices(schema, columns);
  return indices.every((index, i) => index === i) && indices.length === columns.length ? undefined : new ProjectionPlan(schema, indices);
}

/** A record batch message with only rows `kept` (ascending indices) of `message`. */
export function keepRows(taker: RowTaker, message: IpcMessage, kept: Uint32Array): IpcMessage {
  const taken = taker.take([message], { source: new Uint32Array(kept.length), row: kept });
  return { header: taken.header, body: Buffer.concat(taken.body as Uint8Array[], taken.bodyLength), info: parseMessageHeader(taken.header) };
}
