/** Summary statistics for benchmark samples: the harness reports medians, never means of noisy runs. */

/** Median, minimum and maximum of a sample, plus its size. */
export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
}

function requireSamples(values: readonly number[]): void {
  if (values.length === 0) throw new RangeError('no samples');
}

/** The median: the middle value, or the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  requireSamples(values);
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The smallest value. */
export function min(values: readonly number[]): number {
  requireSamples(values);
  return Math.min(...values);
}

/** The largest value. */
export function max(values: readonly number[]): number {
  requireSamples(values);
  return Math.max(...values);
}

/** n, median, min and max of a non-empty sample. */
export function summarize(values: readonly number[]): Summary {
  return { n: values.length, median: median(values), min: min(values), max: max(values) };
}

/** numerator / denominator; a zero or non-finite denominator is a bug in the caller. */
export function ratio(numerator: number, denominator: number): number {
  if (!(Number.isFinite(denominator) && denominator !== 0)) throw new RangeError(`cannot divide by ${denominator}`);
  return numerator / denominator;
}
