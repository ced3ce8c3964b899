import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkFingerprint, decodeCursor, encodeCursor, type Cursor } from './cursor.js';
import { Code, FlightError } from '../flight/errors.js';

const cursors: fc.Arbitrary<Cursor> = fc
  .record({
    dataset: fc.string({ minLength: 1 }),
    world: fc.integer({ min: 1, max: 1 << 20 }),
    rank: fc.nat(),
    position: fc.nat(),
    batch: fc.nat(1 << 30),
    extra: fc.integer({ min: 1, max: 1000 }),
    rows: fc.nat(),
  })
  .map(({ dataset, world, rank, position, batch, extra, rows }) => ({ dataset, world, rank: rank % world, position, batch, batches: batch + extra, rows }));

test('a cursor decodes to what was encoded and is printable base64url', () => {
  fc.assert(
    fc.property(cursors, (cursor) => {
      const text = encodeCursor(cursor);
      assert.match(text, /^[A-Za-z0-9_-]+$/);
      assert.deepEqual(decodeCursor(text), cursor);
    }),
  );
});

test('arbitrary strings are rejected with INVALID_ARGUMENT, never another error', () => {
  fc.assert(
    fc.property(fc.string(), (text) => {
      try {
        decodeCursor(text);
      } catch (err) {
        assert.ok(err instanceof FlightError);
        assert.equal(err.code, Code.INVALID_ARGUMENT);
      }
    }),
  );
});

test('a cursor that is not base64url says where cursors come from', () => {
  assert.throws(() => decodeCursor('not a cursor'), {
    code: Code.INVALID_ARGUMENT,
    message: 'malformed cursor "not a cursor": not base64url; use the app_metadata of a batch DoGet sent',
  });
});

test('a fingerprint that changed is FAILED_PRECONDITION naming both versions', () => {
  assert.doesNotThrow(() => checkFingerprint('d', { batches: 7, rows: 70 }, { batches: 7, rows: 70 }, 'cursor'));
  assert.throws(() => checkFingerprint('d', { batches: 7, rows: 70 }, { batches: 9, rows: 90 }, 'cursor'), {
    code: Code.FAILED_PRECONDITION,
    message: 'cursor is for an earlier version of dataset "d" (7 batches, 70 rows; now 9 batches, 90 rows): restart the epoch with GetFlightInfo',
  });
});
