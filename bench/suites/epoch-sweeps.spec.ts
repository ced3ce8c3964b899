import assert from 'node:assert/strict';
import { test } from 'node:test';

import { sweepArgs } from './epoch-sweeps.js';

const TARGETS = { 'flightcache-pyarrow': 'grpc://127.0.0.1:1', 'pyarrow-flight': 'grpc://127.0.0.1:2' };

test('sweepArgs passes every target, the IPC file, the values, runs and warm-up rounds', () => {
  assert.deepEqual(sweepArgs('batch-size', TARGETS, '/tmp/d/data.arrow', [8192, 65536], 3, 1), [
    'batch-size',
    '--target', 'flightcache-pyarrow=grpc://127.0.0.1:1',
    '--target', 'pyarrow-flight=grpc://127.0.0.1:2',
    '--ipc', '/tmp/d/data.arrow',
    '--rows', '8192,65536',
    '--runs', '3',
    '--warmup', '1',
  ]);
});

test('sweepArgs names the value flag after the sweep', () => {
  assert.deepEqual(sweepArgs('readers', {}, 'f', [1, 2, 4], 5, 2), ['readers', '--ipc', 'f', '--readers', '1,2,4', '--runs', '5', '--warmup', '2']);
  assert.deepEqual(sweepArgs('columns', {}, 'f', [1, 8], 1, 0), ['columns', '--ipc', 'f', '--columns', '1,8', '--runs', '1', '--warmup', '0']);
});
