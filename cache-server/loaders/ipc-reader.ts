/**
 * Reads an Arrow IPC file or stream message by message from disk, or from S3 with ranged requests
 * (through an 8 MiB read-ahead window), so memory holds one message (or window) at a time. A file's
 * messages are its stream part (after the magic); its footer only repeats them.
 * Compressed bodies (LZ4 frame, ZSTD) are decompressed here (see ipc-decompress.ts).
 */
import { open } from 'node:fs/promises';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { parseMessageHeader, type IpcMessage } from '../../client/src/flight/protocol/ipc-message.js';
import type { ProjectionPlan } from '../engine/ipc-projection.js';
import { decompressBatch } from './ipc-decompress.js';
import { orderPlan, projectMessages, type IpcChunk, type ReadOptions } from './ipc-chunk.js';
import { readAhead, S3Object, type ByteSource } from './s3-ranged.js';

const MAGIC = Buffer.from('ARROW1');

const WINDOW_BYTES = 8 * 1024 * 1024;

async function readExactly(source: ByteSource, position: number, length: number, path: string): Promise<Uint8Array> {
  if (position + length > source.size) throw new FlightError(Code.INVALID_ARGUMENT, `${path}: truncated Arrow IPC data: ${length} bytes expected at offset ${position}, the file ends at ${source.size}`);
  return source.read(position, length);
}

/** A local file as a ByteSource, and how to close it. */
async function openLocal(path: string): Promise<{ source: ByteSource; close: () => Promise<void> }> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  const read = async (position: number, length: number): Promise<Uint8Array> => {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(out, done, length - done, position + done);
      if (bytesRead === 0) throw new FlightError(Code.INVALID_ARGUMENT, `${path}: truncated Arrow IPC data: ${length} bytes expected at offset ${position}, the file ends at ${position + done}`);
      done += bytesRead;
    }
    return out;
  };
  return { source: { size, read }, close: () => handle.close() };
}

/** Yields the schema with the first messages, then chunks of messages, until the end-of-stream marker or the footer. */
export async function* readIpc(path: string, options: ReadOptions = {}): AsyncGenerator<IpcChunk> {
  const opened = path.startsWith('s3://')
    ? { source: readAhead(await S3Object.open(path, options.s3, options.signal), WINDOW_BYTES), close: async () => undefined }
    : await openLocal(path);
  const source = opened.source;
  try {
    const { size } = source;
    let offset = 0;
    let end = size;
    const head = await readExactly(source, 0, Math.min(8, size), path);
    if (head.length >= 6 && MAGIC.equals(head.subarray(0, 6))) {
      offset = 8;
      // The footer (and its length and magic) follows the messages.
      if (size < 8 + 10) throw new FlightError(Code.INVALID_ARGUMENT, `${path}: truncated Arrow IPC file of ${size} bytes`);
      const tail = await readExactly(source, size - 10, 10, path);
      if (!MAGIC.equals(tail.subarray(4))) throw new FlightError(Code.INVALID_ARGUMENT, `${path}: Arrow IPC file without its trailing ARROW1 magic (truncated?)`);
      end = size - 10 - new DataView(tail.buffer, tail.byteOffset, tail.byteLength).getInt32(0, true);
    }
    let schema: Uint8Array | undefined;
    let projection: ProjectionPlan | undefined;
    const pending: IpcMessage[] = [];
    while (offset + 4 <= end) {
      options.signal?.throwIfAborted();
      const prefix = await readExactly(source, offset, Math.min(8, end - offset), path);
      const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
      let length = view.getInt32(0, true);
      let start = offset + 4;
      if (length === -1) {
        length = prefix.length >= 8 ? view.getInt32(4, true) : 0;
        start += 4;
      }
      if (length === 0) break;
      if (length < 0 || start + length > end) throw new FlightError(Code.INVALID_ARGUMENT, `${path}: invalid Arrow IPC data: metadata length ${length} at offset ${offset} runs past the data (truncated?)`);
      const header = await readExactly(source, start, length, path);
      let info;
      try {
        info = parseMessageHeader(header);
      } catch (err) {
        throw new FlightError(Code.INVALID_ARGUMENT, `${path}: invalid Arrow IPC message at offset ${offset}: ${FlightError.from(err).message}`);
      }
      const bodyStart = start + length;
      if (bodyStart + info.bodyLength > end) throw new FlightError(Code.INVALID_ARGUMENT, `${path}: truncated Arrow IPC data: a body of ${info.bodyLength} bytes at offset ${bodyStart} runs past the data`);
      const body = await readExactly(source, bodyStart, info.bodyLength, path);
      offset = bodyStart + info.bodyLength;
      if (info.kind === 'schema') {
        if (schema) throw new FlightError(Code.INVALID_ARGUMENT, `${path}: a second schema message at offset ${start - 8}`);
        schema = header;
        projection = orderPlan(header, options.columns);
        if (projection) schema = projection.schema;
        continue;
      }
      if (!schema) throw new FlightError(Code.INVALID_ARGUMENT, `${path}: Arrow IPC data must start with a schema message, got ${info.kind}`);
      if (info.kind !== 'record_batch' && info.kind !== 'dictionary_batch') continue;
      const whole: IpcMessage = info.compressed ? decompressBatch({ header, body, info }, path) : { header, body, info };
      const message = projection ? projectMessages(projection, [whole])[0] : whole;
      if (!message) continue;
      pending.push(message);
      if (message.info.kind === 'record_batch') yield { schema, messages: pending.splice(0) };
    }
    if (!schema) throw new FlightError(Code.INVALID_ARGUMENT, `${path}: no Arrow IPC schema message (not an Arrow IPC file or stream, or written without one)`);
    // Also for a stream without batches: the schema reaches the loader.
    yield { schema, messages: pending };
  } finally {
    await opened.close();
  }
}
