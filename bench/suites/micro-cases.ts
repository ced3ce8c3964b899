/**
 * The cases of the micro suite: flightcache's hot paths on one 2 MiB record batch (4 int64 + 4 float32
 * columns), each next to the plain-Node baseline it should approach where one exists.
 */
import { Float32, Int64, makeData, RecordBatch, Schema, Field, Struct, Table } from 'apache-arrow';

import { FrameDecoder } from '../../client/src/flight/grpc/frame-decoder.js';
import { frameMessage } from '../../client/src/flight/grpc/frame-encoder.js';
import type { MessageSink } from '../../client/src/flight/grpc/method.js';
import { encodeTable } from '../../client/src/flight/protocol/arrow-codec.js';
import { decodeFlightInfo, encodeFlightInfo } from '../../client/src/flight/protocol/codec.js';
import { encodeFlightData, FlightDataSink, type BodyAllocator } from '../../client/src/flight/protocol/flight-data.js';
import { encapsulate } from '../../client/src/flight/protocol/ipc-message.js';
import { DescriptorType, type FlightInfo, type OutgoingFlightData } from '../../client/src/flight/protocol/messages.js';
import { NativeAllocator } from '../../cache-server/storage/allocator.js';
import { allocateEncapsulated } from '../../cache-server/storage/stored-message.js';
import { allocate as allocateNative } from '../../native/lib/addon.js';

/** One micro benchmark. */
export interface MicroCase {
  name: string;
  /** What one operation does. */
  description: string;
  fn: () => void;
  /** Bytes one operation moves, when GB/s means something (undefined otherwise). */
  bytesPerOp?: number;
  /** The case this one is compared with (ratio = this / baseline ops/s). */
  baseline?: string;
  /**
   * Yield to the event loop after every operation: native regions are freed by finalizers that only
   * run between event-loop turns, so a synchronous loop of allocations would never free any.
   */
  yields?: boolean;
}

/** Rows of the 2 MiB batch: 48 bytes per row. */
export const MESSAGE_ROWS = 43_690;
/** Slice size a message arrives in (a typical socket read). */
export const SLICE_BYTES = 64 * 1024;

// Results land here so that no case's work can be optimized away.
let sink: unknown;

/** The last value a case produced (keeps results observable). */
export function lastResult(): unknown {
  return sink;
}

function sampleBatch(rows: number): { schema: Schema; batch: RecordBatch } {
  const fields = [
    ...[0, 1, 2, 3].map((i) => new Field(`i${i}`, new Int64(), false)),
    ...[0, 1, 2, 3].map((i) => new Field(`f${i}`, new Float32(), false)),
  ];
  const children = fields.map((field, i) =>
    field.type instanceof Int64
      ? makeData({ type: new Int64(), length: rows, data: BigInt64Array.from({ length: rows }, (_, r) => BigInt(r * (i + 1))) })
      : makeData({ type: new Float32(), length: rows, data: Float32Array.from({ length: rows }, (_, r) => r / (i + 1)) }),
  );
  const schema = new Schema(fields);
  const data = makeData({ type: new Struct(fields), length: rows, children });
  return { schema, batch: new RecordBatch(schema, data) };
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function slices(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) out.push(bytes.subarray(offset, offset + size));
  return out;
}

class CountingSink implements MessageSink<number> {
  private bytes = 0;
  begin(): void {
    this.bytes = 0;
  }
  push(slice: Uint8Array): void {
    this.bytes += slice.length;
  }
  end(): number {
    return this.bytes;
  }
}

const nativeBody: BodyAllocator = (_header, length) => new Uint8Array(allocateNative(length));

