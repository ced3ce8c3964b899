/**
 * Arrow IPC messages as the store keeps them: each in one region laid out as an encapsulated message
 * (0xFFFFFFFF, int32 metadata length, flatbuffer, zero padding, body) with the body at a 64-byte
 * offset, so a region can be sent as FlightData views, written to an IPC file or mapped unchanged.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { encapsulatedHeaderLength, writeEncapsulatedHeader } from '../../client/src/flight/protocol/ipc-message.js';
import type { Arena, Region } from './allocator.js';

/** Regions start 64-byte aligned and bodies start at a 64-byte offset, as Arrow C++ pads buffers. */
export const BODY_ALIGNMENT = 64;

/** The largest flatbuffer whose padded length still fits the int32 length field. */
const MAX_FLATBUFFER_BYTES = 2 ** 31 - 1 - BODY_ALIGNMENT;

/** The kinds of message a dataset stores after its schema. */
export type MessageKind = 'record_batch' | 'dictionary_batch';

/** One encapsulated message: all of its bytes, and views of its flatbuffer and its body. */
export interface EncapsulatedMessage {
  /** The whole encapsulated message (prefix, flatbuffer, padding, body): the region's bytes. */
  readonly encapsulated: Uint8Array;
  /** The Message flatbuffer, without prefix or padding. */
  readonly header: Uint8Array;
  /** The body, 64-byte aligned; empty for a schema. */
  readonly body: Uint8Array;
}

/** A dictionary or record batch as stored; `rows` is its length as declared by the writer. */
export interface StoredMessage extends EncapsulatedMessage {
  readonly kind: MessageKind;
  readonly rows: number;
}

/** A region holding one encapsulated message whose body is still to be filled in. */
export interface EncapsulatedRegion {
  readonly region: Region;
  readonly message: EncapsulatedMessage;
}

/**
 * Allocates one region for a message with this flatbuffer and body length and writes everything but
 * the body. `what` names the message in errors (e.g. "schema").
 */
export function allocateEncapsulated(
  allocator: Pick<Arena, 'allocate'>,
  flatbuffer: Uint8Array,
  bodyLength: number,
  what: string,
): EncapsulatedRegion {
  if (!(flatbuffer instanceof Uint8Array) || flatbuffer.length === 0) {
    throw new FlightError(Code.INVALID_ARGUMENT, `${what} flatbuffer must be a non-empty Uint8Array`);
  }
  if (flatbuffer.length > MAX_FLATBUFFER_BYTES) {
    throw new FlightError(Code.INVALID_ARGUMENT, `${what} flatbuffer is ${flatbuffer.length} bytes; the limit is ${MAX_FLATBUFFER_BYTES}`);
  }
  if (!Number.isSafeInteger(bodyLength) || bodyLength < 0) {
    throw new FlightError(Code.INVALID_ARGUMENT, `${what} body length must be a non-negative integer, got ${bodyLength}`);
  }
  const bodyOffset = encapsulatedHeaderLength(flatbuffer.length, BODY_ALIGNMENT);
  const region = allocator.allocate(bodyOffset + bodyLength);
  const bytes = region.bytes;
  writeEncapsulatedHeader(bytes, flatbuffer, BODY_ALIGNMENT);
  const message: EncapsulatedMessage = Object.freeze({
    encapsulated: bytes,
    header: bytes.subarray(8, 8 + flatbuffer.length),
    body: bytes.subarray(bodyOffset),
  });
  return { region, message };
}
