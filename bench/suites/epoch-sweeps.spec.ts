import assert from 'node:assert/strict';
import { test } from 'node:test';

import { columnsNote, sweepArgs, withSelectivity } from './epoch-sweeps.js';

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

test('sweepArgs names each pushdown target after the rounds', () => {
  assert.deepEqual(sweepArgs('columns', {}, 'f', [1, 8], 3, 1, ['flightcache-pyarrow']), [
    'columns', '--ipc', 'f', '--columns', '1,8', '--runs', '3', '--warmup', '1', '--pushdown', 'flightcache-pyarrow',
  ]);
});

const GBPS = { median: 2, min: 1, max: 3, runs: 3, samples: [1, 2, 3] };

test('withSelectivity adds the selectivity of each point\'s column count', () => {
  const points = [
    { contender: 'flightcache-pyarrow', columns: 1, gbps: GBPS },
    { contender: 'pyarrow-flight', columns: 1, gbps: GBPS },
    { contender: 'flightcache-pyarrow', columns: 8, gbps: GBPS },
  ];
  const datasets = [{ columns: 8, selectivity: 1 }, { columns: 1, selectivity: 0.125 }];
  assert.deepEqual(withSelectivity(points, datasets), [
    { contender: 'flightcache-pyarrow', columns: 1, gbps: GBPS, selectivity: 0.125 },
    { contender: 'pyarrow-flight', columns: 1, gbps: GBPS, selectivity: 0.125 },
    { contender: 'flightcache-pyarrow', columns: 8, gbps: GBPS, selectivity: 1 },
  ]);
});

test('withSelectivity rejects a column count the sweep did not report', () => {
  assert.throws(() => withSelectivity([{ contender: 'a', columns: 2, gbps: GBPS }], [{ columns: 1, selectivity: 0.5 }]), {
    message: 'columns sweep: no selectivity for 2 columns',
  });
});

test('columnsNote says where columns are projected and lists each selectivity', () => {
  assert.equal(
    columnsNote([{ columns: 1, selectivity: 1 / 6 }, { columns: 8, selectivity: 1 }]),
    'the first k of 8 columns delivered from the full dataset: flightcache projects them at the server (JSON command), ' +
      "pyarrow-flight sends all 8 and the client selects k; GB/s counts the k columns' bytes; " +
      'selectivity (projected / full bytes): k=1 0.167, k=8 1.000',
  );
});
