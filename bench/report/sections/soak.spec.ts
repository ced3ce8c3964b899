import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseRecord } from '../results.js';
import { renderSoak } from './soak.js';

const context = { chartHref: (name: string) => `charts/${name}` };
const reader = (kind: string, passes: number, failedPasses: number) => ({ kind, passes, rowsDelivered: passes * 10, rowsExpected: passes * 10, lost: 0, duplicated: 0, failedPasses });
const record = parseRecord('soak.json', {
  suite: 'soak',
  quick: true,
  date: '2026-12-07T07:00:00.000Z',
  machine: { cpuModel: 'test cpu', cores: 2 },
  params: { seconds: 30, readers: 3, writers: 1, rows: 10, batches: 2, shards: 3, replicas: 2 },
  faults: [
    { fault: 'kill', target: 'shard0', at: 3.04, noticedDownSeconds: 0.61, settledSeconds: 0.5 },
    { fault: 'coordinator-failover', target: 'coordinator-a', at: 12, noticedDownSeconds: null, takeoverSeconds: 2.4, planning: { seconds: 2.65, rows: 50 }, settledSeconds: 0.6 },
  ],
  totals: {
    readers: [reader('client', 4, 0), reader('pyarrow', 2, 1), reader('pyarrow', 3, 2)],
    passes: 9,
    lost: 0,
    duplicated: 0,
    hung: 0,
    readerErrors: { UNAVAILABLE: 3 },
    writerErrors: { 'put UNAVAILABLE': 1 },
    writerOps: { put: 5, drop: 4 },
    writerChecks: { passes: 4, lost: 0, duplicated: 0 },
    firstBatch: { passes: 9, p50Ms: 12.34, p99Ms: 99, maxMs: 120 },
    firstBatchByKind: { client: { passes: 4, p50Ms: 10, p99Ms: 20 }, pyarrow: { passes: 5, p50Ms: 30, p99Ms: 40 } },
    rowsPerSecond: [100, 2000, 0],
  },
  rssSamples: { shard0: [{ at: 0, bytes: 100 * 2 ** 20 }, { at: 1.2, bytes: 110 * 2 ** 20 }] },
  partition: { skipped: 'network namespaces cannot be made here (EPERM)' },
});

test('renderSoak totals each reader kind, lists faults and failed calls, and charts throughput and RSS over the run', () => {
  const { markdown, charts } = renderSoak(record, context);
  assert.ok(markdown.includes('| pyarrow | 2 | 5 | 3 | 50 | 50 | 0 | 0 | 30.0 | 40.0 |'), markdown);
  assert.ok(markdown.includes('| kill | shard0 | 3.04 | 0.61 | \u2013 | \u2013 | 0.50 |'), markdown);
  assert.ok(markdown.includes('| coordinator-failover | coordinator-a | 12.00 | \u2013 | 2.40 | 2.65 (50) | 0.60 |'), markdown);
  assert.ok(markdown.includes('All readers: 9 finished passes, 0 rows lost, 0 duplicated, 0 threads hung. Failed calls by gRPC code: UNAVAILABLE 3.'), markdown);
  assert.ok(markdown.includes('Writers: succeeded drop 4, put 5; read-back checks 4 (0 rows lost, 0 duplicated). Failed calls by step and code: put UNAVAILABLE 1.'), markdown);
  assert.ok(markdown.includes('p50 12.3 ms, p99 99.0 ms, max 120.0 ms'), markdown);
  assert.ok(markdown.includes('Network partition: skipped (network namespaces cannot be made here (EPERM)).'), markdown);
  assert.ok(markdown.includes('npm run bench -- soak --quick --json docs/results/soak.json'), markdown);
  assert.deepEqual(charts.map((c) => c.name), ['soak-throughput.svg', 'soak-rss.svg']);
  assert.ok(charts[1]!.svg.includes('>shard0<'), charts[1]!.svg);
});

test('renderSoak of a missing record says soak was not measured', () => {
  assert.deepEqual(renderSoak(undefined, context).charts, []);
  assert.ok(renderSoak(undefined, context).markdown.endsWith('soak: not measured in this results set.'));
});
