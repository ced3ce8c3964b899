/**
 * Decompresses an Arrow IPC record or dictionary batch whose body buffers are LZ4 frame or ZSTD
 * compressed (each buffer: int64 uncompressed length, -1 when stored raw, then the bytes), into an
 * uncompressed body with 8-byte aligned buffers and a header without the compression field.
 * LZ4 frames are decoded by lz4js and ZSTD by fzstd, both pure JavaScript: no native code to build.
 */
import { Builder } from 'flatbuffers';
import { decompress as zstdDecompress } from 'fzstd';
import { decompressFrame } from 'lz4js';
import { CompressionType } from 'apache-arrow/fb/compression-type';
import { Buffer as FbBuffer } from 'apache-arrow/fb/buffer';
import { DictionaryBatch } from 'apache-arrow/fb/dictionary-batch';
import { FieldNode } from 'apache-arrow/fb/field-node';
import { Message } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { messageAccessor, parseMessageHeader, type IpcMessage } from '../../client/src/flight/protocol/ipc-message.js';

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

function decompressBuffer(method: CompressionType, bytes: Uint8Array, where: string): Uint8Array {
  if (bytes.length === 0) return bytes;
  if (bytes.length < 8) throw new FlightError(Code.INVALID_ARGUMENT, `${where}: compressed buffer of ${bytes.length} bytes lacks its 8-byte length`);
  const length = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigInt64(0, true);
  const data = bytes.subarray(8);
  if (length === -1n) return data;
  if (length < 0n || length > BigInt(2 ** 31)) throw new FlightError(Code.INVALID_ARGUMENT, `${where}: invalid uncompressed length ${length}`);
  const out = new Uint8Array(Number(length));
  try {
    if (method === CompressionType.ZSTD) {
      const decoded = zstdDecompress(data, out);
      if (decoded.length !== out.length) throw new Error(`decoded ${decoded.length} bytes`);
      return decoded;
    }
    const n = decompressFrame(data, out);
    if (n !== out.length) throw new Error(`decoded ${n} bytes`);
    return out;
  } catch (err) {
    throw new FlightError(Code.INVALID_ARGUMENT, `${where}: cannot decompress a ${CompressionType[method]} buffer to ${length} bytes: ${(err as Error).message}`);
  }
}

/** The message with its body decompressed; `path` names the file in errors. */
export function decompressBatch(message: IpcMessage, path: string): IpcMessage {
  const where = `${path}: ${message.info.kind.replace('_', ' ')}`;
  const root = messageAccessor(message.header);
  const dictionary = message.info.kind === 'dictionary_batch' ? (root.header(new DictionaryBatch()) as DictionaryBatch) : undefined;
  const batch = dictionary ? dictionary.data() : (root.header(new FbRecordBatch()) as FbRecordBatch);
  if (!batch) throw new FlightError(Code.INVALID_ARGUMENT, `${where} has no record batch`);
  const method = batch.compression()?.codec() ?? CompressionType.LZ4_FRAME;
  const buffers: Uint8Array[] = [];
  for (let i = 0; i < batch.buffersLength(); i++) {
    const buffer = batch.buffers(i)!;
    const offset = Number(buffer.offset());
    const length = Number(buffer.length());
    if (offset + length > message.body.length) throw new FlightError(Code.INVALID_ARGUMENT, `${where}: buffer ${i} runs past the body`);
    buffers.push(decompressBuffer(method, message.body.subarray(offset, offset + length), where));
  }
  const bodyLength = buffers.reduce((at, b) => align8(at + b.length), 0);
  const body = new Uint8Array(bodyLength);
  const builder = new Builder(1024);
  FbRecordBatch.startBuffersVector(builder, buffers.length);
  const offsets: number[] = [];
  let at = 0;
  for (const b of buffers) {
    offsets.push(at);
    body.set(b, at);
    at = align8(at + b.length);
  }
  for (let i = buffers.length - 1; i >= 0; i--) FbBuffer.createBuffer(builder, BigInt(offsets[i]!), BigInt(buffers[i]!.length));
  const buffersOffset = builder.endVector();
  FbRecordBatch.startNodesVector(builder, batch.nodesLength());
  for (let i = batch.nodesLength() - 1; i >= 0; i--) {
    const node = batch.nodes(i)!;
    FieldNode.createFieldNode(builder, node.length(), node.nullCount());
  }
  const nodesOffset = builder.endVector();
  const variadic: bigint[] = [];
  for (let i = 0; i < batch.variadicBufferCountsLength(); i++) variadic.push(batch.variadicBufferCounts(i)!);
  const variadicOffset = variadic.length > 0 ? FbRecordBatch.createVariadicBufferCountsVector(builder, variadic) : 0;
  FbRecordBatch.startRecordBatch(builder);
  FbRecordBatch.addLength(builder, batch.length());
  FbRecordBatch.addNodes(builder, nodesOffset);
  FbRecordBatch.addBuffers(builder, buffersOffset);
  if (variadicOffset) FbRecordBatch.addVariadicBufferCounts(builder, variadicOffset);
  let headerOffset = FbRecordBatch.endRecordBatch(builder);
  if (dictionary) {
    DictionaryBatch.startDictionaryBatch(builder);
    DictionaryBatch.addId(builder, dictionary.id());
    DictionaryBatch.addData(builder, headerOffset);
    DictionaryBatch.addIsDelta(builder, dictionary.isDelta());
    headerOffset = DictionaryBatch.endDictionaryBatch(builder);
  }
  const kind = dictionary ? MessageHeader.DictionaryBatch : MessageHeader.RecordBatch;
  builder.finish(Message.createMessage(builder, root.version(), kind, headerOffset, BigInt(bodyLength), 0));
  const header = builder.asUint8Array();
  return { header, body, info: parseMessageHeader(header) };
}
