import assert from 'node:assert/strict';
import { test } from 'node:test';

import { aggregateMicro, renderMicro } from './micro.js';

const CASES = [
  { name: 'memcpy', description: 'copy', bytesPerOp: 1e6 },
  { name: 'decode', description: 'decode', bytesPerOp: 2e6, baseline: 'memcpy' },
  { name: 'encode', description: 'encode' },
];

test('aggregateMicro summarizes ops/s over rounds, derives GB/s from bytes per op and the ratio to the baseline', () => {
  const samples = [
    { name: 'memcpy', hz: 4000, rme: 1 },
    { name: 'decode', hz: 1000, rme: 5 },
    { name: 'memcpy', hz: 2000, rme: 3 },
    { name: 'decode', hz: 500, rme: 2 },
    { name: 'decode', hz: 750, rme: 4 },
  ];
  assert.deepEqual(aggregateMicro(CASES, samples), [
    {
      name: 'memcpy',
      description: 'copy',
      opsPerSec: { median: 3000, min: 2000, max: 4000, runs: 2, samples: [4000, 2000] },
      rmePercent: 2,
      gbps: { median: 3, min: 2, max: 4, runs: 2, samples: [4, 2] },
      baseline: null,
      ratioOverBaseline: null,
    },
    {
      name: 'decode',
      description: 'decode',
      opsPerSec: { median: 750, min: 500, max: 1000, runs: 3, samples: [1000, 500, 750] },
      rmePercent: 4,
      gbps: { median: 1.5, min: 1, max: 2, runs: 3, samples: [2, 1, 1.5] },
      baseline: 'memcpy',
      ratioOverBaseline: 0.25,
    },
  ]);
});

test('aggregateMicro leaves the ratio null when the baseline was not measured', () => {
  const [decode] = aggregateMicro(CASES, [{ name: 'decode', hz: 10, rme: 1 }]);
  assert.equal(decode!.ratioOverBaseline, null);
  assert.equal(decode!.baseline, 'memcpy');
});

test('renderMicro prints one row per case and a description line for each', () => {
  const results = aggregateMicro(CASES, [
    { name: 'memcpy', hz: 4000, rme: 1 },
    { name: 'decode', hz: 1000, rme: 5 },
    { name: 'encode', hz: 123456.7, rme: 0.25 },
  ]);
  assert.deepEqual(renderMicro(results).split('\n'), [
    'case    median ops/s  min     max     ±rme  median GB/s  vs baseline',
    '------  ------------  ------  ------  ----  -----------  --------------',
    'memcpy  4000          4000    4000    1.0%  4.00         -',
    'decode  1000          1000    1000    5.0%  2.00         0.250 x memcpy',
    'encode  123457        123457  123457  0.3%  -            -',
    '  memcpy: copy',
    '  decode: decode',
    '  encode: encode',
  ]);
});
