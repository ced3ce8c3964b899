/**
 * Row selections as runs of consecutive rows of one source, and bit-level copies between
 * bitmaps. Runs let a slice or a re-chunk copy whole byte ranges, while a shuffle degrades
 * gracefully to runs of one row; nested children inherit runs (one per parent run for lists).
 */

/** Runs of consecutive rows: run i is rows [start[i], start[i] + length[i]) of source[i], in output order. */
export class Runs {
  source: Uint32Array;
  start: Float64Array;
  length: Float64Array;
  count = 0;
  /** Rows over all runs. */
  total = 0;

  constructor(capacity = 8) {
    this.source = new Uint32Array(capacity);
    this.start = new Float64Array(capacity);
    this.length = new Float64Array(capacity);
  }

  /** Appends rows [start, start + length) of `source`, merging with the last run when they continue it. */
  push(source: number, start: number, length: number): void {
    if (length === 0) return;
    this.total += length;
    const last = this.count - 1;
    if (last >= 0 && this.source[last] === source && this.start[last]! + this.length[last]! === start) {
      this.length[last] += length;
      return;
    }
    if (this.count === this.source.length) this.grow();
    this.source[this.count] = source;
    this.start[this.count] = start;
    this.length[this.count] = length;
    this.count++;
  }

  /** The runs of a fixed-size list's children: each run scaled by the list size, in one pass (no merging). */
  scaled(factor: number): Runs {
    const out = new Runs(Math.max(this.count, 1));
    for (let r = 0; r < this.count; r++) {
      out.source[r] = this.source[r]!;
      out.start[r] = this.start[r]! * factor;
      out.length[r] = this.length[r]! * factor;
    }
    out.count = this.count;
    out.total = this.total * factor;
    return out;
  }

  private grow(): void {
    const capacity = this.source.length * 2;
    const source = new Uint32Array(capacity);
    const start = new Float64Array(capacity);
    const length = new Float64Array(capacity);
    source.set(this.source);
    start.set(this.start);
    length.set(this.length);
    this.source = source;
    this.start = start;
    this.length = length;
  }
}

/** Zero bits in each byte value. */
const ZERO_BITS = new Uint8Array(256);
for (let byte = 0; byte < 256; byte++) {
  let ones = 0;
  for (let b = byte; b !== 0; b >>= 1) ones += b & 1;
  ZERO_BITS[byte] = 8 - ones;
}

/** Zero bits among the first `bits` bits of a bitmap (bits past them are ignored). */
export function countZeroBits(bitmap: Uint8Array, bits: number): number {
  const whole = bits >>> 3;
  let zeros = 0;
  for (let i = 0; i < whole; i++) zeros += ZERO_BITS[bitmap[i]!]!;
  const rest = bits & 7;
  if (rest > 0) zeros += rest - (8 - ZERO_BITS[bitmap[whole]! & ((1 << rest) - 1)]!);
  return zeros;
}

/**
 * ORs `bits` bits of `src` from bit `srcBit` into `dst` from bit `dstBit`; `dst` must be zero there.
 * Whole destination bytes are assembled from two source bytes, so long runs cost a byte per 8 rows.
 */
export function copyBits(dst: Uint8Array, dstBit: number, src: Uint8Array, srcBit: number, bits: number): void {
  let n = bits;
  let d = dstBit;
  let s = srcBit;
  while (n > 0 && (d & 7) !== 0) {
    dst[d >>> 3] |= ((src[s >>> 3]! >>> (s & 7)) & 1) << (d & 7);
    d++;
    s++;
    n--;
  }
  const bytes = n >>> 3;
  const shift = s & 7;
  let at = d >>> 3;
  let from = s >>> 3;
  if (shift === 0) {
    dst.set(src.subarray(from, from + bytes), at);
  } else {
    for (let i = 0; i < bytes; i++, at++, from++) {
      // The byte after the last one read may lie past the bitmap only when no bit of it is needed.
      const next = from + 1 < src.length ? src[from + 1]! : 0;
      dst[at] = ((src[from]! >>> shift) | (next << (8 - shift))) & 0xff;
    }
  }
  d += bytes * 8;
  s += bytes * 8;
  n -= bytes * 8;
  for (; n > 0; n--, d++, s++) dst[d >>> 3] |= ((src[s >>> 3]! >>> (s & 7)) & 1) << (d & 7);
}

/** Sets `bits` bits of `dst` from bit `dstBit`. */
export function setBits(dst: Uint8Array, dstBit: number, bits: number): void {
  let n = bits;
  let d = dstBit;
  for (; n > 0 && (d & 7) !== 0; n--, d++) dst[d >>> 3] |= 1 << (d & 7);
  const bytes = n >>> 3;
  dst.fill(0xff, d >>> 3, (d >>> 3) + bytes);
  d += bytes * 8;
  n -= bytes * 8;
  for (; n > 0; n--, d++) dst[d >>> 3] |= 1 << (d & 7);
}
