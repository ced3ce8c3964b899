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

/** The selection, or the error code and message, `filterBatch` gives for one column. */
function outcome(code: number[], ints: BigInt64Array, floats: Float64Array, strings: string[], column: object, rows: number): unknown {
  try {
    return [...native.filterBatch(Int32Array.from(code), ints, floats, strings, [column], rows)];
  } catch (error) {
    return { code: (error as { code?: string }).code, message: (error as Error).message };
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

  it('selects exactly the rows where a comparison is TRUE, whether few or most rows are kept and whatever the row count', () => {
    const code = Int32Array.from([1, 0, 0, 0, 2, 0, 0, 0, 7, 0, 1, 4]);
    const value = fc.option(fc.integer({ min: 0, max: 1000 }), { nil: null, freq: 10 });
    fc.assert(
      fc.property(fc.array(value, { maxLength: 300 }), fc.constantFrom(-1, 500, 990, 999, 1000), (values, k) => {
        const expected = values.flatMap((v, i) => (v !== null && v > k ? [i] : []));
        assert.deepEqual([...native.filterBatch(code, BigInt64Array.from([BigInt(k)]), NO_FLOATS, [], [int32Column(values)], values.length)], expected);
      }),
      { numRuns: 500 },
    );
  });

  it('compares utf8 strings for (in)equality by value, whatever their lengths and where they lie in the data', () => {
    const words = ['', 'a', 'ab', 'abcdefgh', 'abcdefghi', 'abcdefghij', 'héllo', '日本語', 'ab\u0000', 'b'];
    // r0 = s; r1 = strings[0]; r2 = r0 <op> r1.
    const compare = (op: number): Int32Array => Int32Array.from([1, 0, 0, 0, 4, 0, 0, 0, 7, 0, 1, op]);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...words), { maxLength: 70 }), fc.constantFrom(...words), (values, word) => {
        const column = [utf8Column(values)];
        const equal = values.flatMap((v, i) => (v === word ? [i] : []));
        const unequal = values.flatMap((v, i) => (v !== word ? [i] : []));
        assert.deepEqual([...native.filterBatch(compare(0), NO_INTS, NO_FLOATS, [word], column, values.length)], equal);
        assert.deepEqual([...native.filterBatch(compare(1), NO_INTS, NO_FLOATS, [word], column, values.length)], unequal);
      }),
      { numRuns: 500 },
    );
  });

  it('compares float64 and float32 columns in DataFusion order: NaN above +Infinity, a negative NaN below -Infinity, -0 equal to 0', () => {
    const negativeNaN = new Float64Array(new BigUint64Array([0xfff8000000000000n]).buffer)[0]!;
    const values = [NaN, Infinity, -0, 0, 1, -Infinity, negativeNaN, 2];
    // Row 7 is null: never kept.
    const validity = Uint8Array.from([0x7f]);
    const columns = [
      { type: 10, validity, values: new Uint8Array(Float64Array.from(values).buffer) },
      { type: 9, validity, values: new Uint8Array(Float32Array.from(values).buffer) },
    ];
    const ops = ['=', '<>', '<', '<=', '>', '>='];
    for (const column of columns) {
      const select = (op: string, constant: number): number[] =>
        [...native.filterBatch(Int32Array.from([1, 0, 0, 0, 3, 0, 0, 0, 7, 0, 1, ops.indexOf(op)]), NO_INTS, Float64Array.from([constant]), [], [column], 8)];
      assert.deepEqual(select('>', Infinity), [0]);
      assert.deepEqual(select('>=', Infinity), [0, 1]);
      assert.deepEqual(select('<', -Infinity), [6]);
      assert.deepEqual(select('<=', -Infinity), [5, 6]);
      assert.deepEqual(select('=', 0), [2, 3]);
      assert.deepEqual(select('=', -0), [2, 3]);
      assert.deepEqual(select('<>', 0), [0, 1, 4, 5, 6]);
      assert.deepEqual(select('<', 1), [2, 3, 5, 6]);
      assert.deepEqual(select('>', 0), [0, 1, 4]);
      assert.deepEqual(select('=', NaN), [0]);
      assert.deepEqual(select('<', NaN), [1, 2, 3, 4, 5, 6]);
    }
  });

  it('refuses utf8 offsets that descend or run past the data when comparing for equality', () => {
    const eq = Int32Array.from([1, 0, 0, 0, 4, 0, 0, 0, 7, 0, 1, 0]);
    const descending = { type: 12, offsets: int32s([0, 3, 2, 4]), values: new Uint8Array(4) };
    assert.throws(() => native.filterBatch(eq, NO_INTS, NO_FLOATS, ['ab'], [descending], 3), { code: 'FILTER_MALFORMED', message: 'column 0: offsets point outside the data' });
    const past = { type: 12, offsets: int32s([0, 2, 9]), values: new Uint8Array(4) };
    assert.throws(() => native.filterBatch(eq, NO_INTS, NO_FLOATS, ['ab'], [past], 2), { code: 'FILTER_MALFORMED', message: 'column 0: offsets point outside the data' });
    const negative = { type: 12, offsets: int32s([-1, 2]), values: new Uint8Array(4) };
    assert.throws(() => native.filterBatch(eq, NO_INTS, NO_FLOATS, ['ab'], [negative], 1), { code: 'FILTER_MALFORMED', message: 'column 0: offsets point outside the data' });
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

describe('native filterBatch: utf8 (in)equality with a constant (the fused path)', () => {
  const WORDS = ['', 'a', 'ab', 'abc', 'abcdefgh', 'abcdefghi', 'héllo', '日本語', 'ab\u0000', 'b'];

  /** A utf8 (type 12) or large utf8 (13) column of `values`, null where `nulls` says. */
  function stringColumn(type: number, values: string[], nulls: boolean[] | null): object {
    let validity: Uint8Array | undefined;
    if (nulls) {
      validity = new Uint8Array(Math.ceil(values.length / 8));
      nulls.forEach((isNull, i) => {
        if (!isNull) validity![i >> 3]! |= 1 << (i & 7);
      });
    }
    const bytes = values.map((v) => new TextEncoder().encode(v));
    const offsets = [0];
    for (const b of bytes) offsets.push(offsets.at(-1)! + b.length);
    const data = new Uint8Array(offsets.at(-1)!);
    bytes.forEach((b, i) => data.set(b, offsets[i]!));
    const offsetBytes = type === 12 ? int32s(offsets) : new Uint8Array(BigInt64Array.from(offsets.map(BigInt)).buffer);
    return { type, validity, offsets: offsetBytes, values: data };
  }


  it('selects what the general evaluator selects (the same comparison ANDed with TRUE), for few or many kept rows, nulls and any length', () => {
    // Words drawn mostly from a few (many rows kept) or from all (few kept); repeated past the
    // 1024 rows after which a dense selection goes to the general path.
    const batch = fc.record({
      type: fc.constantFrom(12, 13),
      values: fc.oneof(fc.array(fc.constantFrom(...WORDS), { maxLength: 300 }), fc.array(fc.constantFrom('ab', 'b', 'abc'), { maxLength: 300 })),
      repeat: fc.integer({ min: 1, max: 8 }),
      nullEvery: fc.option(fc.integer({ min: 1, max: 5 }), { nil: null }),
      word: fc.constantFrom(...WORDS),
      op: fc.constantFrom(0, 1),
      swapped: fc.boolean(),
    });
    fc.assert(
      fc.property(batch, ({ type, values, repeat, nullEvery, word, op, swapped }) => {
        const all = Array.from({ length: repeat }, () => values).flat();
        const column = stringColumn(type, all, nullEvery === null ? null : all.map((_, i) => i % nullEvery === 0));
        // r0 = column 0, r1 = strings[0] (or the other way round); r2 = r0 <op> r1.
        const compare = swapped ? [4, 0, 0, 0, 1, 0, 0, 0, 7, 1, 0, op] : [1, 0, 0, 0, 4, 0, 0, 0, 7, 0, 1, op];
        const fused = outcome(compare, NO_INTS, NO_FLOATS, [word], column, all.length);
        // r3 = TRUE; r4 = r2 AND r3: the same rows, through the general evaluator's registers.
        const general = outcome([...compare, 5, 1, 0, 0, 8, 2, 3, 0], NO_INTS, NO_FLOATS, [word], column, all.length);
        assert.deepEqual(fused, general);
        const expected = all.flatMap((v, i) => (nullEvery !== null && i % nullEvery === 0) || (v === word) !== (op === 0) ? [] : [i]);
        assert.deepEqual(fused, expected);
      }),
      { numRuns: 1500 },
    );
  });

  it('refuses offsets that descend in a later block as the general evaluator does, after a sparse start', () => {
    const values = Array.from({ length: 200 }, (_, i) => (i === 3 ? 'ab' : 'b'));
    const column = stringColumn(12, values, null) as { offsets: Uint8Array };
    const offsets = new Int32Array(column.offsets.buffer);
    offsets[150] = offsets[151]! + 1;
    assert.deepEqual(outcome([1, 0, 0, 0, 4, 0, 0, 0, 7, 0, 1, 0], NO_INTS, NO_FLOATS, ['ab'], column, 200), { code: 'FILTER_MALFORMED', message: 'column 0: offsets point outside the data' });
  });
});

describe('native filterBatch: an integer or float column compared with a constant (the fused path)', () => {
  // Column types 1-10: int8, int16, int32, int64, uint8, uint16, uint32, uint64, float32, float64.
  const WIDTH = [0, 1, 2, 4, 8, 1, 2, 4, 8, 4, 8];
  const SPECIAL_FLOATS = [Number.NaN, -Number.NaN, 0, -0, Infinity, -Infinity, 0.5, -1.5, 1e300, 5e-324];

  /** Column bytes of `values` as type `type` (integers wrap to the width; -NaN keeps its sign bit). */
  function numberColumn(type: number, values: bigint[], floats: number[], nulls: boolean[] | null): object {
    const width = WIDTH[type]!;
    const view = new DataView(new ArrayBuffer(values.length * width));
    values.forEach((v, i) => {
      const at = i * width;
      if (type === 9) view.setFloat32(at, floats[i]!, true);
      else if (type === 10) view.setFloat64(at, floats[i]!, true);
      else if (width === 1) view.setUint8(at, Number(BigInt.asUintN(8, v)));
      else if (width === 2) view.setUint16(at, Number(BigInt.asUintN(16, v)), true);
      else if (width === 4) view.setUint32(at, Number(BigInt.asUintN(32, v)), true);
      else view.setBigUint64(at, BigInt.asUintN(64, v), true);
      // A NaN with its sign bit set sorts below every number (DataFusion's total order).
      if (type >= 9 && Number.isNaN(floats[i]) && v < 0n) view.setUint8(at + width - 1, view.getUint8(at + width - 1) | 0x80);
    });
    let validity: Uint8Array | undefined;
    if (nulls) {
      validity = new Uint8Array(Math.ceil(values.length / 8));
      nulls.forEach((isNull, i) => {
        if (!isNull) validity![i >> 3]! |= 1 << (i & 7);
      });
    }
    return { type, validity, values: new Uint8Array(view.buffer) };
  }


  it('selects what the general evaluator selects for every width, operator, NaN, null and out-of-range constant, across chunks', () => {
    const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    const batch = fc.record({
      type: fc.integer({ min: 1, max: 10 }),
      values: fc.array(fc.tuple(fc.oneof(int64, fc.bigInt({ min: -300n, max: 300n })), fc.oneof(fc.constantFrom(...SPECIAL_FLOATS), fc.double())), { maxLength: 200 }),
      // Repeated past the 4,096-row chunks and 64-row blocks of the fused path.
      repeat: fc.integer({ min: 1, max: 50 }),
      nullEvery: fc.option(fc.integer({ min: 1, max: 5 }), { nil: null }),
      intConstant: fc.oneof(int64, fc.bigInt({ min: -300n, max: 300n })),
      floatConstant: fc.oneof(fc.constantFrom(...SPECIAL_FLOATS), fc.double()),
      floatLeaf: fc.boolean(),
      op: fc.integer({ min: 0, max: 5 }),
      swapped: fc.boolean(),
    });
    fc.assert(
      fc.property(batch, ({ type, values, repeat, nullEvery, intConstant, floatConstant, floatLeaf, op, swapped }) => {
        const all = Array.from({ length: repeat }, () => values).flat();
        const nulls = nullEvery === null ? null : all.map((_, i) => i % nullEvery === 0);
        const column = numberColumn(type, all.map(([v]) => v), all.map(([, f]) => f), nulls);
        const leaf = floatLeaf ? 3 : 2;
        // r0 = column 0, r1 = the constant (or the other way round); r2 = r0 <op> r1.
        const compare = swapped ? [leaf, 0, 0, 0, 1, 0, 0, 0, 7, 1, 0, op] : [1, 0, 0, 0, leaf, 0, 0, 0, 7, 0, 1, op];
        const ints = BigInt64Array.from([intConstant]);
        const floats = Float64Array.from([floatConstant]);
        const fused = outcome(compare, ints, floats, [], column, all.length);
        // r3 = TRUE; r4 = r2 AND r3: the same rows, through the general evaluator's registers.
        const general = outcome([...compare, 5, 1, 0, 0, 8, 2, 3, 0], ints, floats, [], column, all.length);
        assert.deepEqual(fused, general);
      }),
      { numRuns: 600 },
    );
  });

  it('orders NaN by its sign bit (-NaN below every number, NaN above) and -0 equal to 0, in whole and partial groups of four', () => {
    // Rows 0-8: 1, NaN, -NaN, -0, 0, 2, -NaN, -1, NaN (the last rows outside a group of four).
    const floats = [1, NaN, NaN, -0, 0, 2, NaN, -1, NaN];
    const negative = [false, false, true, false, false, false, true, false, false];
    const column = numberColumn(10, negative.map((n) => (n ? -1n : 1n)), floats, null);
    const kept = (op: number): unknown => outcome([1, 0, 0, 0, 3, 0, 0, 0, 7, 0, 1, op], NO_INTS, Float64Array.from([0]), [], column, floats.length);
    assert.deepEqual(kept(0), [3, 4]);
    assert.deepEqual(kept(1), [0, 1, 2, 5, 6, 7, 8]);
    assert.deepEqual(kept(2), [2, 6, 7]);
    assert.deepEqual(kept(3), [2, 3, 4, 6, 7]);
    assert.deepEqual(kept(4), [0, 1, 5, 8]);
    assert.deepEqual(kept(5), [0, 1, 3, 4, 5, 8]);
  });

  it('keeps exactly the rows below a constant of a float64 column with nulls across a chunk boundary', () => {
    const rows = 4096 + 130;
    const values = Array.from({ length: rows }, (_, i) => (i % 7 === 0 ? Number.NaN : i / 10));
    const column = numberColumn(10, values.map(() => 0n), values, values.map((_, i) => i % 5 === 0));
    const kept = outcome([1, 0, 0, 0, 3, 0, 0, 0, 7, 0, 1, 2], NO_INTS, Float64Array.from([420]), [], column, rows);
    const expected = values.flatMap((v, i) => (i % 5 !== 0 && v < 420 ? [i] : []));
    assert.deepEqual(kept, expected);
  });
});

describe('native filterBatch: a dictionary column compared with a constant (the fused path)', () => {
  const ENTRIES = ['', 'a', 'ab', 'b', 'héllo', 'ab\u0000'];
  // Index types 1-8: int8, int16, int32, int64, uint8, uint16, uint32, uint64.
  const WIDTH = [0, 1, 2, 4, 8, 1, 2, 4, 8];

  /** A dictionary<index type, utf8> column: `indices` (any value, range unchecked) into ENTRIES. */
  function dictionaryColumn(indexType: number, indices: number[], nulls: boolean[] | null, nullEntry: number | null, badEntry: number | null): object {
    const width = WIDTH[indexType]!;
    const view = new DataView(new ArrayBuffer(indices.length * width));
    indices.forEach((v, i) => {
      const bits = BigInt.asUintN(64, BigInt(v));
      if (width === 1) view.setUint8(i, Number(bits & 0xffn));
      else if (width === 2) view.setUint16(2 * i, Number(bits & 0xffffn), true);
      else if (width === 4) view.setUint32(4 * i, Number(bits & 0xffffffffn), true);
      else view.setBigUint64(8 * i, bits, true);
    });
    const bytes = ENTRIES.map((e) => new TextEncoder().encode(e));
    const offsets = [0];
    for (const b of bytes) offsets.push(offsets.at(-1)! + b.length);
    const data = new Uint8Array(offsets.at(-1)!);
    bytes.forEach((b, i) => data.set(b, offsets[i]!));
    // An entry whose end lies past the dictionary's data.
    if (badEntry !== null) offsets[badEntry + 1] = data.length + 5;
    let validity: Uint8Array | undefined;
    if (nulls) {
      validity = new Uint8Array(Math.ceil(indices.length / 8));
      nulls.forEach((isNull, i) => {
        if (!isNull) validity![i >> 3]! |= 1 << (i & 7);
      });
    }
    const dictionaryValidity = nullEntry === null ? undefined : Uint8Array.from([0xff & ~(1 << nullEntry)]);
    return {
      type: 14, validity, values: new Uint8Array(view.buffer), indexType, dictionaryLength: ENTRIES.length,
      dictionaryOffsets: int32s(offsets), dictionaryValues: data, dictionaryValidity,
    };
  }


  it('selects what the general evaluator selects for every index type and operator, null rows and entries, and refused indices', () => {
    const batch = fc.record({
      indexType: fc.integer({ min: 1, max: 8 }),
      // Mostly valid indices; sometimes one out of range (negative or past the entries).
      indices: fc.array(fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 0, max: ENTRIES.length - 1 }) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: 300 }) }), { maxLength: 150 }),
      repeat: fc.integer({ min: 1, max: 60 }),
      nullEvery: fc.option(fc.integer({ min: 1, max: 5 }), { nil: null }),
      nullEntry: fc.option(fc.integer({ min: 0, max: ENTRIES.length - 1 }), { nil: null }),
      badEntry: fc.option(fc.integer({ min: 0, max: ENTRIES.length - 1 }), { nil: null }),
      word: fc.constantFrom(...ENTRIES, 'zz'),
      op: fc.integer({ min: 0, max: 5 }),
    });
    fc.assert(
      fc.property(batch, ({ indexType, indices, repeat, nullEvery, nullEntry, badEntry, word, op }) => {
        const all = Array.from({ length: repeat }, () => indices).flat();
        const column = dictionaryColumn(indexType, all, nullEvery === null ? null : all.map((_, i) => i % nullEvery === 0), nullEntry, badEntry);
        const compare = [1, 0, 0, 0, 4, 0, 0, 0, 7, 0, 1, op];
        const fused = outcome(compare, NO_INTS, NO_FLOATS, [word], column, all.length);
        // r3 = TRUE; r4 = r2 AND r3: the same rows, through the general evaluator's registers.
        const general = outcome([...compare, 5, 1, 0, 0, 8, 2, 3, 0], NO_INTS, NO_FLOATS, [word], column, all.length);
        assert.deepEqual(fused, general);
      }),
      { numRuns: 600 },
    );
  });

  it('keeps exactly the rows whose entry equals the constant, null rows and null entries left out', () => {
    const rows = 4096 + 77;
    const indices = Array.from({ length: rows }, (_, i) => i % ENTRIES.length);
    const column = dictionaryColumn(3, indices, indices.map((_, i) => i % 4 === 0), 3, null);
    const expected = indices.flatMap((e, i) => (i % 4 !== 0 && ENTRIES[e] === 'ab' ? [i] : []));
    assert.deepEqual(outcome([1, 0, 0, 0, 4, 0, 0, 0, 7, 0, 1, 0], NO_INTS, NO_FLOATS, ['ab'], column, rows), expected);
    assert.deepEqual(outcome([1, 0, 0, 0, 4, 0, 0, 0, 7, 0, 1, 0], NO_INTS, NO_FLOATS, ['b'], column, rows), []);
  });
});

