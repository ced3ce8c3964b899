import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_MAX_PARTITION_BYTES, defaultPartitionCount, partitionByBytes } from './partitioning.js';
import { Code } from '../../client/src/flight/errors.js';

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

test('equal batches split evenly', () => {
  assert.deepEqual(partitionByBytes([10, 10, 10, 10, 10, 10], 3), [
    { from: 0, to: 2 },
    { from: 2, to: 4 },
    { from: 4, to: 6 },
  ]);
});

test('cuts follow bytes, not batch counts', () => {
  assert.deepEqual(partitionByBytes([100, 1, 1, 1, 1, 96], 2), [
    { from: 0, to: 1 },
    { from: 1, to: 6 },
  ]);
  assert.deepEqual(partitionByBytes([1, 1, 1, 1, 1, 1, 1, 1, 8], 2), [
    { from: 0, to: 8 },
    { from: 8, to: 9 },
  ]);
});

test('one huge batch still leaves every partition non-empty', () => {
  assert.deepEqual(partitionByBytes([1000, 1, 1, 1], 4), [
    { from: 0, to: 1 },
    { from: 1, to: 2 },
    { from: 2, to: 3 },
    { from: 3, to: 4 },
  ]);
});

test('zero-byte batches are split evenly by count', () => {
  assert.deepEqual(partitionByBytes([0, 0, 0, 0, 0, 0], 3), [
    { from: 0, to: 2 },
    { from: 2, to: 4 },
    { from: 4, to: 6 },
  ]);
});

test('the count is clamped to between 1 and the batch count', () => {
  assert.deepEqual(partitionByBytes([5, 5], 7), [
    { from: 0, to: 1 },
    { from: 1, to: 2 },
  ]);
  assert.deepEqual(partitionByBytes([5, 5], 0), [{ from: 0, to: 2 }]);
  assert.deepEqual(partitionByBytes([5, 5], -3), [{ from: 0, to: 2 }]);
  assert.deepEqual(partitionByBytes([], 4), []);
});

test('negative or non-finite batch sizes are INVALID_ARGUMENT', () => {
  assert.throws(() => partitionByBytes([1, -1], 2), {
    code: Code.INVALID_ARGUMENT,
    message: 'batch 1 has an invalid byte size -1: expected a finite number >= 0',
  });
  assert.throws(() => partitionByBytes([Infinity], 1), { code: Code.INVALID_ARGUMENT });
  assert.throws(() => partitionByBytes([1], NaN), { code: Code.INVALID_ARGUMENT, message: 'the partition count must be a number, got NaN' });
});

test('partitions cover every batch once, in order, non-empty, as many as promised, none above ideal + largest batch', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.nat(1_000_000), fc.constant(0), fc.nat(10)), { minLength: 1, maxLength: 300 }),
      fc.integer({ min: -2, max: 400 }),
      (batches, count) => {
        const ranges = partitionByBytes(batches, count);
        assert.equal(ranges.length, Math.min(batches.length, Math.max(1, count)));
        let next = 0;
        for (const range of ranges) {
          assert.equal(range.from, next);
          assert.ok(range.to > range.from);
          next = range.to;
        }
        assert.equal(next, batches.length);
        const ideal = sum(batches) / ranges.length;
        const largest = Math.max(...batches);
        for (const range of ranges) {
          assert.ok(sum(batches.slice(range.from, range.to)) <= ideal + largest);
        }
      },
    ),
    { numRuns: 500 },
  );
});

test('the default count gives each shard four partitions', () => {
  assert.equal(defaultPartitionCount(10_000, 1000, 3), 12);
});

test('the default count grows so that partitions stay under the maximum size', () => {
  assert.equal(defaultPartitionCount(10 * DEFAULT_MAX_PARTITION_BYTES + 1, 1000, 2), 11);
  assert.equal(defaultPartitionCount(1000, 1000, 2, 10), 100);
});

test('the default count never exceeds the batch count and is at least 1', () => {
  assert.equal(defaultPartitionCount(10_000, 5, 4), 5);
  assert.equal(defaultPartitionCount(0, 0, 4), 1);
});

test('invalid inputs to the default count are INVALID_ARGUMENT', () => {
  assert.throws(() => defaultPartitionCount(-1, 5, 4), { code: Code.INVALID_ARGUMENT, message: 'the total bytes must be a finite number >= 0, got -1' });
  assert.throws(() => defaultPartitionCount(1, 5, 0), { code: Code.INVALID_ARGUMENT, message: 'the shard count must be a finite number >= 1, got 0' });
  assert.throws(() => defaultPartitionCount(1, 5, 1, 0), {
    code: Code.INVALID_ARGUMENT,
    message: 'the maximum partition bytes must be a finite number >= 1, got 0',
  });
});
