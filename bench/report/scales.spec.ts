import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { formatBinaryCount, linearScale, log2Scale, niceStep } from './scales.js';

test('niceStep picks the smallest 1, 2 or 5 times a power of ten that fits the tick budget', () => {
  assert.equal(niceStep(10, 5), 2);
  assert.equal(niceStep(2.66, 5), 1);
  assert.equal(niceStep(0.3, 3), 0.1);
  assert.equal(niceStep(7, 5), 2);
  assert.equal(niceStep(1200, 4), 500);
});

test('niceStep rejects an empty span and a non-integer tick budget', () => {
  assert.throws(() => niceStep(0, 5), RangeError);
  assert.throws(() => niceStep(1, 2.5), RangeError);
});

test('linearScale widens the domain to whole steps and maps its ends onto the range', () => {
  const y = linearScale(0, 2.66, [340, 52]);
  assert.deepEqual(y.ticks, [0, 1, 2, 3]);
  assert.deepEqual(y.domain, [0, 3]);
  assert.equal(y.map(0), 340);
  assert.equal(y.map(3), 52);
  assert.equal(y.map(1.5), 196);
});

test('linearScale labels ticks with the decimals of its step, without float noise', () => {
  const y = linearScale(0, 0.3, [0, 100]);
  assert.deepEqual(y.ticks, [0, 0.1, 0.2, 0.3]);
  assert.deepEqual(y.ticks.map(y.label), ['0.0', '0.1', '0.2', '0.3']);
});

test('linearScale around a single count gives whole-number ticks one step either side', () => {
  const x = linearScale(1, 1, [0, 100], { integer: true });
  assert.deepEqual(x.ticks, [0, 1, 2]);
  assert.equal(x.map(1), 50);
});

test('linearScale rejects a reversed or non-finite domain', () => {
  assert.throws(() => linearScale(2, 1, [0, 1]), RangeError);
  assert.throws(() => linearScale(0, Number.NaN, [0, 1]), RangeError);
});

test('linearScale ticks cover the data, are evenly spaced, and stay within the tick budget plus one', () => {
  fc.assert(
    fc.property(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.double({ min: 1e-3, max: 1e6, noNaN: true }), fc.integer({ min: 1, max: 10 }), (lo, span, maxTicks) => {
      const hi = lo + span;
      const s = linearScale(lo, hi, [0, 1], { maxTicks });
      const step = s.ticks[1]! - s.ticks[0]!;
      // Ticks are whole steps after dropping float noise beyond 12 significant digits of value/step.
      const slack = step * 1e-6;
      assert.ok(s.ticks[0]! <= lo + slack && s.ticks[s.ticks.length - 1]! >= hi - slack, `${s.ticks} for [${lo}, ${hi}]`);
      assert.ok(s.ticks.length - 1 <= maxTicks + 1, `${s.ticks.length} ticks for ${maxTicks}`);
      for (let i = 1; i < s.ticks.length; i++) assert.ok(Math.abs(s.ticks[i]! - s.ticks[i - 1]! - step) <= slack);
    }),
  );
});

test('log2Scale spans whole powers of two and maps them evenly', () => {
  const x = log2Scale(1024, 65536, [0, 60]);
  assert.deepEqual(x.domain, [1024, 65536]);
  assert.deepEqual(x.ticks, [1024, 2048, 4096, 8192, 16384, 32768, 65536]);
  assert.equal(x.map(1024), 0);
  assert.equal(x.map(8192), 30);
  assert.equal(x.label(65536), '64Ki');
});

test('log2Scale thins its ticks to the budget and pads a single value by one power each side', () => {
  assert.deepEqual(log2Scale(1, 2 ** 20, [0, 1], 5).ticks, [1, 16, 256, 4096, 65536, 2 ** 20]);
  assert.deepEqual(log2Scale(4096, 4096, [0, 1]).ticks, [2048, 4096, 8192]);
});

test('log2Scale rejects zero and negative values', () => {
  assert.throws(() => log2Scale(0, 8, [0, 1]), RangeError);
});

test('formatBinaryCount writes whole multiples of 2^10 and 2^20 as Ki and Mi', () => {
  assert.deepEqual([1000, 1024, 1536, 65536, 2 ** 20, 3 * 2 ** 20].map(formatBinaryCount), ['1000', '1Ki', '1536', '64Ki', '1Mi', '3Mi']);
});
