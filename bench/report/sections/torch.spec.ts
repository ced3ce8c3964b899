import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseRecord } from '../results.js';
import { renderTorch, torchRows } from './torch.js';

const context = { chartHref: (name: string) => `charts/${name}` };

const spread = (median: number, min: number, max: number): Record<string, unknown> => ({ median, min, max, runs: 3, samples: [min, median, max] });
const record = parseRecord('torch.json', {
  suite: 'torch',
  quick: true,
  only: null,
  date: '2001-02-03T06:00:00.000Z',
  machine: { cpuModel: 'Test CPU', cores: 2 },
  params: { dataBytes: 152 * 2 ** 20, schema: 'id int64, label int32', runs: 3 },
  contenders: [
    { name: 'flightcache-w0', description: 'ours', samplesPerSec: spread(7.5e6, 7e6, 8e6), gbps: spread(0.57, 0.53, 0.61) },
    { name: 'parquet', description: '(a) files', samplesPerSec: spread(5e6, 4e6, 6e6), gbps: spread(0.38, 0.3, 0.45) },
    { name: 'broken', description: 'no summaries' },
  ],
  ratios: [
    { ours: 'flightcache-w0', peer: 'parquet', ratio: 1.5, target: 1, met: true },
    { ours: 'flightcache-w2', peer: 'flightcache-w0', ratio: 0.09, target: null, met: null },
  ],
  skipped: [{ name: 'ray-torch', reason: 'cannot import ray' }],
});

test('torchRows keeps the contenders with samples/s and GB/s summaries', () => {
  assert.deepEqual(torchRows(record).map((r) => [r.name, r.samplesPerSec.median, r.gbps.max]), [
    ['flightcache-w0', 7.5e6, 0.61],
    ['parquet', 5e6, 0.45],
  ]);
});

test('renderTorch tabulates the contenders, the ratios with their targets and the skipped peers', () => {
  const { markdown, charts } = renderTorch(record, context);
  assert.ok(
    markdown.includes(
      '| contender | median samples/s | median GB/s | min | max | runs |\n| --- | ---: | ---: | ---: | ---: | ---: |\n' +
        '| flightcache-w0 | 7.50 M | 0.570 | 0.530 | 0.610 | 3 |\n| parquet | 5.00 M | 0.380 | 0.300 | 0.450 | 3 |',
    ),
    markdown,
  );
  assert.ok(
    markdown.includes('| flightcache-w0 / parquet | 1.50x | >= 1x | yes | conditions not recorded |\n| flightcache-w2 / flightcache-w0 | 0.09x | \u2013 | \u2013 | conditions not recorded |'),
    markdown,
  );
  assert.ok(markdown.includes('### Like-for-like pairs\n\nNo flightcache contender has a peer with the same workers and shuffling in this record.'), markdown);
  assert.ok(markdown.includes('Each epoch delivers 152.0 MiB of tensors (id int64, label int32).'), markdown);
  assert.ok(markdown.includes('npm run bench -- torch --quick --runs 3 --json docs/results/torch.json'), markdown);
  assert.ok(markdown.endsWith('Skipped ray-torch: cannot import ray.'), markdown);
  assert.ok(markdown.includes('![torch samples per second per contender](charts/torch-samples.svg)'), markdown);
  assert.deepEqual(charts.map((c) => c.name), ['torch-samples.svg']);
  // Bars in millions of samples/s: flightcache-w0 at 7.50, parquet at 5.00.
  assert.ok(charts[0]!.svg.includes('>7.50<') && charts[0]!.svg.includes('>5.00<') && charts[0]!.svg.includes('>min-max of epochs<'), charts[0]!.svg);
});

test('renderTorch of a missing record, or one without contenders, says torch was not measured', () => {
  for (const r of [undefined, { ...record, data: {} }]) assert.ok(renderTorch(r, context).markdown.endsWith('\n\ntorch: not measured in this results set.'));
});

test('renderTorch puts the like-for-like pairs next to the headline ratios, from recorded conditions or the suite\'s', () => {
  const contenders = [
    { name: 'flightcache-w0', samplesPerSec: spread(8e6, 7e6, 9e6), gbps: spread(0.6, 0.5, 0.7), conditions: { workers: 0, shuffled: false } },
    { name: 'flightcache-w2', samplesPerSec: spread(1e6, 1e6, 1e6), gbps: spread(0.1, 0.1, 0.1) },
    { name: 'parquet', samplesPerSec: spread(4e6, 4e6, 4e6), gbps: spread(0.3, 0.3, 0.3), conditions: { workers: 0, shuffled: false } },
    { name: 'parquet-loader-w2', samplesPerSec: spread(2e6, 2e6, 2e6), gbps: spread(0.15, 0.15, 0.15) },
  ];
  const ratios = [{ ours: 'flightcache-w0', peer: 'parquet-loader-w2', ratio: 4, target: 5, met: false }];
  const markdown = renderTorch({ ...record, data: { params: { loaderWorkers: 2 }, contenders, ratios } }, context).markdown;
  assert.ok(markdown.includes('| flightcache-w0 / parquet-loader-w2 | 4.00x | >= 5x | no | not like-for-like: workers 0 vs 2 |'), markdown);
  assert.ok(
    markdown.includes(
      '| ours | peer | same conditions | ratio of median samples/s |\n| --- | --- | --- | ---: |\n' +
        '| flightcache-w0 | parquet | workers 0, shuffled no | 2.00x |\n| flightcache-w2 | parquet-loader-w2 | workers 2, shuffled no | 0.50x |',
    ),
    markdown,
  );
});
