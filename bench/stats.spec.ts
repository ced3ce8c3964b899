import assert from 'node:assert/strict';
import { test } from 'node:test';

import { max, median, min, ratio, summarize } from './stats.js';

test('median of an odd count is the middle value regardless of input order', () => {
  assert.equal(median([5, 1, 3]), 3);
});

test('median of an even count is the mean of the two middle values', () => {
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test('median does not reorder the caller array', () => {
  const values = [3, 1, 2];
  median(values);
  assert.deepEqual(values, [3, 1, 2]);
});

test('summarize reports n, median, min and max', () => {
  assert.deepEqual(summarize([1.5, 0.5, 1, 2]), { n: 4, median: 1.25, min: 0.5, max: 2 });
});

test('statistics of an empty sample throw a RangeError', () => {
  for (const fn of [median, min, max, summarize]) assert.throws(() => fn([]), RangeError);
});

test('ratio divides and rejects a zero denominator', () => {
  assert.equal(ratio(3, 4), 0.75);
  assert.throws(() => ratio(1, 0), /cannot divide by 0/);
});
