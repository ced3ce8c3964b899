/**
 * The grpc-timeout header: 1 to 8 ASCII digits followed by a unit, H (hours), M (minutes), S (seconds),
 * m (milliseconds), u (microseconds) or n (nanoseconds).
 *
 * A malformed value fails the call with INTERNAL, as grpc-go does ("malformed grpc-timeout"): the header
 * is written by the peer's gRPC library, not by the application, so a bad one is a protocol error
 * rather than a bad argument.
 */
import { Code, FlightError } from '../errors.js';

/** Milliseconds per unit character. */
const UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

/** How many of each unit make one millisecond, for exact arithmetic on sub-millisecond units. */
const UNITS_PER_MS: Readonly<Record<string, number>> = { u: 1e3, n: 1e6 };

/** Units from finest to coarsest, as tried by formatTimeout. */
const FORMAT_UNITS = ['n', 'u', 'm', 'S', 'M', 'H'] as const;

/** The largest value the header can carry. */
const MAX_DIGITS_VALUE = 99_999_999;

/** Parses a grpc-timeout header into milliseconds (possibly fractional); throws INTERNAL if malformed. */
export function parseTimeout(value: string): number {
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!match) {
    throw new FlightError(
      Code.INTERNAL,
      `malformed grpc-timeout ${JSON.stringify(value)}: expected 1 to 8 digits followed by one of H M S m u n`,
    );
  }
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/**
 * Formats a timeout in milliseconds with the finest unit whose value fits in 8 digits (m or coarser for
 * whole milliseconds, down to n otherwise), rounding up so that the peer never sees a shorter deadline
 * than ours. Negative timeouts format as 0; timeouts beyond 99999999 hours are capped.
 */
export function formatTimeout(ms: number): string {
  const clamped = Math.max(0, ms);
  // Whole milliseconds read best as "250m"; only fractional ones need u or n.
  const units = Number.isInteger(clamped) ? FORMAT_UNITS.slice(2) : FORMAT_UNITS;
  for (const unit of units) {
    const perMs = UNITS_PER_MS[unit];
    const exact = perMs === undefined ? clamped / UNIT_MS[unit]! : clamped * perMs;
    // Rounding away float noise first keeps 0.0015 ms at 1500n instead of 1501n.
    const count = Math.ceil(Math.round(exact * 1e6) / 1e6);
    if (count <= MAX_DIGITS_VALUE) return `${count}${unit}`;
  }
  return `${MAX_DIGITS_VALUE}H`;
}
