import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { load } from './addon.js';

const native = load();
const NO_INTS = new BigInt64Array(0);
const NO_FLOATS = new Float64Array(0);

/** Little-endian bytes of int32 values. */
const int32s = (values: number[]): Uint8Array => new Uint8Array(Int32Array.from(values).buffer);
/** An int32 column of `values` (null: a null row). */
function int32Column(values: (number | null)[]): object {
  const validity = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => {
    if (v !== null) validity[i >> 3]! |= 1 << (i & 7);
  });
  return { type: 3, validity, values: int32s(values.map((v) => v ?? 0)) };
}
/** A utf8 column of `values`. */
function utf8Column(values: string[]): object {
  const bytes = values.map((v) => new TextEncoder().encode(v));
  const offsets = [0];
  for (const b of bytes) offsets.push(offsets.at(-1)! + b.length);
  const data = new Uint8Array(offsets.at(-1)!);
  bytes.forEach((b, i) => data.set(b, offsets[i]!));
  return { type: 12, offsets: int32s(offsets), values: data };
}
/** The error code filterBatch throws with. */
function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code ?? (error as Error).name;
  }
}

describe('native filterBatch', () => {
  it('selects the rows where a comparison is TRUE, leaving out NULL rows (three-valued logic)', () => {
    // r0 = column 0; r1 = 5; r2 = r0 > r1; r3 = r0 IS NULL; r4 = r2 OR r3 ... kept only where TRUE.
    const code = Int32Array.from([1, 0, 0, 0, 2, 0, 0, 0, 7, 0, 1, 4]);
    const rows = native.filterBatch(code, BigInt64Array.from([5n]), NO_FLOATS, [], [int32Column([9, null, 5, 6, -1])], 5);
    assert.deepEqual([...rows], [0, 3]);
    const withNull = Int32Array.from([...code, 11, 0, 0, 0, 9, 2, 3, 0]);
    assert.deepEqual([...native.filterBatch(withNull, BigInt64Array.from([5n]), NO_FLOATS, [], [int32Column([9, null, 5, 6, -1])], 5)], [0, 1, 3]);
  });

  it('matches LIKE patterns by code point, with % and _ and \\ escapes', () => {
    const column = utf8Column(['日本語', 'ab', 'a%', 'xyz', '']);
    const like = (pattern: string): number[] => [...native.filterBatch(Int32Array.from([1, 0, 0, 0, 17, 0, 0, 0]), NO_INTS, NO_FLOATS, [pattern], [column], 5)];
    assert.deepEqual(like('日_語'), [0]);
    assert.deepEqual(like('a%'), [1, 2]);
    assert.deepEqual(like('a\\%'), [2]);
    assert.deepEqual(like('%'), [0, 1, 2, 3, 4]);
    assert.deepEqual(like('___'), [0, 3]);
  });

  it('refuses malformed buffers and programs with FILTER_MALFORMED instead of reading out of bounds', () => {
    const shortValues = { type: 4, values: new Uint8Array(8) };
    assert.equal(codeOf(() => native.filterBatch(Int32Array.from([1, 0, 0, 0]), NO_INTS, NO_FLOATS, [], [shortValues], 2)), 'FILTER_MALFORMED');
    const badOffsets = { type: 12, offsets: int32s([0, 50]), values: new Uint8Array(3) };
    assert.equal(codeOf(() => native.filterBatch(Int32Array.from([1, 0, 0, 0, 21, 0, 0, 0]), NO_INTS, NO_FLOATS, [], [badOffsets], 1)), 'FILTER_MALFORMED');
    assert.equal(codeOf(() => native.filterBatch(Int32Array.from([8, 5, 9, 0]), NO_INTS, NO_FLOATS, [], [], 1)), 'FILTER_MALFORMED');
    assert.equal(codeOf(() => native.filterBatch(Int32Array.from([1, 0, 0]), NO_INTS, NO_FLOATS, [], [], 1)), 'RangeError');
  });

  it('survives arbitrary programs over arbitrary buffers: a selection or a coded error, never a crash', () => {
    const instruction = fc.tuple(fc.integer({ min: 0, max: 24 }), fc.integer({ min: -2, max: 12 }), fc.integer({ min: -2, max: 12 }), fc.integer({ min: -2, max: 140 }));
    const column = fc.record({
      type: fc.integer({ min: 1, max: 15 }),
      validity: fc.option(fc.uint8Array({ maxLength: 4 }), { nil: undefined }),
      values: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
      offsets: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }),
      indexType: fc.integer({ min: 1, max: 8 }),
      dictionaryLength: fc.nat(6),
      dictionaryOffsets: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }),
      dictionaryValues: fc.option(fc.uint8Array({ maxLength: 16 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(instruction, { minLength: 1, maxLength: 12 }), fc.array(column, { maxLength: 3 }), fc.nat(20), fc.array(fc.string(), { maxLength: 2 }), (program, columns, rows, strings) => {
        const code = Int32Array.from(program.flat());
        const ints = BigInt64Array.from([0n, -1n, 9223372036854775807n]);
        const floats = Float64Array.from([0.5, NaN]);
        const outcome = codeOf(() => native.filterBatch(code, ints, floats, strings, columns, rows));
        assert.ok(outcome === undefined || ['FILTER_MALFORMED', 'FILTER_EVALUATION', 'FILTER_UNSUPPORTED'].includes(outcome), String(outcome));
      }),
      { numRuns: 3000 },
    );
  });
});