describe('native filterBatches', () => {
  // r0 = n; r1 = ints[0]; r2 = r0 > r1; r3 = s; r4 = strings[0]; r5 = r3 = r4; r6 = r2 OR r5.
  const PROGRAMS = {
    'n > k': [1, 0, 0, 0, 2, 0, 0, 0, 7, 0, 1, 4],
    's = lit': [1, 1, 0, 0, 4, 0, 0, 0, 7, 0, 1, 0],
    'n > k OR s = lit': [1, 0, 0, 0, 2, 0, 0, 0, 7, 0, 1, 4, 1, 1, 0, 0, 4, 0, 0, 0, 7, 3, 4, 0, 9, 2, 5, 0],
  };
  const WORDS = ['', 'a', 'ab', 'abcdefgh', 'abcdefghi', 'héllo', 'ab\u0000'];
  const batchOf = (rows: { n: number | null; s: string }[]): object[] => [int32Column(rows.map((r) => r.n)), utf8Column(rows.map((r) => r.s))];

  it('gives every batch the selection filterBatch gives it alone, in batch order, on any number of threads', () => {
    const row = fc.record({ n: fc.option(fc.integer({ min: -50, max: 50 }), { nil: null }), s: fc.constantFrom(...WORDS) });
    fc.assert(
      fc.property(
        fc.array(fc.array(row, { maxLength: 90 }), { maxLength: 40 }),
        fc.constantFrom(...(Object.keys(PROGRAMS) as (keyof typeof PROGRAMS)[])),
        fc.integer({ min: -50, max: 50 }),
        fc.constantFrom(...WORDS),
        fc.integer({ min: 0, max: 6 }),
        (batches, name, k, word, threads) => {
          const code = Int32Array.from(PROGRAMS[name]);
          const ints = BigInt64Array.from([BigInt(k)]);
          const columns = batches.map(batchOf);
          const alone = columns.map((c, b) => [...native.filterBatch(code, ints, NO_FLOATS, [word], c, batches[b]!.length)]);
          const scan = native.filterBatches(code, ints, NO_FLOATS, [word], columns, batches.map((b) => b.length), threads);
          assert.equal(scan.error, undefined);
          assert.deepEqual(scan.selected.map((rows) => [...rows]), alone);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stops at the first failing batch: the selections before it, then its error as filterBatch throws it', () => {
    // r0 = n; r1 = 100; r2 = r1 / r0 (int32); r3 = 10; r4 = r2 > r3: fails on a batch holding n = 0.
    const code = Int32Array.from([1, 0, 0, 0, 2, 0, 0, 0, 13, 1, 0, 3 * 16 + 2, 2, 1, 0, 0, 7, 2, 3, 4]);
    const ints = BigInt64Array.from([100n, 10n]);
    const values = [[1, 5, 20], [2, 50], [4, 0, 3], [0], [7, 1]];
    const columns = values.map((v) => [int32Column(v)]);
    for (const threads of [1, 2, 5]) {
      const scan = native.filterBatches(code, ints, NO_FLOATS, [], columns, values.map((v) => v.length), threads);
      assert.deepEqual(scan.selected.map((rows) => [...rows]), [[0, 1], [0]]);
      assert.equal((scan.error as Error & { code?: string }).code, 'FILTER_EVALUATION');
      assert.throws(() => native.filterBatch(code, ints, NO_FLOATS, [], columns[2]!, 3), { code: 'FILTER_EVALUATION', message: scan.error!.message });
    }
  });

  it('refuses a row count list that does not match the batches, and a batch that is not a list of columns', () => {
    const code = Int32Array.from(PROGRAMS['n > k']);
    const ints = BigInt64Array.from([0n]);
    assert.throws(() => native.filterBatches(code, ints, NO_FLOATS, [], [[int32Column([1])]], [1, 1], 0), {
      name: 'RangeError',
      message: /rows needs one count per batch/,
    });
    assert.throws(() => native.filterBatches(code, ints, NO_FLOATS, [], [int32Column([1]) as object[]], [1], 0), {
      name: 'TypeError',
      message: /each batch must be an array of columns/,
    });
    assert.throws(() => native.filterBatches(code, ints, NO_FLOATS, [], [[int32Column([1])]], [1.5], 0), { name: 'RangeError', message: /row count/ });
  });
});
