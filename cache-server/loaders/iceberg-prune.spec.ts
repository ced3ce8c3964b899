import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Field, Int64, Schema, Utf8 } from 'apache-arrow';
import { schemaToFlatbuffer } from '../../client/src/flight/protocol/arrow-codec.js';
import { bindQuery, parseQueryText } from '../engine/sql/plan.js';
import { fileFacts, IcebergPruner, murmur3 } from './iceberg-prune.js';
import type { IcebergField } from './iceberg-types.js';

const long = (v: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(v);
  return b;
};

test('murmur3 gives the Iceberg specification\'s bucket hashes', () => {
  // Iceberg spec, appendix B: 34 (int and long), date 2017-11-16, timestamp 2017-11-16T22:31:08, "iceberg".
  assert.deepEqual(
    [murmur3(long(34n)), murmur3(long(17486n)), murmur3(long(1510871468000000n)), murmur3(Buffer.from('iceberg'))],
    [2017239379, -653330422, -2047944441, 1210000089],
  );
});

const fields: IcebergField[] = [
  { id: 1, name: 'v', required: false, type: 'long' },
  { id: 2, name: 's', required: false, type: 'string' },
];
const header = schemaToFlatbuffer(new Schema([new Field('v', new Int64(), true), new Field('s', new Utf8(), true)]));
const spec = [
  { name: 'v_trunc', transform: 'truncate[10]', 'source-id': 1 },
  { name: 's_trunc', transform: 'truncate[2]', 'source-id': 2 },
  { name: 'v_bucket', transform: 'bucket[4]', 'source-id': 1 },
];
const pruner = (filter: string): IcebergPruner => new IcebergPruner(bindQuery(parseQueryText({ filter }), header).predicate!, fields);

/** A data file's metadata as a manifest entry gives it: partition tuple, bounds, counts. */
function file(rows: ReadonlyArray<readonly [bigint, string]>, bucket: number): Record<string, unknown> {
  const vs = rows.map(([v]) => v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const ss = rows.map(([, s]) => Buffer.from(s)).sort(Buffer.compare);
  const v0 = vs[0]!;
  return {
    partition: { v_trunc: v0 - (((v0 % 10n) + 10n) % 10n), s_trunc: [...ss[0]!.toString()].slice(0, 2).join(''), v_bucket: bucket },
    lower_bounds: [{ key: 1, value: long(v0) }, { key: 2, value: ss[0] }],
    upper_bounds: [{ key: 1, value: long(vs.at(-1)!) }, { key: 2, value: ss.at(-1) }],
    null_value_counts: [{ key: 1, value: 0 }, { key: 2, value: 0 }],
    value_counts: [{ key: 1, value: rows.length }, { key: 2, value: rows.length }],
  };
}

test('a file is pruned only when no row of it can pass the filter', () => {
  const ops = ['=', '<>', '<', '<=', '>', '>='] as const;
  const holds = (a: bigint | string, op: (typeof ops)[number], b: bigint | string): boolean => {
    const c = typeof a === 'string' ? Buffer.compare(Buffer.from(a), Buffer.from(b as string)) : a < (b as bigint) ? -1 : a > (b as bigint) ? 1 : 0;
    return { '=': c === 0, '<>': c !== 0, '<': c < 0, '<=': c <= 0, '>': c > 0, '>=': c >= 0 }[op];
  };
  const text = fc.stringMatching(/^[a-cé]{0,4}$/);
  fc.assert(
    fc.property(
      fc.bigInt(-40n, 40n),
      fc.array(fc.tuple(fc.bigInt(0n, 9n), text), { minLength: 1, maxLength: 6 }),
      fc.constantFrom(...ops),
      fc.bigInt(-50n, 50n),
      fc.constantFrom(...ops),
      text,
      fc.constantFrom('AND', 'OR', 'AND NOT'),
      (base, offsets, vOp, vLit, sOp, sLit, join) => {
        // Rows share one truncate[10] partition of v and one truncate[2] partition of s, as a file of that partition does.
        const start = base * 10n;
        const prefix = offsets[0]![1].length >= 2 ? [...offsets[0]![1]].slice(0, 2).join('') : offsets[0]![1];
        const rows = offsets.map(([o, s]) => [start + o, prefix.length < 2 ? prefix : prefix + s] as const);
        const filter = `v ${vOp} ${vLit} ${join} s ${sOp} '${sLit}'`;
        const row = (v: bigint, s: string): boolean =>
          join === 'AND' ? holds(v, vOp, vLit) && holds(s, sOp, sLit) : join === 'OR' ? holds(v, vOp, vLit) || holds(s, sOp, sLit) : holds(v, vOp, vLit) && !holds(s, sOp, sLit);
        // Buckets differ between rows: the file's bucket is only claimed when all rows share one.
        const buckets = new Set(rows.map(([v]) => (murmur3(long(v)) & 0x7fffffff) % 4));
        const facts = fileFacts(file(rows, [...buckets][0]!), buckets.size === 1 ? spec : spec.slice(0, 2), fields);
        if (rows.some(([v, s]) => row(v, s))) assert.equal(pruner(filter).mayMatch(facts), true, `${filter} over ${JSON.stringify(rows.map(([v, s]) => [String(v), s]))}`);
      },
    ),
    { numRuns: 2000 },
  );
});

test('partition ranges, buckets and bounds each rule files out', () => {
  const rows = [[21n, 'cab'], [23n, 'car']] as const;
  const facts = fileFacts(file(rows, (murmur3(long(21n)) & 0x7fffffff) % 4), spec.slice(0, 2), fields);
  const kept = (filter: string): boolean => pruner(filter).mayMatch(facts);
  assert.deepEqual(
    ['v = 22', 'v = 24', 'v < 21', 'v <= 21', 'v > 23', "s = 'cat'", "s > 'car'", "s < 'cab'", "s = 'cab' OR v = 99", 'v IS NULL', 'NOT (v > 0)', 'v = NULL'].map(kept),
    [true, false, false, true, false, false, false, false, true, false, false, false],
  );
  const bucketed = fileFacts({ partition: { v_bucket: (murmur3(long(21n)) & 0x7fffffff) % 4 } }, [spec[2]!], fields);
  const other = [22n, 23n, 24n, 25n, 26n].find((v) => (murmur3(long(v)) & 0x7fffffff) % 4 !== (murmur3(long(21n)) & 0x7fffffff) % 4)!;
  assert.deepEqual([pruner('v = 21').mayMatch(bucketed), pruner(`v = ${other}`).mayMatch(bucketed), pruner(`v IN (${other}, 21)`).mayMatch(bucketed), pruner(`v > ${other}`).mayMatch(bucketed)], [true, false, true, true]);
});
