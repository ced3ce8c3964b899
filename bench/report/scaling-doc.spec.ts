import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseRecord, type ResultRecord } from './results.js';
import { modelInputs, renderScalingBlock } from './scaling-doc.js';
import { fixture } from './testing/fixtures.js';

function resultsOf(...suites: string[]): Map<string, ResultRecord> {
  return new Map(suites.map((suite) => [suite, fixture(suite)]));
}

test('modelInputs takes the best per-server and per-reader rates from scale and the overhead from doget', () => {
  const inputs = modelInputs(resultsOf('doget', 'scale'));
  assert.deepEqual(inputs.perShardGbps, { value: 3, source: 'scale --quick: N=1, M=3, 2001-02-03 06:00 UTC, FIXTURE CPU (not measured) (4 cores)' });
  assert.deepEqual(inputs.perClientGbps, { value: 2.5, source: 'scale --quick: N=2, M=2, 2001-02-03 06:00 UTC, FIXTURE CPU (not measured) (4 cores)' });
  assert.equal(inputs.getFlightInfoSeconds!.value, 0.0005);
  assert.deepEqual(inputs.rssToData, { value: 1.2, source: 'doget --quick: ours, RSS after load / data, 2001-02-03 04:05 UTC, FIXTURE CPU (not measured) (4 cores)' });
});

const s = (median: number, min: number, max: number): Record<string, number> => ({ n: 3, median, min, max });
const cluster = parseRecord('cluster.json', {
  suite: 'cluster',
  date: '2001-02-03T08:00:00Z',
  machine: { cpuModel: 'FIXTURE CPU (not measured)', cores: 4 },
  configs: [
    { shards: 1, readers: 4, aggregateGbps: s(2, 1, 3), perReaderGbps: s(0.5, 0.25, 0.75), coordinatorCpuPercent: s(1, 1, 1), coordinatorCpuMsPerPlan: s(1.5, 1, 2) },
    { shards: 2, readers: 4, aggregateGbps: s(3, 2, 4), perReaderGbps: s(0.75, 0.5, 1), coordinatorCpuPercent: s(1, 1, 1), coordinatorCpuMsPerPlan: s(2.5, 2, 3) },
    { shards: 2, readers: 1, aggregateGbps: s(1.25, 1, 1.5), perReaderGbps: s(1.25, 1, 1.5), coordinatorCpuPercent: s(1, 1, 1) },
  ],
  separateHosts: {
    subnet: '10.213.94.0/24',
    scaling: 1.5,
    configs: [
      { shards: 1, readers: 1, aggregateGbps: s(1, 1, 1), perReaderGbps: s(1, 1, 1), coordinatorCpuPercent: s(1, 1, 1), shardCpuSecondsPerGb: s(0.4, 0.4, 0.4) },
      { shards: 2, readers: 2, aggregateGbps: s(1.5, 1.5, 1.5), perReaderGbps: s(0.75, 0.75, 0.75), coordinatorCpuPercent: s(1, 1, 1), shardCpuSecondsPerGb: s(0.5, 0.5, 0.5) },
    ],
  },
});

test('modelInputs takes rates and the coordinator cost per plan from the cluster suite over scale', () => {
  const results = resultsOf('doget', 'scale');
  results.set('cluster', cluster);
  const inputs = modelInputs(results);
  assert.deepEqual(inputs.perShardGbps, {
    value: 2,
    source: 'cluster: 1 shard(s), 4 reader(s) sharing the machine, aggregate / shards, 2001-02-03 08:00 UTC, FIXTURE CPU (not measured) (4 cores)',
  });
  assert.deepEqual(inputs.perClientGbps, { value: 1.25, source: 'cluster: 2 shard(s), 1 reader(s) sharing the machine, 2001-02-03 08:00 UTC, FIXTURE CPU (not measured) (4 cores)' });
  assert.deepEqual(inputs.getFlightInfoSeconds, {
    value: 0.0025,
    source: 'cluster: coordinator CPU per plan, highest median (2 shard(s), 4 reader(s)), 2001-02-03 08:00 UTC, FIXTURE CPU (not measured) (4 cores)',
  });
  assert.equal(inputs.rssToData!.value, 1.2);
  assert.deepEqual(inputs.shardCostRatio, {
    value: 1.25,
    source: 'cluster: separate simulated hosts, 0.400 s/GB with 1 shard, 0.500 with 2; aggregate 1.000 -> 1.500 GB/s on shared cores, 2001-02-03 08:00 UTC, FIXTURE CPU (not measured) (4 cores)',
  });
});

test('modelInputs without scale falls back to the doget rate of one server and one client, labelled a lower bound', () => {
  const inputs = modelInputs(resultsOf('doget'));
  assert.equal(inputs.perShardGbps!.value, 2);
  assert.equal(inputs.perClientGbps!.value, 2);
  assert.match(inputs.perShardGbps!.source, /one server and one client sharing the machine, a lower bound/);
  assert.equal(inputs.getFlightInfoSeconds, null);
});

test('renderScalingBlock computes the worked example from the measured inputs', () => {
  const block = renderScalingBlock(modelInputs(resultsOf('doget', 'scale')));
  for (const row of [
    '| per-shard server rate | r_s | 3.000 GB/s |',
    '| coordinator CPU per GetFlightInfo | c | 0.500 ms |',
    '| shard CPU bound | S x r_s | 48.000 GB/s |',
    '| reader CPU bound | R x r_c | 160.000 GB/s |',
    '| shard-host NIC bound | H_s x B | 45.000 GB/s |',
    '| reader-host NIC bound | H_r x B | 22.500 GB/s |',
    '| aggregate throughput | min of the four | **22.500 GB/s**, bound by the reader-host NICs |',
    '| one epoch over D | D / aggregate | 48.9 s |',
    '| memory per shard | D x F / S x k | 153.6 GiB |',
    '| coordinator load | R x f x c | 0.032 cores at 64 calls/s |',
  ]) {
    assert.ok(block.includes(row), `${row}\n---\n${block}`);
  }
  assert.ok(block.includes('Assumed: D = 1.00 TiB, F = 2, S = 16 shards on H_s = 16 hosts, R = 64 readers on H_r = 8 hosts, 25 GbE NICs at 0.9 efficiency (B = 2.813 GB/s per host)'));
});

test('renderScalingBlock with no results marks every input and result as not measured', () => {
  const block = renderScalingBlock(modelInputs(new Map()));
  assert.equal(block.split('not measured in this results set').length - 1, 8);
});
