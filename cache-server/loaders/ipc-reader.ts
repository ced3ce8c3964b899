/**
 * Reads an Arrow IPC file or stream message by message from disk, so memory holds one message at a
 * time. A file's messages are its stream part (after the magic); its footer only repeats them.
 * Compressed bodies (LZ4 frame, ZSTD) are decompressed here (see ipc-decompress.ts).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { parseMessageHeader, type IpcMessage } from '../../client/src/flight/protocol/ipc-message.js';
import type { ProjectionPlan } from '../engine/ipc-projection.js';
import { decompressBatch } from './ipc-decompress.js';
import { orderPlan, projectMessages, type IpcChunk, type ReadOptions } from './ipc-chunk.js';

const MAGIC = Buffer.from('ARROW1');

async function readExactly(handle: FileHandle, position: number, length: number, path: string): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(out, done, length - done, position + done);
    if (bytesRead === 0) throw new FlightError(Code.INVALID_ARGUMENT, `${path}: truncated Arrow IPC data: ${length} bytes expected at offset ${position}, the file ends at ${position + done}`);
    done += bytesRead;
  }
  return out;
}

/** Yields the schema with the first messages, then chunks of messages, until the end-of-stream marker or the footer. */
export async function* readIpc(path: string, options: ReadOptions = {}): AsyncGenerator<IpcChunk> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    let offset = 0;
    let end = size;
    const head = await readExactly(handle, 0, Math.min(8, size), path);
    if (head.length >= 6 && MAGIC.equals(head.subarray(0, 6))) {
      offset = 8;
      // The footer (and its length and magic) follows the messages.
      if (size < 8 + 10) throw new FlightError(Code.INVALID_ARGUMENT, `${path}: truncated Arrow IPC file of ${size} bytes`);
      const tail = await readExactly(handle, size - 10, 10, path);
      if (!MAGIC.equals(tail.subarray(4))) throw new FlightError(Code.INVALID_ARGUMENT, `${path}: Arrow IPC file without its trailing ARROW1 magic (truncated?)`);
      end = size - 10 - new DataView(tail.buffer).getInt32(0, true);
    }
    let schema: Uint8Array | undefined;
    let projection: ProjectionPlan | undefined;
    const pending: IpcMessage[] = [];
    while (offset + 4 <= end) {
      options.signal?.throwIfAborted();
      const prefix = await readExactly(handle, offset, Math.min(8, end - offset), path);
      const view = new DataView(prefix.buffer);
      let length = view.getInt32(0, true);
      let start = offset + 4;
      if (length === -1) {
        length = prefix.length >= 8 ? view.getInt32(4, true) : 0;
        start += 4;
      }
      if (length === 0) break;
      if (length < 0 || start + length > end) throw new FlightError(Code.INVALID_ARGUMENT, `${path}: invalid Arrow IPC data: metadata length ${length} at offset ${offset} runs past the data (truncated?)`);
      const header = await readExactly(handle, start, length, path);
      let info;
      try {
        info = parseMessageHeader(header);
      } catch (err) {
        throw new FlightError(Code.INVALID_ARGUMENT, `${path}: invalid Arrow IPC message at offset ${offset}: ${FlightError.from(err).message}`);
      }
      const bodyStart = start + length;
      if (bodyStart + info.bodyLength > end) throw new FlightError(Code.INVALID_ARGUMENT, `${path}: truncated Arrow IPC data: a body of ${info.bodyLength} bytes at offset ${bodyStart} runs past the data`);
      const body = await readExactly(handle, bodyStart, info.bodyLength, path);
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
    await handle.close();
  }
}
