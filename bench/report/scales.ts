/** Axis scales for the report's charts: data values to pixels, with round tick values and labels. */

/** A mapping from a data domain onto a pixel range, with the ticks to draw and their labels. */
export interface Scale {
  kind: 'linear' | 'log2';
  domain: readonly [number, number];
  range: readonly [number, number];
  ticks: readonly number[];
  map(value: number): number;
  label(value: number): string;
}

/** Options of linearScale. */
export interface LinearOptions {
  /** At most this many tick intervals (the step is the smallest 1/2/5 x 10^k that fits). */
  maxTicks?: number;
  /** Ticks at whole numbers only (counts such as readers or columns). */
  integer?: boolean;
}

/** The smallest step of the form 1, 2 or 5 x 10^k that splits span into at most maxTicks intervals. */
export function niceStep(span: number, maxTicks: number): number {
  if (!(span > 0 && Number.isFinite(span))) throw new RangeError(`span must be positive, got ${span}`);
  if (!(Number.isInteger(maxTicks) && maxTicks > 0)) throw new RangeError(`maxTicks must be a positive integer, got ${maxTicks}`);
  const raw = span / maxTicks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalized = raw / magnitude;
  // A float error can leave normalized a hair above 1, 2 or 5; round first so 0.3/3 picks 0.1.
  const n = Number(normalized.toPrecision(12));
  const factor = n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10;
  return factor * magnitude;
}

function decimalsOf(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/**
 * A linear scale whose domain covers [min, max] widened to whole steps. A single value v gets the
 * domain [max(0, v - 1), v + 1] when v >= 0, so one measurement still has axes around it.
 */
export function linearScale(min: number, max: number, range: readonly [number, number], options: LinearOptions = {}): Scale {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) throw new RangeError(`bad domain [${min}, ${max}]`);
  let lo = min;
  let hi = max;
  if (lo === hi) {
    lo = lo >= 0 ? Math.max(0, lo - 1) : lo - 1;
    hi += 1;
  }
  let step = niceStep(hi - lo, options.maxTicks ?? 5);
  if (options.integer) step = Math.max(1, step);
  const decimals = decimalsOf(step);
  const round = (value: number): number => Number(value.toFixed(decimals));
  // toPrecision drops float noise (2.9999999999 steps is 3 steps) before rounding to whole steps.
  const first = Math.floor(Number((lo / step).toPrecision(12)));
  const last = Math.ceil(Number((hi / step).toPrecision(12)));
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(round(k * step) + 0);
  const domain: [number, number] = [ticks[0]!, ticks[ticks.length - 1]!];
  const [r0, r1] = range;
  return {
    kind: 'linear',
    domain,
    range,
    ticks,
    map: (value) => r0 + ((value - domain[0]) / (domain[1] - domain[0])) * (r1 - r0),
    label: (value) => value.toFixed(decimals),
  };
}

/** A count as 64Ki / 1Mi when it is a whole multiple of 2^10 / 2^20, else as a plain integer. */
export function formatBinaryCount(value: number): string {
  if (value >= 2 ** 20 && value % 2 ** 20 === 0) return `${value / 2 ** 20}Mi`;
  if (value >= 2 ** 10 && value % 2 ** 10 === 0) return `${value / 2 ** 10}Ki`;
  return String(value);
}

/**
 * A base-2 logarithmic scale over whole powers of two around [min, max] (a single value gets one
 * power either side). Ticks are powers of two, thinned to at most maxTicks + 1 labels.
 */
export function log2Scale(min: number, max: number, range: readonly [number, number], maxTicks = 8): Scale {
  if (!(min > 0) || !Number.isFinite(max) || min > max) throw new RangeError(`bad log2 domain [${min}, ${max}]`);
  let lo = Math.floor(Math.log2(min));
  let hi = Math.ceil(Math.log2(max));
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  const stride = Math.ceil((hi - lo) / maxTicks);
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e += stride) ticks.push(2 ** e);
  const [r0, r1] = range;
  return {
    kind: 'log2',
    domain: [2 ** lo, 2 ** hi],
    range,
    ticks,
    map: (value) => r0 + ((Math.log2(value) - lo) / (hi - lo)) * (r1 - r0),
    label: formatBinaryCount,
  };
}
