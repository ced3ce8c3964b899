import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  aggregateTorch,
  FLIGHTCACHE_W0,
  FLIGHTCACHE_W2,
  PARQUET,
  PARQUET_LOADER_W2,
  RAY_TORCH,
  renderTorchText,
  selectTorchContenders,
  torchConditions,
  torchRatios,
  verifyTorchRun,
  type TorchParams,
  type TorchRun,
} from './torch-results.js';

const expected = { rows: 1000, bytes: 76_000, checksum: 7 };
const plans = [FLIGHTCACHE_W0, FLIGHTCACHE_W2, PARQUET, PARQUET_LOADER_W2].map((name) => ({ name, description: `${name} desc`, conditions: torchConditions(name, 2)! }));

function run(contender: string, seconds: number): TorchRun {
  return { contender, seconds, ...expected };
}

test('selectTorchContenders takes every contender by default and a named subset in report order', () => {
  assert.deepEqual(selectTorchContenders(undefined), [FLIGHTCACHE_W0, FLIGHTCACHE_W2, PARQUET, PARQUET_LOADER_W2, RAY_TORCH]);
  assert.deepEqual(selectTorchContenders(' ray-torch,flightcache-w0'), [FLIGHTCACHE_W0, RAY_TORCH]);
  assert.throws(() => selectTorchContenders('parquet,nope'), /unknown: "nope"/);
});

test('verifyTorchRun rejects an epoch with other rows, tensor bytes or checksum', () => {
  verifyTorchRun(run(PARQUET, 1), expected);
  assert.throws(() => verifyTorchRun({ ...run(PARQUET, 1), bytes: 75_999 }, expected), /parquet delivered 1000 rows, 75999 tensor bytes, checksum 7; the data has 1000 rows, 76000 bytes, checksum 7/);
  assert.throws(() => verifyTorchRun({ ...run(PARQUET, 1), checksum: 8 }, expected), /checksum 8/);
  assert.throws(() => verifyTorchRun({ ...run(PARQUET, 1), rows: 999 }, expected), /999 rows/);
});

test('aggregateTorch gives samples/s and GB/s spreads per contender in plan order, leaving out contenders without runs', () => {
  const runs = [run(PARQUET, 2), run(FLIGHTCACHE_W0, 1), run(PARQUET, 4), run(FLIGHTCACHE_W0, 0.5), run(PARQUET, 1)];
  const results = aggregateTorch(plans, runs, expected);
  assert.deepEqual(results.map((r) => r.name), [FLIGHTCACHE_W0, PARQUET]);
  assert.deepEqual(results[1]!.samplesPerSec, { median: 500, min: 250, max: 1000, runs: 3, samples: [500, 250, 1000] });
  assert.deepEqual(results[0]!.gbps, { median: 0.000114, min: 0.000076, max: 0.000152, runs: 2, samples: [0.000076, 0.000152] });
});

test('torchRatios divides median samples/s, judges each target and skips ratios with a side missing', () => {
  const runs = [run(FLIGHTCACHE_W0, 1), run(FLIGHTCACHE_W2, 10), run(PARQUET, 0.5), run(PARQUET_LOADER_W2, 5)];
  const ratios = torchRatios(aggregateTorch(plans, runs, expected));
  assert.deepEqual(ratios, [
    { ours: FLIGHTCACHE_W0, peer: PARQUET, ratio: 0.5, target: 1, met: false },
    { ours: FLIGHTCACHE_W0, peer: PARQUET_LOADER_W2, ratio: 5, target: 5, met: true },
    { ours: FLIGHTCACHE_W2, peer: FLIGHTCACHE_W0, ratio: 0.1, target: null, met: null },
  ]);
});

test('renderTorchText lists contenders, skipped peers and ratios with their targets', () => {
  const params: TorchParams = {
    dataBytes: 76_000, rows: 1000, batchRows: 8192, rowBytes: 76, schema: 'id int64', seed: 42, runs: 1, warmup: 1,
    shards: 2, replicas: 1, loaderWorkers: 2, parquetFiles: 1, parquetFileBytes: 80_000,
  };
  const contenders = aggregateTorch(plans, [run(FLIGHTCACHE_W0, 0.001), run(PARQUET, 0.002)], expected);
  const text = renderTorchText({ params, contenders, ratios: torchRatios(contenders), skipped: [{ name: RAY_TORCH, reason: 'no ray' }] });
  assert.ok(text.includes('flightcache-w0  1.00 M     0.076        0.076  0.076  1'), text);
  assert.ok(text.includes('skipped ray-torch: no ray'), text);
  assert.ok(text.includes('  flightcache-w0 / parquet: 2.00x (target >= 1x: met)'), text);
  assert.ok(text.endsWith('like-for-like (same workers and shuffling), median samples/s:\n  flightcache-w0 / parquet: 2.00x (workers 0, shuffled no)'), text);
});
