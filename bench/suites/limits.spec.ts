import assert from 'node:assert/strict';
import { test } from 'node:test';

import { aggregateLimits, LIMITS } from './limits.js';

test('aggregateLimits groups runs by limit in report order, as GB/s', () => {
  const runs = [
    { name: 'memcpy', seconds: 0.5, bytes: 4e9 },
    { name: 'tcp-loopback', seconds: 2, bytes: 4e9 },
    { name: 'memcpy', seconds: 1, bytes: 4e9 },
  ];
  assert.deepEqual(aggregateLimits(runs), [
    { name: 'tcp-loopback', description: LIMITS['tcp-loopback'], gbps: { median: 2, min: 2, max: 2, runs: 1, samples: [2] } },
    { name: 'memcpy', description: LIMITS['memcpy'], gbps: { median: 6, min: 4, max: 8, runs: 2, samples: [8, 4] } },
  ]);
});

test('aggregateLimits ignores names it does not know and leaves out limits without runs', () => {
  assert.deepEqual(aggregateLimits([{ name: 'disk', seconds: 1, bytes: 1 }]), []);
});
