import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { test } from 'node:test';

import { collectMachine, formatMachine } from './machine.js';

test('collectMachine names the host and the venv\'s Python and pyarrow versions', async () => {
  const machine = await collectMachine();
  assert.equal(machine.hostname, hostname());
  assert.match(machine.python, /^3\.\d+\.\d+$/);
  assert.match(machine.pyarrow, /^\d+\.\d+\.\d+/);
  assert.ok(machine.cores >= 1 && machine.memoryBytes > 0);
});

test('formatMachine prints one aligned line per field', () => {
  const text = formatMachine({ hostname: 'h', cpuModel: 'c', cores: 2, memoryBytes: 2 ** 31, os: 'o', node: 'v20', python: '3.11.7', pyarrow: '25.0.1' });
  assert.deepEqual(text.split('\n'), ['host:    h', 'cpu:     c (2 cores)', 'memory:  2.0 GiB', 'os:      o', 'node:    v20', 'python:  3.11.7', 'pyarrow: 25.0.1']);
});
