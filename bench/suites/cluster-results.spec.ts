import assert from 'node:assert/strict';
import { test } from 'node:test';

import { coordinatorWithinLimit, firstBatchResult, percentile, renderClusterText, rollUpWindows, runNanosOfSchedstat, ticksOfStat, type WindowSample } from './cluster-results.js';

test('runNanosOfSchedstat reads the run time, the first field of a schedstat line', () => {
  assert.equal(runNanosOfSchedstat('852368 1203 17\n'), 852368);
});

test('runNanosOfSchedstat rejects text that is not a schedstat line', () => {
  assert.throws(() => runNanosOfSchedstat('no such thread'), /not a \/proc schedstat line/);
});

test('ticksOfStat adds utime and stime (fields 14 and 15), counting fields after the command name', () => {
  assert.equal(ticksOfStat('4242 (node (x) y) S 1 4242 4242 0 -1 4194304 900 0 0 0 317 45 0 0 20 0 9 0 1000 0 0\n'), 362);
});

test('ticksOfStat rejects text that is not a stat line', () => {
  assert.throws(() => ticksOfStat('no such thread'), /not a \/proc stat line/);
});

test('percentile takes the nearest rank', () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.equal(percentile(values, 50), 50);
  assert.equal(percentile(values, 99), 99);
  assert.equal(percentile([3, 1, 2], 50), 2);
  assert.equal(percentile([3, 1, 2], 100), 3);
  assert.throws(() => percentile([], 50), RangeError);
  assert.throws(() => percentile([1], 0), RangeError);
});

test('firstBatchResult gives p50, p99, min and max in milliseconds, with the GetFlightInfo part', () => {
  const result = firstBatchResult('ts', 2, { first: [0.004, 0.002, 0.003, 0.01], plan: [0.001, 0.001, 0.002, 0.003] });
  assert.deepEqual(result, {
    client: 'ts',
    shards: 2,
    iterations: 4,
    p50Ms: 3,
    p99Ms: 10,
    minMs: 2,
    maxMs: 10,
    planP50Ms: 1,
    planP99Ms: 3,
    ms: { n: 4, median: 3.5, min: 2, max: 10 },
  });
});

const window = (rates: number[], plans: number, coordinator: number, shards: number[]): WindowSample => ({
  readers: rates.map((gbps) => ({ bytes: gbps * 1e9, rows: 1, seconds: 1, reads: 1, plans: plans / rates.length })),
  wallSeconds: 2,
  coordinatorCpuSeconds: coordinator,
  shardCpuSeconds: shards,
});

test('rollUpWindows sums reader rates per window and gives CPU as a percentage of one core over the wall time', () => {
  const result = rollUpWindows(2, 2, 3, [window([1, 0.5], 10, 0.02, [0.5, 1]), window([2, 1], 20, 0.06, [1, 1])]);
  assert.deepEqual(result.aggregateGbps, { n: 2, median: 2.25, min: 1.5, max: 3 });
  assert.deepEqual(result.perReaderGbps, { n: 4, median: 1, min: 0.5, max: 2 });
  assert.deepEqual(result.plansPerSecond, { n: 2, median: 7.5, min: 5, max: 10 });
  assert.deepEqual(result.coordinatorCpuPercent, { n: 2, median: 2, min: 1, max: 3 });
  assert.deepEqual(result.coordinatorCpuMsPerPlan, { n: 2, median: 2.5, min: 2, max: 3 });
  assert.deepEqual(result.shardCpuPercent, [
    { n: 2, median: 37.5, min: 25, max: 50 },
    { n: 2, median: 50, min: 50, max: 50 },
  ]);
  assert.equal(result.endpoints, 3);
  assert.equal(coordinatorWithinLimit([result]), true);
});

test('rollUpWindows rejects a window with the wrong number of readers or shard readings', () => {
  assert.throws(() => rollUpWindows(1, 2, 1, [window([1], 1, 0, [0])]), /2 readers has 1 results/);
  assert.throws(() => rollUpWindows(2, 1, 1, [window([1], 1, 0, [0])]), /2 shards has 1 CPU readings/);
});

test('coordinatorWithinLimit is false once one window reaches 5% of a core', () => {
  const over = rollUpWindows(1, 1, 1, [window([1], 1, 0.02, [1]), window([1], 1, 0.1, [1])]);
  assert.equal(coordinatorWithinLimit([over]), false);
  assert.ok(renderClusterText([over], [], [], 1024 * 1024).includes('coordinator CPU exceeded 5% of one core in at least one window'));
});
