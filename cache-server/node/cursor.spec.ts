import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkFingerprint, decodeCursor, encodeCursor, type Cursor } from './cursor.js';
import { Code, FlightError } from '../../client/src/flight/errors.js';

const cursors: fc.Arbitrary<Cursor> = fc
  .record({
    dataset: fc.string({ minLength: 1, unit: 'binary' }),
    world: fc.integer({ min: 1, max: 1 << 20 }),
    rank: fc.nat(),
    position: fc.maxSafeNat(),
    batch: fc.nat(1 << 30),
    extra: fc.integer({ min: 1, max: 1000 }),
    done: fc.maxSafeNat(),
    options: fc.nat(0xffffffff),
    rows: fc.maxSafeNat(),
  })
  .map(({ dataset, world, rank, position, batch, extra, done, options, rows }) => ({
    dataset,
    world,
    rank: rank % world,
    position,
    batch,
    done,
    options,
    batches: batch + extra,
    rows,
  }));

/** The base64url text of a JSON value, as a cursor would carry it. */
const text = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const valid = { v: 2, d: 'd', w: 3, r: 1, p: 4, b: 5, k: 6, o: 7, n: 9, m: 90 };

test('a cursor decodes to what was encoded and is printable base64url', () => {
  fc.assert(
    fc.property(cursors, (cursor) => {
      const encoded = encodeCursor(cursor);
      assert.match(encoded, /^[A-Za-z0-9_-]+$/);
      assert.deepEqual(decodeCursor(encoded), cursor);
    }),
  );
});

test('the wire form is version 2 JSON with one-letter fields', () => {
  assert.deepEqual(decodeCursor(text(valid)), { dataset: 'd', world: 3, rank: 1, position: 4, batch: 5, done: 6, options: 7, batches: 9, rows: 90 });
  const cursor = { dataset: 'd', world: 3, rank: 1, position: 4, batch: 5, done: 6, options: 7, batches: 9, rows: 90 };
  assert.deepEqual(JSON.parse(Buffer.from(encodeCursor(cursor), 'base64url').toString()), valid);
});

test('arbitrary strings are rejected with INVALID_ARGUMENT, never another error', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json().map((json) => Buffer.from(json).toString('base64url'))), (input) => {
      try {
        decodeCursor(input);
      } catch (err) {
        assert.ok(err instanceof FlightError);
        assert.equal(err.code, Code.INVALID_ARGUMENT);
      }
    }),
  );
});

test('malformed cursors are INVALID_ARGUMENT saying what is wrong and where cursors come from', () => {
  const cases: Array<[string, string]> = [
    ['not a cursor', 'not base64url'],
    ['', 'not base64url'],
    [Buffer.from('abc').toString('base64url'), 'not a flightcache cursor'],
    [Buffer.from([0xff, 0xfe, 0x7b]).toString('base64url'), 'not a flightcache cursor'],
    [text([1, 2]), 'not a flightcache cursor'],
    [text(null), 'not a flightcache cursor'],
    [text({ ...valid, v: 1 }), 'unsupported version 1'],
    [text({ ...valid, v: '2' }), 'unsupported version "2"'],
    [text({ ...valid, d: '' }), 'no dataset'],
    [text({ ...valid, d: 4 }), 'no dataset'],
    [text({ ...valid, w: 0, r: 0 }), 'bad rank or world size'],
    [text({ ...valid, r: 3 }), 'bad rank or world size'],
    [text({ ...valid, r: -1 }), 'bad rank or world size'],
    [text({ ...valid, w: 1.5 }), 'bad rank or world size'],
    [text({ ...valid, b: 9 }), 'bad position'],
    [text({ ...valid, p: -1 }), 'bad position'],
    [text({ ...valid, k: undefined }), 'bad position'],
    [text({ ...valid, k: 2.5 }), 'bad position'],
    [text({ ...valid, o: undefined }), 'bad position'],
    [text({ ...valid, m: '90' }), 'bad position'],
  ];
  for (const [input, why] of cases) {
    assert.throws(() => decodeCursor(input), {
      code: Code.INVALID_ARGUMENT,
      message: `malformed cursor ${JSON.stringify(input.slice(0, 40))}: ${why}; use the app_metadata of a batch DoGet sent`,
    });
  }
});

test('a version 1 cursor without row progress or options is refused', () => {
  const v1 = text({ v: 1, d: 'd', w: 2, r: 0, p: 0, b: 0, n: 7, m: 70 });
  assert.throws(() => decodeCursor(v1), { code: Code.INVALID_ARGUMENT, message: `malformed cursor ${JSON.stringify(v1.slice(0, 40))}: unsupported version 1; use the app_metadata of a batch DoGet sent` });
});

test('a fingerprint that changed is FAILED_PRECONDITION naming both versions', () => {
  assert.doesNotThrow(() => checkFingerprint('d', { batches: 7, rows: 70 }, { batches: 7, rows: 70 }, 'cursor'));
  assert.throws(() => checkFingerprint('d', { batches: 7, rows: 70 }, { batches: 9, rows: 90 }, 'cursor'), {
    code: Code.FAILED_PRECONDITION,
    message: 'cursor is for an earlier version of dataset "d" (7 batches, 70 rows; now 9 batches, 90 rows): restart the epoch with GetFlightInfo',
  });
  assert.throws(() => checkFingerprint('d', { batches: 7, rows: 70 }, { batches: 7, rows: 71 }, 'ticket'), { code: Code.FAILED_PRECONDITION });
});
