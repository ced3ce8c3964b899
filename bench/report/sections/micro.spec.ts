import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fixture } from '../testing/fixtures.js';
import { microCases, microCopyChart, renderMicro, type MicroCase } from './micro.js';

const context = { chartHref: (name: string) => `charts/${name}` };

test('microCases keeps the cases with an ops/s summary', () => {
  assert.deepEqual(microCases(fixture('micro')).map((c) => [c.name, c.opsPerSec.median, c.gbps?.median ?? null, c.baseline]), [
    ['frame encode', 125000, 8.192, null],
    ['frame encode copy', 62500, null, 'frame encode'],
  ]);
});

test('renderMicro tabulates ops/s, error margin, GB/s and the ratio over the baseline, then describes the cases', () => {
  const { markdown, charts } = renderMicro(fixture('micro'), context);
  assert.ok(
    markdown.includes(
      '| case | median ops/s | min | max | runs | rme | median GB/s | vs baseline |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n' +
        '| frame encode | 125 k | 120 k | 130 k | 5 | \u00B11.3% | 8.192 | \u2013 |\n' +
        '| frame encode copy | 62.5 k | 60.0 k | 65.0 k | 5 | \u00B12.0% | \u2013 | 0.500 x frame encode |',
    ),
    markdown,
  );
  assert.ok(markdown.endsWith('- **frame encode**: gRPC frame of one 64 KiB message'));
  // Its only baselined case moves no bytes, so there is no copy-path chart.
  assert.deepEqual(charts, []);
});

const gbps = (median: number): MicroCase['gbps'] => ({ median, min: median / 2, max: median * 2, runs: 3 });
const microCase = (name: string, rate: number | null, baseline: string | null): MicroCase => ({
  name,
  description: null,
  opsPerSec: { median: 1, min: 1, max: 1, runs: 3 },
  rmePercent: null,
  gbps: rate === null ? null : gbps(rate),
  baseline,
  ratioOverBaseline: null,
});

test('microCopyChart charts the cases measured against a byte-moving baseline, and that baseline, in record order', () => {
  const cases = [microCase('memcpy', 32, null), microCase('encode', null, null), microCase('decode', 4, 'memcpy'), microCase('framing', 640, null), microCase('alloc', null, 'encode')];
  const svg = microCopyChart(cases)!;
  assert.ok(svg.includes('>memcpy<') && svg.includes('>decode<') && svg.includes('>32.00<') && svg.includes('>4.00<'), svg);
  assert.ok(!svg.includes('>framing<') && !svg.includes('>alloc<'), svg);
  assert.equal(microCopyChart([microCase('framing', 640, null)]), null);
});

test('renderMicro of a missing record, or one without cases, says micro was not measured', () => {
  for (const record of [undefined, { ...fixture('micro'), data: {} }]) assert.ok(renderMicro(record, context).markdown.endsWith('micro: not measured in this results set.'));
});
