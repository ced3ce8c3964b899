/**
 * How a dataset is cut into partitions: runs of consecutive record batches of about equal bytes, so
 * that shards hold similar amounts and a rank's contiguous share touches few partitions.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';

/** A partition as the half-open range [from, to) of batch indexes. */
export interface BatchRange {
  readonly from: number;
  readonly to: number;
}

/** Partitions larger than this are split further by default (128 MiB keeps refill copies short). */
export const DEFAULT_MAX_PARTITION_BYTES = 128 * 1024 * 1024;

/** First index i with values[i] >= x (values ascending); values.length when none. */
function lowerBound(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index i with values[i] > x (values ascending); values.length when none. */
function upperBound(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Splits consecutive record batches with these byte sizes into `count` contiguous partitions balanced by bytes (each non-empty; count is clamped to [1, batches]); returns [from, to) batch ranges covering all batches in order, none for zero batches. */
export function partitionByBytes(batchBytes: readonly number[], count: number): BatchRange[] {
  const n = batchBytes.length;
  batchBytes.forEach((bytes, i) => {
    if (!Number.isFinite(bytes) || bytes < 0) {
      throw new FlightError(Code.INVALID_ARGUMENT, `batch ${i} has an invalid byte size ${bytes}: expected a finite number >= 0`);
    }
  });
  if (Number.isNaN(count)) throw new FlightError(Code.INVALID_ARGUMENT, 'the partition count must be a number, got NaN');
  if (n === 0) return [];
  const parts = Math.min(n, Math.max(1, Math.floor(count)));
  // cumulative[i] = bytes of batches [0, i): boundary i cuts before batch i.
  const cumulative = new Array<number>(n + 1);
  cumulative[0] = 0;
  for (let i = 0; i < n; i++) cumulative[i + 1] = cumulative[i]! + batchBytes[i]!;
  const total = cumulative[n]!;
  const ranges: BatchRange[] = [];
  let from = 0;
  for (let k = 1; k < parts; k++) {
    const target = (k * total) / parts;
    // The boundary value nearest the byte target: the last one below it or the first one at/above it.
    const above = lowerBound(cumulative, target);
    let value = cumulative[above]!;
    if (above > 0 && target - cumulative[above - 1]! <= value - target) value = cumulative[above - 1]!;
    // Zero-byte batches make several boundaries share that value: take the one nearest an even split by count.
    const first = lowerBound(cumulative, value);
    const last = upperBound(cumulative, value) - 1;
    let cut = Math.min(last, Math.max(first, Math.round((k * n) / parts)));
    // Keep this partition and each one still to come non-empty.
    cut = Math.min(n - (parts - k), Math.max(from + 1, cut));
    ranges.push({ from, to: cut });
    from = cut;
  }
  ranges.push({ from, to: n });
  return ranges;
}

/** The default partition count for a dataset: shards * 4, more when needed to keep partitions under maxPartitionBytes, never more than the batch count, at least 1. */
export function defaultPartitionCount(
  totalBytes: number,
  batchCount: number,
  shards: number,
  maxPartitionBytes: number = DEFAULT_MAX_PARTITION_BYTES,
): number {
  const checks: Array<[string, number, number]> = [
    ['total bytes', totalBytes, 0],
    ['batch count', batchCount, 0],
    ['shard count', shards, 1],
    ['maximum partition bytes', maxPartitionBytes, 1],
  ];
  for (const [name, value, min] of checks) {
    if (!Number.isFinite(value) || value < min) {
      throw new FlightError(Code.INVALID_ARGUMENT, `the ${name} must be a finite number >= ${min}, got ${value}`);
    }
  }
  const wanted = Math.max(shards * 4, Math.ceil(totalBytes / maxPartitionBytes));
  return Math.max(1, Math.min(wanted, Math.floor(batchCount)));
}
