import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  aggregateFeed,
  caseName,
  FEED_CASES,
  feedRatios,
  GRPC_W0,
  IPC_MMAP,
  PARQUET,
  renderFeedText,
  selectFeedContenders,
  SHM_W0,
  SHM_W2,
  verifyFeedRun,
  type FeedRun,
} from './feed-results.js';

const expected = { rows: 1000, bytes: 76_000, checksum: 7 };

function run(contender: string, seconds: number, cpuSeconds = seconds, serverCpuSeconds = 0): FeedRun {
  return { contender, seconds, cpuSeconds, serverCpuSeconds, ...expected };
}

test('FEED_CASES are both shapes, each in stored order then shuffled', () => {
  assert.deepEqual(FEED_CASES.map(caseName), ['rows76 in order', 'rows76 shuffled', 'tokens in order', 'tokens shuffled']);
});

test('selectFeedContenders takes every contender by default and a named subset in report order', () => {
  assert.equal(selectFeedContenders(undefined).length, 9);
  assert.deepEqual(selectFeedContenders('ipc-mmap, shm-w0'), [SHM_W0, IPC_MMAP]);
  assert.throws(() => selectFeedContenders('parquet,nope'), /unknown: "nope"/);
});

test('verifyFeedRun rejects an epoch with other rows, tensor bytes or checksum, naming the case', () => {
  verifyFeedRun(run(PARQUET, 1), expected, 'rows76 shuffled');
  assert.throws(() => verifyFeedRun({ ...run(PARQUET, 1), checksum: 8 }, expected, 'rows76 shuffled'), /feed \(rows76 shuffled\): parquet delivered 1000 rows, 76000 tensor bytes, checksum 8/);
  assert.throws(() => verifyFeedRun({ ...run(PARQUET, 1), rows: 999 }, expected, 'x'), /999 rows/);
});

test('aggregateFeed gives samples/s, GB/s and client/server cores per contender in plan order', () => {
  const plans = [SHM_W0, GRPC_W0, PARQUET].map((name) => ({ name, description: `${name} desc` }));
  const results = aggregateFeed(plans, [run(GRPC_W0, 2, 1, 3), run(SHM_W0, 0.5, 0.5, 0), run(GRPC_W0, 4, 2, 2), run(GRPC_W0, 1, 1, 1)], expected, 'c');
  assert.deepEqual(results.map((r) => r.name), [SHM_W0, GRPC_W0]);
  const grpc = results[1]!;
  assert.equal(grpc.samplesPerSec.median, 500);
  assert.equal(grpc.gbps.median, 76_000 / 2 / 1e9);
  assert.equal(grpc.clientCores.median, 0.5);
  assert.equal(grpc.serverCores.median, 1);
  assert.deepEqual(grpc.serverCores.samples, [1.5, 0.5, 1]);
});

test('feedRatios applies the shuffled goals only to shuffled cases and leaves pairs informative', () => {
  const plans = [SHM_W0, SHM_W2, GRPC_W0, IPC_MMAP].map((name) => ({ name, description: '' }));
  const results = aggregateFeed(plans, [run(SHM_W0, 1), run(SHM_W2, 2), run(GRPC_W0, 5), run(IPC_MMAP, 0.9)], expected, 'c');
  const shuffled = feedRatios(results, true);
  assert.deepEqual(
    shuffled.map((r) => [r.ours, r.peer, r.kind, Number(r.ratio.toFixed(3)), r.target, r.met]),
    [
      [SHM_W0, IPC_MMAP, 'headline', 0.9, 0.8, true],
      [SHM_W0, GRPC_W0, 'headline', 5, 4, true],
      [SHM_W2, SHM_W0, 'headline', 0.5, 1, false],
      [GRPC_W0, IPC_MMAP, 'pair', 0.18, null, null],
    ],
  );
  const ordered = feedRatios(results, false);
  assert.deepEqual(ordered.map((r) => r.target), [null, null, 1, null]);
});

test('renderFeedText shows each case with its cores, ratios with goals, and skipped contenders', () => {
  const plans = [SHM_W0, IPC_MMAP].map((name) => ({ name, description: `${name} desc` }));
  const contenders = aggregateFeed(plans, [run(SHM_W0, 1, 0.5, 0.25), run(IPC_MMAP, 1)], expected, 'c');
  const text = renderFeedText({
    params: {
      shapes: [{ shape: 'rows76', schema: 'id int64', rowBytes: 76, batchRows: 16384, storedBatchRows: 16384, rows: 1000, dataBytes: 76_000, parquetFiles: 1, parquetFileBytes: 100 }],
      seed: 42, runs: 1, warmup: 0, shards: 2, replicas: 1, loaderWorkers: 2,
    },
    cases: [{ shape: 'rows76', shuffled: true, contenders, ratios: feedRatios(contenders, true) }],
    skipped: [{ name: 'ray', reason: 'cannot import ray' }],
  });
  assert.match(text, /-- rows76 shuffled --/);
  assert.match(text, /shm-w0 +0\.001 M +0\.000 +0\.000 +0\.000 +0\.50 +0\.25 +1/);
  assert.match(text, /shm-w0 \/ ipc-mmap: 1\.00x \(goal >= 0\.8x: met\)/);
  assert.match(text, /skipped ray: cannot import ray/);
});
