/** The flatbuffer Message header of an Arrow IPC RecordBatch, written from its field nodes and buffers. */
import { Builder } from 'flatbuffers';
import { Buffer as FbBuffer } from 'apache-arrow/fb/buffer';
import { FieldNode } from 'apache-arrow/fb/field-node';
import { Message } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import type { MetadataVersion } from 'apache-arrow/fb/metadata-version';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';

/** A RecordBatch's layout: per field node its length and null count, per buffer its offset and length in the body. */
export interface BatchLayout {
  readonly nodeLength: ArrayLike<number>;
  readonly nodeNulls: ArrayLike<number>;
  readonly bufferOffset: ArrayLike<number>;
  readonly bufferLength: ArrayLike<number>;
}

/** The Message flatbuffer of a RecordBatch of `rows` rows and a body of `bodyLength` bytes. */
export function recordBatchHeader(version: MetadataVersion, rows: number, layout: BatchLayout, bodyLength: number): Uint8Array {
  const nodes = layout.nodeLength.length;
  const buffers = layout.bufferOffset.length;
  const builder = new Builder(256 + 16 * nodes + 16 * buffers);
  FbRecordBatch.startNodesVector(builder, nodes);
  for (let i = nodes - 1; i >= 0; i--) FieldNode.createFieldNode(builder, BigInt(layout.nodeLength[i]!), BigInt(layout.nodeNulls[i]!));
  const nodesOffset = builder.endVector();
  FbRecordBatch.startBuffersVector(builder, buffers);
  for (let i = buffers - 1; i >= 0; i--) FbBuffer.createBuffer(builder, BigInt(layout.bufferOffset[i]!), BigInt(layout.bufferLength[i]!));
  const buffersOffset = builder.endVector();
  FbRecordBatch.startRecordBatch(builder);
  FbRecordBatch.addLength(builder, BigInt(rows));
  FbRecordBatch.addNodes(builder, nodesOffset);
  FbRecordBatch.addBuffers(builder, buffersOffset);
  const batchOffset = FbRecordBatch.endRecordBatch(builder);
  builder.finish(Message.createMessage(builder, version, MessageHeader.RecordBatch, batchOffset, BigInt(bodyLength), 0));
  return builder.asUint8Array();
}
