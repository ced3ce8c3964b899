/**
 * Human-readable sizes for memory limits. Units are K, M, G and T, case-insensitive, each optionally
 * followed by "B" or "iB"; all of them are powers of 1024 ("512MB" and "512MiB" are both 512 * 2^20),
 * as with JVM -Xmx and Spark, because these sizes are budgets of RAM. A bare number, or one ending
 * in "B", is bytes. Fractions are allowed and rounded down to whole bytes ("1.5g" = 1610612736).
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';

const UNIT_EXPONENTS: Record<string, number> = { '': 0, k: 1, m: 2, g: 3, t: 4 };

const SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s*(?:([kmgt])(i?b)?|(b))?$/i;

/** Parses "4GiB", "512MB", "1g" or "1073741824" into a whole number of bytes. */
export function parseSize(text: string): number {
  const match = SIZE_PATTERN.exec(text.trim());
  if (!match) {
    throw new FlightError(
      Code.INVALID_ARGUMENT,
      `invalid size ${JSON.stringify(text)}: expected a number with an optional unit K, M, G or T ` +
        `(powers of 1024, optionally followed by B or iB), e.g. 4GiB, 512MB, 1g or 1073741824`,
    );
  }
  const unit = (match[2] ?? '').toLowerCase();
  const bytes = Math.floor(Number(match[1]) * 1024 ** (UNIT_EXPONENTS[unit] ?? 0));
  if (!Number.isSafeInteger(bytes)) {
    throw new FlightError(Code.INVALID_ARGUMENT, `invalid size ${JSON.stringify(text)}: more than 2^53-1 bytes`);
  }
  return bytes;
}
