/**
 * The Node consumer of the epoch suite, the twin of bench/py/epoch_common.py's Tally: counts rows and
 * value bytes and sums every column's values as uint32 words mod 2**32, touching every byte once.
 */
import type { Data, RecordBatch } from 'apache-arrow';

/** Sum of the bytes' little-endian 32-bit words, mod 2**32; the view must start 4-byte aligned. */
export function wordChecksum(bytes: Uint8Array): number {
  if (bytes.byteOffset % 4 !== 0 || bytes.byteLength % 4 !== 0) {
    throw new RangeError(`cannot checksum ${bytes.byteLength} bytes at offset ${bytes.byteOffset}: not whole aligned 32-bit words`);
  }
  // Int32 words keep the loop in V8's int32 arithmetic; the sum mod 2**32 is the same as for uint32.
  const words = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  let sum = 0;
  for (let i = 0; i < words.length; i++) sum = (sum + words[i]!) | 0;
  return sum >>> 0;
}

/**
 * The value bytes of a fixed-width, null-free column: apache-arrow already slices `values` to the
 * column's window (Data.offset only matters for bitmaps), so these are its first length * width bytes.
 */
export function valueBytes(data: Data): Uint8Array {
  if (data.nullCount > 0) throw new RangeError(`the epoch data has no nulls; a column has ${data.nullCount}`);
  const values = data.values as unknown;
  if (!ArrayBuffer.isView(values) || !('BYTES_PER_ELEMENT' in values)) {
    throw new TypeError(`column of type ${String(data.type)} has no fixed-width values`);
  }
  const width = (values.BYTES_PER_ELEMENT as number) * data.stride;
  return new Uint8Array(values.buffer, values.byteOffset, data.length * width);
}

/** Rows, value bytes, batches and checksum of everything one epoch read. */
export class NodeTally {
  rows = 0;
  bytes = 0;
  batches = 0;
  checksum = 0;

  /** Counts a batch and folds every column into the checksum. */
  addBatch(batch: RecordBatch): void {
    this.rows += batch.numRows;
    this.batches += 1;
    for (const column of batch.data.children) {
      const bytes = valueBytes(column);
      this.bytes += bytes.byteLength;
      this.checksum = (this.checksum + wordChecksum(bytes)) % 2 ** 32;
    }
  }
}
