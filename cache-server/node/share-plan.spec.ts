import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planShare, type DatasetShape, type SharePlan } from './share-plan.js';
import { optionsTag, type ShareRequest } from './flight-request.js';
import { epochOrder, rankShare } from './shares.js';
import type { Cursor } from './cursor.js';
import { Code } from '../../client/src/flight/errors.js';

/** A dataset of `rows[i]` rows in batch i. */
const shapeOf = (rows: readonly number[]): DatasetShape => ({ batches: rows.length, rows: rows.reduce((a, b) => a + b, 0), batchRows: rows });
const seven = shapeOf([10, 10, 10, 10, 10, 10, 10]);

/** Every row a plan reads, as "batch:row" with rows numbered in the order they are sent. */
function rowsOf(shape: DatasetShape, plan: SharePlan): string[] {
  return plan.pieces.flatMap((piece) => Array.from({ length: shape.batchRows[piece.batch]! - piece.skip }, (_, i) => `${piece.batch}:${piece.skip + i}`));
}

/** The cursor DoGet writes once the first `read` (>= 1) rows of a plan are sent. */
function cursorAfter(shape: DatasetShape, plan: SharePlan, read: number): Cursor {
  let left = read;
  for (const piece of plan.pieces) {
    const rows = shape.batchRows[piece.batch]! - piece.skip;
    if (left <= rows) {
      const { dataset, world, rank, options, fingerprint } = plan;
      return { dataset, world, rank, options, ...fingerprint, position: piece.position, batch: piece.batch, done: piece.skip + left };
    }
    left -= rows;
  }
  throw new Error(`the plan has fewer than ${read} rows`);
}

const request = (rank: number, world: number, extra: Partial<ShareRequest> = {}): ShareRequest => ({ dataset: 'd', rank, world, ...extra });
const cursor = (extra: Partial<Cursor>): Cursor => ({ dataset: 'd', world: 3, rank: 0, position: 1, batch: 1, done: 4, options: 0, batches: 7, rows: 70, ...extra });

test('a plain share lists its batches from position 0 with the dataset fingerprint and options tag 0', () => {
  assert.deepEqual(planShare('d', seven, request(1, 3)), {
    dataset: 'd',
    world: 3,
    rank: 1,
    fingerprint: { batches: 7, rows: 70 },
    options: 0,
    pieces: [
      { batch: 3, skip: 0, position: 0 },
      { batch: 4, skip: 0, position: 1 },
    ],
  });
});

test('a shuffled, re-chunked, projected share carries its options and reads its slice of the epoch order', () => {
  const shuffle = { seed: 7, epoch: 3 };
  const plan = planShare('d', seven, request(0, 2, { shuffle, batchRows: 8 }), [2, 0]);
  assert.deepEqual(plan.shuffle, shuffle);
  assert.equal(plan.batchRows, 8);
  assert.deepEqual(plan.columns, [2, 0]);
  assert.equal(plan.options, optionsTag({ shuffle, batchRows: 8 }));
  assert.notEqual(plan.options, 0);
  assert.deepEqual(
    plan.pieces,
    rankShare(epochOrder(7, shuffle), 0, 2).map((piece, position) => ({ ...piece, position })),
  );
});

test('start_after a cursor part-way into a batch continues with the rest of that batch, then the next batches', () => {
  assert.deepEqual(planShare('d', seven, request(0, 3, { startAfter: cursor({ done: 4 }) })).pieces, [
    { batch: 1, skip: 4, position: 1 },
    { batch: 2, skip: 0, position: 2 },
  ]);
});

test('start_after a cursor at the end of a batch continues with the next batch, and after the last one with nothing', () => {
  assert.deepEqual(planShare('d', seven, request(0, 3, { startAfter: cursor({ done: 10 }) })).pieces, [{ batch: 2, skip: 0, position: 2 }]);
  assert.deepEqual(planShare('d', seven, request(0, 3, { startAfter: cursor({ position: 2, batch: 2, done: 10 }) })).pieces, []);
});

