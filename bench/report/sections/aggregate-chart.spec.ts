import assert from 'node:assert/strict';
import { test } from 'node:test';

import { aggregateChart, aggregateSeries } from './aggregate-chart.js';

const gbps = (median: number) => ({ median, min: median - 0.5, max: median + 0.5, runs: 3 });

test('aggregateSeries groups points by server count in ascending order, each ordered by readers', () => {
  const series = aggregateSeries(
    [
      { servers: 2, readers: 4, aggregate: gbps(8) },
      { servers: 1, readers: 2, aggregate: gbps(3) },
      { servers: 2, readers: 1, aggregate: gbps(2) },
      { servers: 1, readers: 1, aggregate: gbps(1.5) },
    ],
    'shard',
  );
  assert.deepEqual(series, [
    { name: '1 shard', points: [{ x: 1, ...gbps(1.5) }, { x: 2, ...gbps(3) }] },
    { name: '2 shards', points: [{ x: 1, ...gbps(2) }, { x: 4, ...gbps(8) }] },
  ]);
});

test('aggregateChart draws the titled chart with readers on x and one legend entry per server count', () => {
  const svg = aggregateChart('scale: test', [{ servers: 1, readers: 1, aggregate: gbps(1) }, { servers: 3, readers: 2, aggregate: gbps(2) }], 'server');
  for (const label of ['>scale: test<', '>readers M<', '>aggregate GB/s (median, min-max)<', '>1 server<', '>3 servers<']) {
    assert.ok(svg.includes(label), label);
  }
});
