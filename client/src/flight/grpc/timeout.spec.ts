import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Code, FlightError } from '../errors.js';
import { formatTimeout, parseTimeout } from './timeout.js';

describe('parseTimeout', () => {
  it('parses every unit into milliseconds', () => {
    assert.deepEqual(
      ['2H', '3M', '4S', '5m', '6000u', '7000000n'].map(parseTimeout),
      [7_200_000, 180_000, 4000, 5, 6, 7],
    );
  });

  it('accepts eight digits', () => {
    assert.equal(parseTimeout('99999999m'), 99_999_999);
  });

  it('rejects malformed values with INTERNAL and the offending value', () => {
    for (const bad of ['', '5', 'm', '123456789m', '-5m', '5x', '5 m', '1.5S']) {
      assert.throws(
        () => parseTimeout(bad),
        (err: unknown) =>
          err instanceof FlightError &&
          err.code === Code.INTERNAL &&
          err.message === `malformed grpc-timeout ${JSON.stringify(bad)}: expected 1 to 8 digits followed by one of H M S m u n`,
      );
    }
  });
});

describe('formatTimeout', () => {
  it('uses milliseconds for whole milliseconds that fit in 8 digits', () => {
    assert.deepEqual([0, 1, 250, 99_999_999].map(formatTimeout), ['0m', '1m', '250m', '99999999m']);
  });

  it('moves to coarser units for long timeouts, rounding up', () => {
    assert.deepEqual([100_000_000, 100_000_001, 3_600_000 * 99_999_999].map(formatTimeout), ['100000S', '100001S', '99999999H']);
  });

  it('uses sub-millisecond units for fractional milliseconds', () => {
    assert.deepEqual([0.0015, 1.5, 0.000001].map(formatTimeout), ['1500n', '1500000n', '1n']);
  });

  it('formats negative timeouts as zero and caps huge ones', () => {
    assert.deepEqual([-5, 1e30].map(formatTimeout), ['0m', '99999999H']);
  });

  it('never shortens a timeout and stays within one unit of it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999_999 * 3_600_000 }), (ms) => {
        const text = formatTimeout(ms);
        const parsed = parseTimeout(text);
        const unitMs = parseTimeout(`1${text.slice(-1)}`);
        assert.ok(parsed >= ms, `${text} < ${ms}`);
        assert.ok(parsed - ms < unitMs, `${text} too long for ${ms}`);
      }),
    );
  });
});
