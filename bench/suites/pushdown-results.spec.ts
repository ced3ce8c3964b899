import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CASES, endToEndCases, pushdownText, rateCases, type EndToEndRuns, type Passes } from './pushdown-results.js';

const passes = (rows: number, seconds: number[], cpuSeconds: number[]): Passes => ({ rows, seconds, cpuSeconds });

function contenders(oursRows = 10): Map<string, Map<string, Passes>> {
  const all = (p: Passes): Map<string, Passes> => new Map(CASES.map((c) => [c.name, p]));
  return new Map([
    ['ours', all(passes(oursRows, [1, 2, 4], [1, 1, 1]))],
    ['duckdb', all(passes(10, [2, 4, 8], [1, 2, 2]))],
  ]);
}

test('the cases are a numeric, a utf8 and a dictionary predicate at 0.1, 1, 10 and 50 % each', () => {
  assert.deepEqual(
    CASES.map((c) => c.sql),
    [
      'score < 0.001', "tag = 't0.1'", "lang = 'l0.1'",
      'score < 0.01', "tag = 't1'", "lang = 'l1'",
      'score < 0.1', "tag = 't10'", "lang = 'l10'",
      'score < 0.5', "tag = 't50'", "lang = 'l50'",
    ],
  );
  assert.deepEqual(CASES[4], { name: 'string 1%', kind: 'string', selectivity: 1, column: 'tag', op: '=', value: 't1', sql: "tag = 't1'" });
});

test('rateCases gives rows per wall and CPU second and ours over each engine as a ratio of medians', () => {
  const rates = rateCases(100, contenders());
  assert.equal(rates.length, 12);
  const first = rates[0]!;
  assert.equal(first.rowsKept, 10);
  assert.deepEqual(first.rowsPerSecond['ours'], { n: 3, median: 50, min: 25, max: 100 });
  assert.deepEqual(first.rowsPerSecond['duckdb'], { n: 3, median: 25, min: 12.5, max: 50 });
  assert.deepEqual(first.rowsPerCpuSecond['duckdb'], { n: 3, median: 50, min: 50, max: 100 });
  assert.deepEqual(first.oursOver, { duckdb: { wall: 2, cpu: 2 } });
});

test('rateCases refuses contenders that kept different rows', () => {
  assert.throws(() => rateCases(100, contenders(11)), /pushdown numeric 0.1%: duckdb kept 10 rows, ours 11/);
});

test('endToEndCases gives the speedup of medians, of the first read, and per run', () => {
  const runs: Record<string, EndToEndRuns> = Object.fromEntries(
    CASES.map((c) => [c.name, { rows: 7, ours: [0.5, 0.1, 0.2], shipAll: [1, 1, 0.8], oursCpu: [0.1, 0.1, 0.1], shipAllCpu: [0.4, 0.5, 0.6] }]),
  );
  const e = endToEndCases(runs)[0]!;
  assert.equal(e.rowsKept, 7);
  assert.equal(e.speedup, 5);
  assert.equal(e.firstReadSpeedup, 2);
  assert.deepEqual(e.speedupPerRun, { n: 3, median: 4, min: 2, max: 10 });
  assert.deepEqual(e.shipAllCpuSeconds, { n: 3, median: 0.5, min: 0.4, max: 0.6 });
  assert.throws(() => endToEndCases({}), /no end-to-end runs of numeric 0.1%/);
});

test('pushdownText prints the rate table with its ratios, and only the parts that ran', () => {
  const text = pushdownText(rateCases(100e6, contenders()), undefined);
  assert.match(text, /^filter rate, M rows\/s/);
  assert.match(text, /numeric 0\.1% +10 +50 +100 +25 +50 +2\.00 \(cpu 2\.00\)/);
  assert.doesNotMatch(text, /end to end/);
});
