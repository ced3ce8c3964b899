import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asWorkerReport, rollUpSoak, summarizeRss, type ThreadReport } from './soak-results.js';

const thread = (over: Partial<ThreadReport>): ThreadReport => ({
  role: 'reader',
  kind: 'client',
  passes: 2,
  rowsDelivered: 20,
  rowsExpected: 20,
  lost: 0,
  duplicated: 0,
  firstBatchSeconds: [0.01, 0.03],
  errors: {},
  errorSamples: {},
  ops: {},
  ...over,
});

test('rollUpSoak adds lost and duplicated rows, errors by code and rows per second from the start', () => {
  const totals = rollUpSoak(
    [
      { threads: [thread({}), thread({ kind: 'pyarrow', lost: 3, errors: { UNAVAILABLE: 2 }, errorSamples: { UNAVAILABLE: 'gone' } })], buckets: { '101': 5, '103': 7 }, hung: 0 },
      { threads: [thread({ role: 'writer', kind: 'writer', duplicated: 1, errors: { 'put UNAVAILABLE': 1 }, ops: { put: 4 } })], buckets: { '101': 1 }, hung: 1 },
    ],
    100.6,
  );
  assert.deepEqual([totals.passes, totals.lost, totals.duplicated, totals.hung], [4, 3, 0, 1]);
  assert.deepEqual(totals.readerErrors, { UNAVAILABLE: 2 });
  assert.deepEqual(totals.writerErrors, { 'put UNAVAILABLE': 1 });
  assert.deepEqual(totals.writerOps, { put: 4 });
  assert.deepEqual(totals.writerChecks, { passes: 2, lost: 0, duplicated: 1 });
  assert.deepEqual(totals.rowsPerSecond, [0, 6, 0, 7]);
  assert.deepEqual(totals.readers.map((r) => [r.kind, r.failedPasses]), [['client', 0], ['pyarrow', 2]]);
  assert.equal(totals.firstBatch!.p50Ms, 10);
  assert.equal(totals.firstBatch!.p99Ms, 30);
  assert.deepEqual(totals.errorSamples, { UNAVAILABLE: 'gone' });
});

test('asWorkerReport refuses a thread with a negative count, naming the worker', () => {
  assert.throws(() => asWorkerReport({ threads: [thread({ lost: -1 })], buckets: {}, hung: 0 }, 'soak readers 0'), /soak readers 0 sent a malformed report/);
});

test('summarizeRss gives each process its first, peak and last sample and skips processes never sampled', () => {
  assert.deepEqual(
    summarizeRss({ shard0: [{ at: 0, bytes: 5 }, { at: 1, bytes: 9 }, { at: 2, bytes: 7 }], gone: [] }),
    [{ role: 'shard0', firstBytes: 5, peakBytes: 9, lastBytes: 7 }],
  );
});
