import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseRecord } from '../results.js';
import { loadThroughputChart, renderLoad } from './load.js';

const context = { chartHref: (name: string) => `charts/${name}` };
const spread = (median: number, min = median, max = median) => ({ n: 3, median, min, max });
const machine = { hostname: 'bench', cpuModel: 'FIXTURE CPU', cores: 2, memoryBytes: 2 ** 34, os: 'Linux', node: 'v20', python: '3.11', pyarrow: '25.0.1' };
const record = (data: Record<string, unknown>) => parseRecord('load.json', { suite: 'load', date: '2001-02-03T07:00:00Z', machine, load: null, params: {}, ...data });

const versus = {
  name: 'csv',
  files: 8,
  bytes: 93_000_000,
  rows: 875_000,
  oursSeconds: spread(1.5, 1.4, 1.6),
  pyarrowSeconds: spread(0.75),
  speedRatio: 0.5,
  oursCpuSeconds: spread(0.4),
  pyarrowCpuSeconds: spread(0.2),
  cpuRatio: 0.5,
};
const throughput = [
  { source: 'local', format: 'csv', shards: 1, files: 8, bytes: 93_000_000, mbps: spread(61, 55, 70), cpuSeconds: spread(0.63) },
  { source: 's3', format: 'parquet', shards: 2, files: 2, bytes: 11_000_000, mbps: spread(19), cpuSeconds: spread(0.42) },
];

test('renderLoad tabulates one node against pyarrow (wall and CPU ratios, the goal), then cluster MB/s by source, format and shards, with a chart', () => {
  const { markdown, charts } = renderLoad(record({ goalRatio: 0.5, s3Files: 2, cases: [versus], throughput }), context);
  assert.ok(markdown.includes('(the goal: at least 0.500 with one node).'), markdown);
  assert.ok(
    markdown.includes(
      '| format | files | MB | rows | ours s | pyarrow s | pyarrow/ours | ours CPU s | pyarrow CPU s | CPU pyarrow/ours |\n' +
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n' +
        '| csv | 8 | 93 | 875000 | 1.50 | 0.75 | 0.500 | 0.40 | 0.20 | 0.500 |',
    ),
    markdown,
  );
  assert.ok(markdown.includes('(moto, on loopback, holding 2 files of each format).'), markdown);
  assert.ok(
    markdown.includes(
      '| source | format | shards | files | MB | median MB/s | min | max | CPU s |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n' +
        '| local | csv | 1 | 8 | 93 | 61 | 55 | 70 | 0.63 |\n| s3 | parquet | 2 | 2 | 11 | 19 | 19 | 19 | 0.42 |',
    ),
    markdown,
  );
  assert.ok(markdown.endsWith('![load cluster throughput, MB/s](charts/load-throughput.svg)'), markdown);
  assert.deepEqual(charts.map((c) => c.name), ['load-throughput.svg']);
});

test('loadThroughputChart draws one bar per source, format and shard count, labelled so', () => {
  const svg = loadThroughputChart([
    { source: 'local', format: 'csv', shards: 1, files: 8, megabytes: 93, mbps: { median: 61, min: 55, max: 70, runs: 3 }, cpuSeconds: { median: 1, min: 1, max: 1, runs: 3 } },
    { source: 's3', format: 'parquet', shards: 2, files: 2, megabytes: 11, mbps: { median: 19, min: 19, max: 19, runs: 1 }, cpuSeconds: { median: 1, min: 1, max: 1, runs: 1 } },
  ]);
  assert.ok(svg.includes('>local csv \u00D71<') && svg.includes('>s3 parquet \u00D72<') && svg.includes('>61.00<') && svg.includes('>19.00<'), svg);
});

test('renderLoad of a missing record, one without cases, or one without cluster cases says what was not measured', () => {
  for (const missing of [undefined, record({})]) assert.ok(renderLoad(missing, context).markdown.endsWith('load: not measured in this results set.'));
  const { markdown, charts } = renderLoad(record({ cases: [versus] }), context);
  assert.ok(markdown.endsWith('load cluster throughput: not measured in this results set.'), markdown);
  assert.deepEqual(charts, []);
});
