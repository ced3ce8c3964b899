import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { batchAt, dropPrefix, rankShare, resplit, shareLength, sliceShare, splitRange, type BatchRange } from './shares.js';

/** The batch indices a list of ranges covers, in order. */
const indices = (ranges: readonly BatchRange[]): number[] => ranges.flatMap((r) => Array.from({ length: r.to - r.from }, (_, i) => r.from + i));
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

test('the shares of all ranks are contiguous, disjoint, cover every batch once in order and differ by at most one', () => {
  fc.assert(
    fc.property(fc.nat(500), fc.integer({ min: 1, max: 64 }), (count, world) => {
      const shares = range(world).map((rank) => rankShare(count, rank, world));
      assert.deepEqual(shares.flatMap(indices), range(count));
      for (const share of shares) assert.ok(share.length <= 1);
      const sizes = shares.map(shareLength);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
    }),
  );
});

test('7 batches over 3 ranks are 0-2, 3-4 and 5-6; 2 batches over 3 ranks leave the last one empty', () => {
  assert.deepEqual([0, 1, 2].map((rank) => splitRange(7, rank, 3)), [
    { from: 0, to: 3 },
    { from: 3, to: 5 },
    { from: 5, to: 7 },
  ]);
  assert.deepEqual(rankShare(2, 2, 3), []);
});

test('slicing, indexing and dropping a prefix agree with the flat index sequence', () => {
  const ranges = fc.array(fc.tuple(fc.nat(100), fc.nat(10)).map(([from, length]) => ({ from, to: from + length })), { maxLength: 6 });
  fc.assert(
    fc.property(ranges, fc.nat(60), fc.nat(60), (share, a, b) => {
      const flat = indices(share);
      assert.deepEqual(indices(sliceShare(share, a, b)), flat.slice(a, b));
      assert.deepEqual(indices(dropPrefix(share, a)), flat.slice(a));
      assert.equal(batchAt(share, a), flat[a]);
    }),
  );
});

test('an interrupted epoch re-split over any new world size delivers every remaining batch exactly once, balanced', () => {
  fc.assert(
    fc.property(
      fc.nat(300),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 12 }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 12, maxLength: 12 }),
      (count, oldWorld, newWorld, progress) => {
        const read: number[] = [];
        const remaining = range(oldWorld).map((rank) => {
          const share = rankShare(count, rank, oldWorld);
          const done = Math.floor(progress[rank]! * (shareLength(share) + 1));
          read.push(...indices(share).slice(0, done));
          return dropPrefix(share, done);
        });
        const shares = range(newWorld).map((rank) => resplit(remaining, rank, newWorld));
        const all = [...read, ...shares.flatMap(indices)].sort((x, y) => x - y);
        assert.deepEqual(all, range(count));
        const sizes = shares.map(shareLength);
        assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
      },
    ),
  );
});
