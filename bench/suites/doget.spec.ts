import assert from 'node:assert/strict';
import { test } from 'node:test';

import { planPinning } from './doget.js';

test('planPinning puts the servers on the first half of the CPUs and the client on the rest', () => {
  assert.deepEqual(planPinning([0, 1], '/usr/bin/taskset'), { serverCpus: [0], clientCpus: [1] });
  assert.deepEqual(planPinning([2, 3, 5, 7, 8], '/usr/bin/taskset'), { serverCpus: [2, 3], clientCpus: [5, 7, 8] });
});

test('planPinning leaves the processes unpinned on one CPU or without taskset, saying why', () => {
  assert.deepEqual(planPinning([0], '/usr/bin/taskset'), { unpinned: 'only 1 CPU is allowed' });
  assert.deepEqual(planPinning([0, 1], null), { unpinned: 'taskset is not installed' });
});