test('start_after in a shuffled share continues in the epoch order', () => {
  const shuffle = { seed: 7, epoch: 3 };
  const options = optionsTag({ shuffle });
  assert.deepEqual(Array.from(epochOrder(7, shuffle)).slice(0, 4), [5, 6, 3, 4]);
  const after = cursor({ world: 2, position: 1, batch: 6, done: 3, options });
  assert.deepEqual(planShare('d', seven, request(0, 2, { shuffle, startAfter: after })).pieces, [
    { batch: 6, skip: 3, position: 1 },
    { batch: 3, skip: 0, position: 2 },
    { batch: 4, skip: 0, position: 3 },
  ]);
});

test('an empty batch is passed by a cursor that has read none of its rows', () => {
  const shape = shapeOf([3, 0, 3]);
  assert.deepEqual(planShare('d', shape, request(0, 1, { startAfter: cursor({ world: 1, position: 1, batch: 1, done: 0, batches: 3, rows: 6 }) })).pieces, [
    { batch: 2, skip: 0, position: 2 },
  ]);
});

test('cursors of another rank, dataset, version or options, or that do not point into the share, are refused', () => {
  const cases: Array<[ShareRequest, string, Code, string]> = [
    [request(1, 3, { startAfter: cursor({}) }), 'd', Code.INVALID_ARGUMENT, 'start_after cursor was issued to rank 0 of world size 3, not rank 1 of 3'],
    [request(0, 2, { startAfter: cursor({}) }), 'd', Code.INVALID_ARGUMENT, 'start_after cursor was issued to rank 0 of world size 3, not rank 0 of 2'],
    [request(0, 3, { startAfter: cursor({ dataset: 'e' }) }), 'd', Code.INVALID_ARGUMENT, 'start_after cursor is for dataset "e", not "d"'],
    [
      request(0, 3, { startAfter: cursor({ batches: 6, rows: 60 }) }),
      'd',
      Code.FAILED_PRECONDITION,
      'start_after cursor is for an earlier version of dataset "d" (6 batches, 60 rows; now 7 batches, 70 rows): restart the epoch with GetFlightInfo',
    ],
    [
      request(0, 3, { startAfter: cursor({}), shuffle: { seed: 1, epoch: 0 } }),
      'd',
      Code.INVALID_ARGUMENT,
      'start_after cursor was issued for other shuffle, seed, epoch, batch_rows or resume options than this request\'s',
    ],
    [
      request(0, 3, { startAfter: cursor({ options: optionsTag({ shuffle: { seed: 1, epoch: 0 } }) }), shuffle: { seed: 1, epoch: 1 } }),
      'd',
      Code.INVALID_ARGUMENT,
      'start_after cursor was issued for other shuffle, seed, epoch, batch_rows or resume options than this request\'s',
    ],
    [
      request(0, 3, { startAfter: cursor({ options: optionsTag({ batchRows: 8 }) }), batchRows: 9 }),
      'd',
      Code.INVALID_ARGUMENT,
      'start_after cursor was issued for other shuffle, seed, epoch, batch_rows or resume options than this request\'s',
    ],
    [request(0, 3, { startAfter: cursor({ batch: 4 }) }), 'd', Code.INVALID_ARGUMENT, 'start_after cursor does not point into this share (position 1, batch 4)'],
    [request(0, 3, { startAfter: cursor({ position: 3, batch: 3 }) }), 'd', Code.INVALID_ARGUMENT, 'start_after cursor does not point into this share (position 3, batch 3)'],
    [request(0, 3, { startAfter: cursor({ done: 11 }) }), 'd', Code.INVALID_ARGUMENT, 'start_after cursor does not point into this share (position 1, batch 1)'],
    [
      request(0, 2, { resume: { world: 3, cursors: [null, cursor({}), null] } }),
      'd',
      Code.INVALID_ARGUMENT,
      'resume.cursors[1] was issued to rank 0 of world size 3, not rank 1 of 3',
    ],
    [
      request(0, 2, { resume: { world: 3, cursors: [cursor({ dataset: 'e' }), null, null] } }),
      'd',
      Code.INVALID_ARGUMENT,
      'resume.cursors[0] is for dataset "e", not "d"',
    ],
    [
      request(0, 2, { resume: { world: 3, cursors: [cursor({}), null, null] }, batchRows: 4 }),
      'd',
      Code.INVALID_ARGUMENT,
      'resume.cursors[0] was issued for other shuffle, seed, epoch, batch_rows or resume options than this request\'s',
    ],
    [
      request(0, 2, { resume: { world: 3, cursors: [cursor({ position: 0 }), null, null] } }),
      'd',
      Code.INVALID_ARGUMENT,
      'resume.cursors[0] does not point into this share (position 0, batch 1)',
    ],
  ];
  for (const [req, dataset, code, message] of cases) assert.throws(() => planShare(dataset, seven, req), { code, message });
});