/** Builds every case over one shared 2 MiB batch. */
export function microCases(): MicroCase[] {
  const { batch } = sampleBatch(MESSAGE_ROWS);
  const [schemaMessage, batchMessage] = [...encodeTable(new Table([batch]))] as [OutgoingFlightData, OutgoingFlightData];
  const body = concat(batchMessage.body);
  const wire = concat(encodeFlightData(batchMessage));
  const wireSlices = slices(wire, SLICE_BYTES);
  const framed = slices(concat(frameMessage(encodeFlightData(batchMessage))), SLICE_BYTES);
  const info: FlightInfo = {
    schema: encapsulate(schemaMessage.dataHeader),
    flightDescriptor: { type: DescriptorType.PATH, cmd: new Uint8Array(), path: ['epoch'] },
    endpoints: [{ ticket: { ticket: new TextEncoder().encode('epoch\u0000v1\u0000shard-0') }, locations: [{ uri: 'grpc://127.0.0.1:47011' }], appMetadata: new Uint8Array() }],
    totalRecords: BigInt(MESSAGE_ROWS),
    totalBytes: BigInt(body.length),
    ordered: true,
    appMetadata: new Uint8Array(),
  };
  const infoBytes = encodeFlightInfo(info);
  const copyTarget = new Uint8Array(body.length);
  const storage = new NativeAllocator();
  const decodeWith = (allocate?: BodyAllocator) => () => {
    const decoder = new FlightDataSink(allocate);
    decoder.begin(wire.length);
    for (const slice of wireSlices) decoder.push(slice);
    sink = decoder.end();
  };
  const frames = (newSink: () => MessageSink<unknown>) => () => {
    const decoder = new FrameDecoder(newSink, (message) => (sink = message));
    for (const slice of framed) decoder.push(slice);
    decoder.finish();
  };
  const mib = (body.length / 2 ** 20).toFixed(2);
  return [
    { name: 'memcpy', description: `Uint8Array.set of ${mib} MiB (baseline of every copy below)`, fn: () => copyTarget.set(body), bytesPerOp: body.length },
    { name: 'flightdata-encode', description: 'encodeFlightData of the batch: head buffer + body chunks, no body copy', fn: () => (sink = encodeFlightData(batchMessage)) },
    { name: 'flightdata-decode', description: `FlightDataSink over ${SLICE_BYTES / 1024} KiB slices, body copied once into Buffer.allocUnsafeSlow`, fn: decodeWith(), bytesPerOp: wire.length, baseline: 'memcpy' },
    { name: 'flightdata-decode-native', description: 'the same into native 64-byte-aligned memory (addon allocate)', fn: decodeWith(nativeBody), bytesPerOp: wire.length, baseline: 'memcpy', yields: true },
    { name: 'flightinfo-encode', description: `encodeFlightInfo: 8-column schema, 1 endpoint (${infoBytes.length} bytes)`, fn: () => (sink = encodeFlightInfo(info)) },
    { name: 'flightinfo-decode', description: `decodeFlightInfo of those ${infoBytes.length} bytes`, fn: () => (sink = decodeFlightInfo(infoBytes)) },
    { name: 'grpc-frame-encode', description: 'frameMessage: 5-byte prefix merged with the small head, body passed through', fn: () => (sink = frameMessage(encodeFlightData(batchMessage))) },
    { name: 'grpc-frame-decode', description: 'FrameDecoder over 64 KiB slices into a counting sink (framing alone)', fn: frames(() => new CountingSink()), bytesPerOp: wire.length + 5 },
    { name: 'grpc-frame-decode-flightdata', description: 'FrameDecoder + FlightDataSink: the whole receive path of one message', fn: frames(() => new FlightDataSink()), bytesPerOp: wire.length + 5, baseline: 'memcpy' },
    { name: 'alloc-buffer', description: `Buffer.allocUnsafeSlow(${mib} MiB) (baseline)`, fn: () => (sink = Buffer.allocUnsafeSlow(body.length)) },
    { name: 'alloc-native', description: `addon allocate(${mib} MiB): 64-byte-aligned external ArrayBuffer`, fn: () => (sink = allocateNative(body.length)), baseline: 'alloc-buffer', yields: true },
    {
      name: 'storage-message-fill',
      description: 'allocateEncapsulated (NativeAllocator) + body.set + release: storing one message',
      fn: () => {
        const { region, message } = allocateEncapsulated(storage, batchMessage.dataHeader, body.length, 'bench batch');
        message.body.set(body);
        region.release();
        sink = message;
      },
      bytesPerOp: body.length,
      baseline: 'memcpy',
      yields: true,
    },
  ];
}
