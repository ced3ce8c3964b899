import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { ResultRecord } from '../results.js';
import { clusterConfigs, clusterLatencies, latencyChart, renderCluster, separateHosts } from './cluster.js';

const context = { chartHref: (name: string) => `charts/${name}` };
const s = (median: number, min: number, max: number, n = 3): Record<string, number> => ({ n, median, min, max });

const record: ResultRecord = {
  file: 'cluster.json',
  suite: 'cluster',
  quick: true,
  only: null,
  date: '2026-01-02T03:04:05.000Z',
  commit: null,
  dirty: null,
  machine: { hostname: null, cpu: 'Test CPU', cores: 2, memoryBytes: null, os: null, node: null, python: null, pyarrow: null },
  load: null,
  data: {
    params: { runs: 3, coordinatorCpuLimitPercent: 5, firstBatchTargetP50Ms: 5, latencyShare: { rank: 0, world: 4 } },
    configs: [
      { shards: 1, readers: 1, aggregateGbps: s(1, 0.5, 1.5), perReaderGbps: s(1, 0.5, 1.5), plansPerSecond: s(6, 5, 7), coordinatorCpuPercent: s(2, 1, 3), coordinatorCpuMsPerPlan: s(3, 2, 4), shardCpuPercent: [s(20, 10, 30)] },
      { shards: 2, readers: 4, aggregateGbps: s(2, 1.5, 2.5), perReaderGbps: s(0.5, 0.25, 1), coordinatorCpuPercent: s(4, 3, 4.5), shardCpuPercent: [s(15, 10, 20), s(25, 20, 30)] },
    ],
    firstBatch: [{ client: 'pyarrow', shards: 1, iterations: 50, p50Ms: 3.25, p99Ms: 9, minMs: 2, planP50Ms: 1.5 }, { client: 'ts', shards: 1, iterations: 50, p50Ms: 4 }],
  },
};

test('clusterConfigs reads each configuration with its per-shard CPU', () => {
  const configs = clusterConfigs(record);
  assert.deepEqual(configs.map((c) => [c.shards, c.readers, c.shardCpu.length]), [
    [1, 1, 1],
    [2, 4, 2],
  ]);
  assert.deepEqual(configs[1]!.coordinatorCpu, { median: 4, min: 3, max: 4.5, runs: 3 });
  assert.equal(configs[1]!.plansPerSecond, null);
});

test('clusterLatencies keeps the entries that have p50 and p99', () => {
  assert.deepEqual(clusterLatencies(record), [{ client: 'pyarrow', shards: 1, iterations: 50, p50Ms: 3.25, p99Ms: 9, minMs: 2, planP50Ms: 1.5 }]);
});

test('renderCluster tabulates throughput and CPU, judges the coordinator budget, charts and lists latencies', () => {
  const { markdown, charts } = renderCluster(record, context);
  assert.ok(markdown.includes('| 1 | 1 | 1.000 | 0.500 | 1.500 | 3 | 1.000 | 6.0 | 2.0 | 3.0 | 3.00 | 20.0 |'), markdown);
  assert.ok(markdown.includes('| 2 | 4 | 2.000 | 1.500 | 2.500 | 3 | 0.500 | \u2013 | 4.0 | 4.5 | \u2013 | 15.0 / 25.0 |'), markdown);
  assert.ok(markdown.includes("The coordinator's CPU stayed under its budget of 5% of one core: the highest window was 4.5%."), markdown);
  assert.ok(markdown.includes('| pyarrow | 1 | 50 | 3.25 | 9.00 | 1.50 |'), markdown);
  assert.ok(markdown.includes('share `[name, 0, 4]`') && markdown.includes('Target: p50 under 5 ms.'));
  assert.ok(markdown.includes('![cluster aggregate throughput](charts/cluster-aggregate.svg)'));
  assert.ok(markdown.endsWith('![cluster time to first batch](charts/cluster-first-batch.svg)'), markdown);
  assert.deepEqual(charts.map((c) => c.name), ['cluster-aggregate.svg', 'cluster-first-batch.svg']);
  assert.ok(charts[0]!.svg.includes('>1 shard<') && charts[0]!.svg.includes('>2 shards<'));
});

test('renderCluster of a missing record says cluster was not measured', () => {
  assert.ok(renderCluster(undefined, context).markdown.endsWith('cluster: not measured in this results set.'));
});

test('renderCluster of a latency-only record marks throughput as not measured', () => {
  const { markdown, charts } = renderCluster({ ...record, data: { ...record.data, configs: [] } }, context);
  assert.ok(markdown.includes('Throughput: not measured in this results set.'));
  assert.ok(markdown.includes('### Time to first batch'));
  assert.deepEqual(charts.map((c) => c.name), ['cluster-first-batch.svg']);
});

test('latencyChart puts each client and shard count at its p50 with a whisker from the fastest iteration to p99', () => {
  const svg = latencyChart(clusterLatencies(record));
  assert.ok(svg.includes('>pyarrow, 1 shard<') && svg.includes('>3.25<'), svg);
  assert.ok(svg.includes('>p50<') && svg.includes('>fastest to p99<'), svg);
});

const hostsPart = {
  subnet: '10.213.94.0/24',
  scaling: 1.25,
  configs: [
    { shards: 1, readers: 1, aggregateGbps: s(1, 0.75, 1.25), perReaderGbps: s(1, 0.75, 1.25), coordinatorCpuPercent: s(1, 1, 1), shardCpuPercent: [s(40, 30, 50)], shardCpuSecondsPerGb: s(0.4, 0.375, 0.5) },
    { shards: 2, readers: 2, aggregateGbps: s(1.25, 1, 1.5), perReaderGbps: s(0.625, 0.5, 0.75), coordinatorCpuPercent: s(1, 1, 1), shardCpuPercent: [s(25, 20, 30), s(26, 20, 30)], shardCpuSecondsPerGb: s(0.41, 0.4, 0.5) },
  ],
};

test('renderCluster tabulates N shards serving N readers on separate simulated hosts, with shard CPU per GB and the scaling', () => {
  const withHosts = { ...record, data: { ...record.data, separateHosts: hostsPart } };
  const part = separateHosts(withHosts);
  assert.ok(part !== null && 'configs' in part);
  assert.deepEqual([part.scaling, part.configs.map((c) => c.shardCpuSecondsPerGb?.median)], [1.25, [0.4, 0.41]]);
  const { markdown } = renderCluster(withHosts, context);
  assert.ok(markdown.includes('### Separate hosts'), markdown);
  assert.ok(markdown.includes('(10.213.94.0/24)') && markdown.includes('Two shards delivered 1.25x the aggregate rate of one.'), markdown);
  assert.ok(markdown.includes('| 1 | 1 | 1.000 | 0.750 | 1.250 | 3 | 1.000 | 0.400 | 40.0 |'), markdown);
  assert.ok(markdown.includes('| 2 | 2 | 1.250 | 1.000 | 1.500 | 3 | 0.625 | 0.410 | 25.0 / 26.0 |'), markdown);
  const skipped = renderCluster({ ...record, data: { ...record.data, separateHosts: { unavailable: 'network namespaces cannot be made here (EPERM)' } } }, context);
  assert.ok(skipped.markdown.includes('### Separate hosts\n\nNot measured: network namespaces cannot be made here (EPERM).'), skipped.markdown);
  assert.ok(renderCluster(record, context).markdown.includes('Separate hosts: not measured in this results set.'));
});
