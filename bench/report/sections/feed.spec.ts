import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseRecord } from '../results.js';
import { feedCases, renderFeed } from './feed.js';

const spread = (median: number, min: number, max: number): Record<string, unknown> => ({ median, min, max, runs: 3, samples: [min, median, max] });
const context = { chartHref: (name: string): string => `charts/${name}` };
const record = parseRecord('feed.json', {
  suite: 'feed',
  quick: true,
  only: null,
  date: '2001-02-03T06:00:00.000Z',
  machine: { cpuModel: 'Test CPU', cores: 2 },
  params: { shapes: [], runs: 3 },
  cases: [
    {
      shape: 'rows76',
      shuffled: true,
      contenders: [
        { name: 'shm-w0', description: 'ours', samplesPerSec: spread(9e6, 8e6, 1e7), gbps: spread(0.68, 0.6, 0.76), clientCores: spread(1.1, 1, 1.2), serverCores: spread(0.1, 0, 0.2) },
        { name: 'ipc-mmap', description: 'anchor', samplesPerSec: spread(1e7, 9e6, 1.1e7), gbps: spread(0.76, 0.7, 0.8) },
        { name: 'broken', description: 'no summaries' },
      ],
      ratios: [
        { ours: 'shm-w0', peer: 'ipc-mmap', kind: 'headline', ratio: 0.9, target: 0.8, met: true },
        { ours: 'grpc-w0', peer: 'ipc-mmap', kind: 'pair', ratio: 0.2, target: null, met: null },
      ],
    },
    { shape: 'tokens', shuffled: false, contenders: [], ratios: [] },
  ],
  skipped: [{ name: 'ray', reason: 'cannot import ray' }],
});

test('feedCases reads each case with its measured contenders, cores and ratios', () => {
  const cases = feedCases(record);
  assert.deepEqual(cases.map((c) => [c.label, c.slug, c.contenders.length]), [['rows76 shuffled', 'rows76-shuffled', 2], ['tokens in order', 'tokens-ordered', 0]]);
  assert.deepEqual(cases[0]!.contenders.map((c) => [c.name, c.clientCores, c.serverCores]), [['shm-w0', 1.1, 0.1], ['ipc-mmap', null, null]]);
});

test('renderFeed gives the goals table, a table and chart per measured case, pairs and skipped contenders', () => {
  const section = renderFeed(record, context);
  assert.deepEqual(section.charts.map((c) => c.name), ['feed-rows76-shuffled.svg']);
  assert.match(section.markdown, /\| rows76 shuffled \| shm-w0 \/ ipc-mmap \| 0\.90x \| >= 0\.8x \| yes \|/);
  assert.match(section.markdown, /\| shm-w0 \| 9\.00 M \| 0\.680 \| 0\.600 \| 0\.760 \| 1\.10 \| 0\.10 \| 3 \|/);
  assert.match(section.markdown, /!\[feed rows76 shuffled\]\(charts\/feed-rows76-shuffled\.svg\)/);
  assert.match(section.markdown, /\| grpc-w0 \/ ipc-mmap \| 0\.20x \|/);
  assert.match(section.markdown, /Skipped ray: cannot import ray\./);
  assert.doesNotMatch(section.markdown, /### tokens in order/);
});

test('renderFeed says "not measured" without a record', () => {
  assert.deepEqual(renderFeed(undefined, context).charts, []);
  assert.match(renderFeed(undefined, context).markdown, /feed: not measured in this results set\./);
});
