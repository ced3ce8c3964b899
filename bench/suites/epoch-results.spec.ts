import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  aggregateContenders,
  aggregateSweep,
  CONTENDERS,
  pairRatios,
  roundOrder,
  selectParts,
  spread,
  verifyRun,
  type ContenderRun,
} from './epoch-results.js';

const EXPECTED = { rows: 100, bytes: 4e9, checksum: 7 };
const run = (contender: string, seconds: number, rows = 100, checksum = 7): ContenderRun => ({ contender, seconds, rows, checksum });
const plan = (name: string) => ({ name, description: `${name} described` });

test('spread gives the median, min, max, run count and the samples in their original order', () => {
  assert.deepEqual(spread([3, 1, 2, 10]), { median: 2.5, min: 1, max: 10, runs: 4, samples: [3, 1, 2, 10] });
});

test('selectParts without --only selects every contender, the sweeps and the limits', () => {
  assert.deepEqual(selectParts(undefined), { contenders: [...CONTENDERS], sweeps: true, limits: true });
});

test('selectParts keeps report order whatever order --only lists the names in', () => {
  assert.deepEqual(selectParts('redis, limits,flightcache-pyarrow'), { contenders: ['flightcache-pyarrow', 'redis'], sweeps: false, limits: true });
  assert.deepEqual(selectParts('sweeps'), { contenders: [], sweeps: true, limits: false });
});

test('selectParts rejects unknown and empty names, listing the known ones', () => {
  assert.throws(() => selectParts('redis,memcached'), /--only takes a comma-separated list of flightcache-pyarrow, .*sweeps, limits; unknown: "memcached"$/);
  assert.throws(() => selectParts(''), /unknown: ""$/);
});

test('roundOrder rotates by one position per round and wraps around', () => {
  assert.deepEqual(roundOrder(['a', 'b', 'c'], 0), ['a', 'b', 'c']);
  assert.deepEqual(roundOrder(['a', 'b', 'c'], 1), ['b', 'c', 'a']);
  assert.deepEqual(roundOrder(['a', 'b', 'c'], 5), ['c', 'a', 'b']);
  assert.deepEqual(roundOrder([], 3), []);
});

test('verifyRun accepts the generated rows and checksum and rejects any other', () => {
  verifyRun(run('redis', 1), EXPECTED);
  assert.throws(() => verifyRun(run('redis', 1, 99), EXPECTED), /^Error: epoch: redis read 99 rows with checksum 7; the data has 100 rows with checksum 7$/);
  assert.throws(() => verifyRun(run('redis', 1, 100, 8), EXPECTED), /redis read 100 rows with checksum 8/);
});

test('aggregateContenders computes GB/s from the data bytes and ratios against flightcache-pyarrow', () => {
  const runs = [run('flightcache-pyarrow', 2), run('pyarrow-flight', 4), run('flightcache-pyarrow', 1), run('pyarrow-flight', 8), run('flightcache-pyarrow', 4)];
  const results = aggregateContenders([plan('flightcache-pyarrow'), plan('pyarrow-flight'), plan('redis')], runs, EXPECTED);
  assert.deepEqual(results, [
    {
      name: 'flightcache-pyarrow',
      description: 'flightcache-pyarrow described',
      gbps: { median: 2, min: 1, max: 4, runs: 3, samples: [2, 4, 1] },
      rowsPerSec: 50,
      ratioOursOver: null,
    },
    {
      name: 'pyarrow-flight',
      description: 'pyarrow-flight described',
      gbps: { median: 0.75, min: 0.5, max: 1, runs: 2, samples: [1, 0.5] },
      rowsPerSec: 18.75,
      ratioOursOver: 2 / 0.75,
    },
  ]);
});

test('aggregateContenders leaves every ratio null when flightcache-pyarrow was not measured', () => {
  const results = aggregateContenders([plan('redis')], [run('redis', 4)], EXPECTED);
  assert.equal(results[0]!.ratioOursOver, null);
});

test('aggregateContenders fails on a run whose checksum differs from the data', () => {
  assert.throws(() => aggregateContenders([plan('ipc-js')], [run('ipc-js', 1, 100, 6)], EXPECTED), /ipc-js read 100 rows with checksum 6/);
});

test('pairRatios returns the measured pairs only, in PAIRS order', () => {
  const runs = [run('flightcache-pyarrow', 1), run('redis', 2), run('flightcache-ts', 4), run('ipc-js', 1), run('parquet-pyarrow', 4)];
  const results = aggregateContenders(['flightcache-pyarrow', 'flightcache-ts', 'parquet-pyarrow', 'ipc-js', 'redis'].map(plan), runs, EXPECTED);
  assert.deepEqual(pairRatios(results), [
    { ours: 'flightcache-pyarrow', peer: 'parquet-pyarrow', ratio: 4 },
    { ours: 'flightcache-pyarrow', peer: 'redis', ratio: 2 },
    { ours: 'flightcache-ts', peer: 'ipc-js', ratio: 0.25 },
  ]);
});

test('aggregateSweep groups by contender and parameter, sorted by parameter then by the given order', () => {
  const runs = [
    { target: 'pyarrow-flight', batchRows: 65536, seconds: 1, bytes: 2e9 },
    { target: 'flightcache-pyarrow', batchRows: 65536, seconds: 1, bytes: 3e9 },
    { target: 'flightcache-pyarrow', batchRows: 8192, seconds: 2, bytes: 2e9 },
    { target: 'pyarrow-flight', batchRows: 8192, seconds: 1, bytes: 1e9 },
    { target: 'flightcache-pyarrow', batchRows: 65536, seconds: 1, bytes: 1e9 },
  ];
  assert.deepEqual(aggregateSweep(runs, 'batchRows', ['flightcache-pyarrow', 'pyarrow-flight']), [
    { contender: 'flightcache-pyarrow', batchRows: 8192, gbps: { median: 1, min: 1, max: 1, runs: 1, samples: [1] } },
    { contender: 'pyarrow-flight', batchRows: 8192, gbps: { median: 1, min: 1, max: 1, runs: 1, samples: [1] } },
    { contender: 'flightcache-pyarrow', batchRows: 65536, gbps: { median: 2, min: 1, max: 3, runs: 2, samples: [3, 1] } },
    { contender: 'pyarrow-flight', batchRows: 65536, gbps: { median: 2, min: 2, max: 2, runs: 1, samples: [2] } },
  ]);
});

test('aggregateSweep puts contenders missing from the order last, in order of appearance', () => {
  const runs = [
    { target: 'b', readers: 1, seconds: 1, bytes: 1e9 },
    { target: 'a', readers: 1, seconds: 1, bytes: 1e9 },
  ];
  assert.deepEqual(aggregateSweep(runs, 'readers').map((p) => p.contender), ['b', 'a']);
});

test('aggregateSweep rejects a run without the numeric parameter', () => {
  assert.throws(() => aggregateSweep([{ target: 'a', seconds: 1, bytes: 1 }], 'columns'), /sweep run has no numeric columns/);
});
