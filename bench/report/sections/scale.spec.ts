import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fixture } from '../testing/fixtures.js';
import { renderScale, scaleConfigs } from './scale.js';

const context = { chartHref: (name: string) => `charts/${name}` };

test('scaleConfigs reads every configuration with its cores and three summaries', () => {
  const configs = scaleConfigs(fixture('scale'));
  assert.deepEqual(configs.map((c) => [c.servers, c.readers, c.serverCores, c.readerCores]), [
    [1, 1, '0', '1'],
    [1, 3, '0', '1,2,3'],
    [2, 2, '0,1', '2,3'],
  ]);
  assert.deepEqual(configs[1]!.perReader, { median: 1, min: 0.75, max: 1.25, runs: 9 });
});

test('renderScale tabulates every configuration and charts aggregate GB/s against readers', () => {
  const { markdown, charts } = renderScale(fixture('scale'), context);
  assert.ok(markdown.includes('| 2 | 2 | 0,1 | 2,3 | 5.000 | 4.000 | 6.000 | 3 | 2.500 | 2.500 |'), markdown);
  assert.ok(markdown.includes('Each server and each reader was pinned to its own core with `taskset -c`.'));
  assert.ok(markdown.includes('![scale aggregate throughput](charts/scale-aggregate.svg)'));
  assert.ok(markdown.includes('GetFlightInfo, client-observed on loopback: median 0.500 ms (min 0.400, max 2.000) over 100 sequential calls.'), markdown);
  assert.deepEqual(charts.map((c) => c.name), ['scale-aggregate.svg']);
  assert.ok(charts[0]!.svg.includes('>1 server<') && charts[0]!.svg.includes('>2 servers<'));
});

test('renderScale marks shared reader cores and the suite note of an unpinned run', () => {
  const record = fixture('scale');
  const [first] = record.data['configs'] as Record<string, unknown>[];
  const data = { placement: { pinned: false, note: 'only N=1, M=1 fits.' }, configs: [{ ...first, readerCores: null, oversubscribed: true }] };
  const { markdown } = renderScale({ ...record, data }, context);
  assert.ok(markdown.includes('Processes were not pinned to cores. only N=1, M=1 fits.'), markdown);
  assert.ok(markdown.includes('| 1 | 1 | 0 | unpinned (shared) |'), markdown);
  assert.ok(markdown.includes('GetFlightInfo latency: not measured in this results set.'), markdown);
});

test('renderScale of a missing record says scale was not measured', () => {
  assert.ok(renderScale(undefined, context).markdown.endsWith('scale: not measured in this results set.'));
});