test('a start_after cursor behind the rows a resumed piece had already read is refused', () => {
  const resume = { world: 3, cursors: [cursor({ done: 4 }), null, null] };
  const resumed = planShare('d', seven, request(0, 2, { resume }));
  assert.deepEqual(resumed.pieces.slice(0, 2), [
    { batch: 1, skip: 4, position: 0 },
    { batch: 2, skip: 0, position: 1 },
  ]);
  const options = optionsTag({ resume });
  assert.throws(() => planShare('d', seven, request(0, 2, { resume, startAfter: cursor({ world: 2, position: 0, batch: 1, done: 3, options }) })), {
    code: Code.INVALID_ARGUMENT,
    message: 'start_after cursor does not point into this share (position 0, batch 1)',
  });
  assert.throws(() => planShare('d', seven, request(0, 2, { resume, startAfter: cursor({ world: 2, position: 0, batch: 1, done: 6 }) })), {
    code: Code.INVALID_ARGUMENT,
    message: "start_after cursor was issued for other shuffle, seed, epoch, batch_rows or resume options than this request's",
  });
  assert.deepEqual(planShare('d', seven, request(0, 2, { resume, startAfter: cursor({ world: 2, position: 0, batch: 1, done: 6, options }) })).pieces.slice(0, 1), [
    { batch: 1, skip: 6, position: 0 },
  ]);
});

test('an epoch interrupted anywhere, even part-way into batches, resumes over any world size with every row read exactly once', () => {
  const shuffles = fc.option(fc.record({ seed: fc.nat(1 << 30), epoch: fc.nat(100) }), { nil: undefined });
  const fraction = fc.nat(1000).map((n) => n / 1000);
  fc.assert(
    fc.property(
      fc.array(fc.nat(12), { maxLength: 40 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 6 }),
      shuffles,
      fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
      fc.array(fraction, { minLength: 6, maxLength: 6 }),
      fc.array(fraction, { minLength: 6, maxLength: 6 }),
      (batchRows, oldWorld, newWorld, shuffle, rechunk, progress, reprogress) => {
        const shape = shapeOf(batchRows);
        const options = { ...(shuffle ? { shuffle } : {}), ...(rechunk ? { batchRows: rechunk } : {}) };
        const read: string[] = [];
        /** Reads a fraction of a plan's rows; returns the cursor of the last one read, or null. */
        const readPart = (plan: SharePlan, part: number): Cursor | null => {
          const rows = rowsOf(shape, plan);
          const count = Math.floor(part * (rows.length + 1));
          read.push(...rows.slice(0, Math.min(count, rows.length)));
          return count === 0 || rows.length === 0 ? null : cursorAfter(shape, plan, Math.min(count, rows.length));
        };
        const cursors = Array.from({ length: oldWorld }, (_, rank) => readPart(planShare('d', shape, request(rank, oldWorld, options)), progress[rank]!));
        const resume = { world: oldWorld, cursors };
        for (let rank = 0; rank < newWorld; rank++) {
          const plan = planShare('d', shape, request(rank, newWorld, { ...options, resume }));
          const startAfter = readPart(plan, reprogress[rank]!);
          const rest = startAfter ? planShare('d', shape, request(rank, newWorld, { ...options, resume, startAfter })) : plan;
          read.push(...rowsOf(shape, rest));
        }
        const all = batchRows.flatMap((rows, batch) => Array.from({ length: rows }, (_, i) => `${batch}:${i}`));
        assert.deepEqual(read.sort(), all.sort());
      },
    ),
  );
});
