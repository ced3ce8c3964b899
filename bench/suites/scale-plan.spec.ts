import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { test } from 'node:test';

import { allowedCpus, doublingUpTo, findExecutable, parseCounts, parseCpuList, place, planShapes } from './scale-plan.js';

test('parseCpuList expands ranges and sorts distinct CPUs', () => {
  assert.deepEqual(parseCpuList('0-3,8,10-11'), [0, 1, 2, 3, 8, 10, 11]);
  assert.deepEqual(parseCpuList('5,1,1\n'), [1, 5]);
});

test('parseCpuList refuses malformed items and backward ranges', () => {
  assert.throws(() => parseCpuList('0-'), /bad CPU list "0-": expected items like 3 or 0-7/);
  assert.throws(() => parseCpuList('3-1'), /range 3-1 runs backwards/);
});

test('allowedCpus lists at least one CPU, in order', () => {
  const list = allowedCpus();
  assert.ok(list.length >= 1);
  assert.deepEqual(list, [...list].sort((a, b) => a - b));
});

test('findExecutable finds node in its own directory and nothing on an empty PATH', () => {
  assert.equal(findExecutable('node', `/nonexistent:${dirname(process.execPath)}`), process.execPath);
  assert.equal(findExecutable('node', ''), null);
  assert.equal(findExecutable('node', undefined), null);
});

test('parseCounts reads a sorted, distinct list and names the variable on bad input', () => {
  assert.deepEqual(parseCounts('4, 1,2,2', 'X'), [1, 2, 4]);
  for (const bad of ['', '0', '1,x', '1.5', '-1']) assert.throws(() => parseCounts(bad, 'BENCH_SCALE_READERS'), /BENCH_SCALE_READERS must be a comma-separated list of positive integers/, bad);
});

test('doublingUpTo samples 1..max by doubling and always ends at max', () => {
  assert.deepEqual(doublingUpTo(1), [1]);
  assert.deepEqual(doublingUpTo(0), [1]);
  assert.deepEqual(doublingUpTo(8), [1, 2, 4, 8]);
  assert.deepEqual(doublingUpTo(15), [1, 2, 4, 8, 15]);
});

test('planShapes runs N=1, M=1 alone on 2 CPUs (and on 1, sharing the core)', () => {
  assert.deepEqual(planShapes(2), [{ servers: 1, readers: 1 }]);
  assert.deepEqual(planShapes(1), [{ servers: 1, readers: 1 }]);
});

test('planShapes on 8 CPUs gives N up to 4 and, for each N, M up to 8 - N', () => {
  const shapes = planShapes(8).map((s) => `${s.servers}x${s.readers}`);
  assert.deepEqual(shapes, ['1x1', '1x2', '1x4', '1x7', '2x1', '2x2', '2x4', '2x6', '4x1', '4x2', '4x4']);
});

test('planShapes uses explicit counts for either side', () => {
  assert.deepEqual(planShapes(2, [1, 2], [3]), [{ servers: 1, readers: 3 }, { servers: 2, readers: 3 }]);
  assert.deepEqual(planShapes(4, undefined, [1]), [{ servers: 1, readers: 1 }, { servers: 2, readers: 1 }]);
});

test('place puts servers on the first CPUs and readers on the next, wrapping when there are too few', () => {
  assert.deepEqual(place({ servers: 2, readers: 2 }, [4, 5, 6, 7], true), { serverCores: [4, 5], readerCores: [6, 7], oversubscribed: false });
  assert.deepEqual(place({ servers: 1, readers: 2 }, [0, 1], true), { serverCores: [0], readerCores: [1, 0], oversubscribed: true });
  assert.deepEqual(place({ servers: 1, readers: 1 }, [0, 1], false), { serverCores: null, readerCores: null, oversubscribed: false });
});
