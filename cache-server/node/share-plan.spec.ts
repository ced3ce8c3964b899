import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planShare, type PlannedRange } from './share-plan.js';
import type { Cursor } from './cursor.js';
import { Code } from '../flight/errors.js';

const fingerprint = { batches: 7, rows: 70 };
const indices = (ranges: readonly PlannedRange[]): number[] => ranges.flatMap((r) => Array.from({ length: r.to - r.from }, (_, i) => r.from + i));
/** The cursor DoGet writes for the batch at `position` of a planned share. */
function cursorAt(ranges: readonly PlannedRange[], position: number, world: number, rank: number, batches: number): Cursor {
  const range = ranges.find((r) => position >= r.position && position < r.position + r.to - r.from)!;
  return { dataset: 'd', world, rank, position, batch: range.from + position - range.position, batches, rows: batches * 10 };
}

test('a plain share is one range starting at position 0', () => {
  assert.deepEqual(planShare('d', fingerprint, { dataset: 'd', rank: 1, world: 3 }).ranges, [{ from: 3, to: 5, position: 0 }]);
});

test('start_after continues with exactly the batches after the cursor', () => {
  const after = { dataset: 'd', world: 3, rank: 0, position: 1, batch: 1, ...fingerprint };
  assert.deepEqual(planShare('d', fingerprint, { dataset: 'd', rank: 0, world: 3, startAfter: after }).ranges, [{ from: 2, to: 3, position: 2 }]);
});

test('cursors of another rank, dataset or version are refused', () => {
  const after = { dataset: 'd', world: 3, rank: 0, position: 1, batch: 1, ...fingerprint };
  assert.throws(() => planShare('d', fingerprint, { dataset: 'd', rank: 1, world: 3, startAfter: after }), {
    code: Code.INVALID_ARGUMENT,
    message: 'start_after cursor was issued to rank 0 of world size 3, not rank 1 of 3',
  });
  assert.throws(() => planShare('e', fingerprint, { dataset: 'e', rank: 0, world: 3, startAfter: after }), {
    code: Code.INVALID_ARGUMENT,
    message: 'start_after cursor is for dataset "d", not "e"',
  });
  assert.throws(() => planShare('d', { batches: 8, rows: 80 }, { dataset: 'd', rank: 0, world: 3, startAfter: after }), {
    code: Code.FAILED_PRECONDITION,
  });
  assert.throws(() => planShare('d', fingerprint, { dataset: 'd', rank: 0, world: 3, startAfter: { ...after, batch: 4 } }), {
    code: Code.INVALID_ARGUMENT,
    message: 'start_after cursor does not point into this share (position 1, batch 4)',
  });
});

test('an elastic resume from any interruption re-splits the rest with no batch lost or repeated, and resumes again after its own cursors', () => {
  fc.assert(
    fc.property(
      fc.nat(60),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 6 }),
      fc.array(fc.nat(30), { minLength: 6, maxLength: 6 }),
      fc.nat(30),
      (batches, oldWorld, newWorld, reads, reread) => {
        const fp = { batches, rows: batches * 10 };
        const read: number[] = [];
        const cursors = Array.from({ length: oldWorld }, (_, rank) => {
          const ranges = planShare('d', fp, { dataset: 'd', rank, world: oldWorld }).ranges;
          const done = Math.min(reads[rank]!, indices(ranges).length);
          read.push(...indices(ranges).slice(0, done));
          return done === 0 ? null : cursorAt(ranges, done - 1, oldWorld, rank, batches);
        });
        const resume = { world: oldWorld, cursors };
        for (let rank = 0; rank < newWorld; rank++) {
          const ranges = planShare('d', fp, { dataset: 'd', rank, world: newWorld, resume }).ranges;
          const mine = indices(ranges);
          const done = Math.min(reread, mine.length);
          read.push(...mine.slice(0, done));
          if (done === 0) {
            read.push(...mine);
            continue;
          }
          const startAfter = cursorAt(ranges, done - 1, newWorld, rank, batches);
          read.push(...indices(planShare('d', fp, { dataset: 'd', rank, world: newWorld, resume, startAfter }).ranges));
        }
        assert.deepEqual(read.sort((a, b) => a - b), Array.from({ length: batches }, (_, i) => i));
      },
    ),
  );
});
