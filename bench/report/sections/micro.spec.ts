import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fixture } from '../testing/fixtures.js';
import { microCases, renderMicro } from './micro.js';

test('microCases keeps the cases with an ops/s summary', () => {
  assert.deepEqual(microCases(fixture('micro')).map((c) => [c.name, c.opsPerSec.median, c.gbps?.median ?? null, c.baseline]), [
    ['frame encode', 125000, 8.192, null],
    ['frame encode copy', 62500, null, 'frame encode'],
  ]);
});

test('renderMicro tabulates ops/s, error margin, GB/s and the ratio over the baseline, then describes the cases', () => {
  const { markdown, charts } = renderMicro(fixture('micro'));
  assert.ok(
    markdown.includes(
      '| case | median ops/s | min | max | runs | rme | median GB/s | vs baseline |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n' +
        '| frame encode | 125 k | 120 k | 130 k | 5 | \u00B11.3% | 8.192 | \u2013 |\n' +
        '| frame encode copy | 62.5 k | 60.0 k | 65.0 k | 5 | \u00B12.0% | \u2013 | 0.500 x frame encode |',
    ),
    markdown,
  );
  assert.ok(markdown.endsWith('- **frame encode**: gRPC frame of one 64 KiB message'));
  assert.deepEqual(charts, []);
});

test('renderMicro of a missing record, or one without cases, says micro was not measured', () => {
  for (const record of [undefined, { ...fixture('micro'), data: {} }]) assert.ok(renderMicro(record).markdown.endsWith('micro: not measured in this results set.'));
});
