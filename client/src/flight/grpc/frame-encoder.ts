/**
 * Frames one gRPC message: a 5-byte prefix (compressed flag 0, uint32 big-endian total length) in front
 * of the message's chunks. Large chunks are passed through untouched (they are written to the socket
 * as they are); only small leading chunks are merged with the prefix so that a typical message costs
 * one small write plus one write per large buffer.
 */
import { Code, FlightError } from '../errors.js';
import { PREFIX_BYTES } from './frame-decoder.js';

/** Leading chunks are merged into the prefix while the merged buffer stays at most this long. */
export const MERGE_LIMIT_BYTES = 4096;

/** The largest length a gRPC prefix can express. */
const MAX_FRAMED_BYTES = 0xffff_ffff;

/** Returns the prefix followed by the message's chunks, without copying any chunk larger than MERGE_LIMIT_BYTES. */
export function frameMessage(chunks: readonly Uint8Array[]): Uint8Array[] {
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  if (total > MAX_FRAMED_BYTES) {
    throw new FlightError(
      Code.RESOURCE_EXHAUSTED,
      `message of ${total} bytes exceeds the gRPC limit of ${MAX_FRAMED_BYTES} bytes per message`,
    );
  }
  let merged = PREFIX_BYTES;
  let lead = 0;
  while (lead < chunks.length && merged + chunks[lead]!.length <= MERGE_LIMIT_BYTES) {
    merged += chunks[lead]!.length;
    lead++;
  }
  const head = new Uint8Array(merged);
  head[0] = 0;
  new DataView(head.buffer).setUint32(1, total, false);
  let offset = PREFIX_BYTES;
  for (let i = 0; i < lead; i++) {
    head.set(chunks[i]!, offset);
    offset += chunks[i]!.length;
  }
  const out: Uint8Array[] = [head];
  for (let i = lead; i < chunks.length; i++) {
    if (chunks[i]!.length > 0) out.push(chunks[i]!);
  }
  return out;
}
