import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fixture } from '../testing/fixtures.js';
import { namedRates, renderEpoch, sweepSeries } from './epoch.js';

const context = { chartHref: (name: string) => `charts/${name}` };

test('namedRates skips rows without a GB/s summary, reads rows/s as a number or a median, and the ratio under either name', () => {
  assert.deepEqual(namedRates(fixture('epoch')), [
    { name: 'flightcache-pyarrow', description: 'flightcache read by pyarrow.flight', gbps: { median: 3, min: 2.5, max: 3.5, runs: 5 }, rowsPerSec: 62500000, ratio: null },
    { name: 'pyarrow-flight', description: 'pyarrow FlightServerBase read by pyarrow.flight', gbps: { median: 2, min: 1.75, max: 2.25, runs: 5 }, rowsPerSec: 41666666, ratio: 1.5 },
    { name: 'legacy-ratio', description: null, gbps: { median: 1, min: 1, max: 1, runs: null }, rowsPerSec: null, ratio: 3 },
  ]);
});

test('sweepSeries groups sweep rows into one series per contender', () => {
  assert.deepEqual(sweepSeries(fixture('epoch'), 'readers', 'readers'), [
    { name: 'flightcache-pyarrow', points: [{ x: 1, median: 3, min: 2.5, max: 3.5 }, { x: 2, median: 5, min: 4.5, max: 5.5 }] },
  ]);
  assert.deepEqual(sweepSeries(fixture('epoch'), 'columns', 'columns'), []);
});

test('renderEpoch tabulates contenders with their ratios, descriptions, matched pairs and skipped contenders', () => {
  const { markdown } = renderEpoch(fixture('epoch'), context);
  assert.ok(markdown.includes('| flightcache-pyarrow | 3.000 | 2.500 | 3.500 | 5 | 62.5 M | \u2013 |\n| pyarrow-flight | 2.000 | 1.750 | 2.250 | 5 | 41.7 M | 1.500 |'), markdown);
  assert.ok(markdown.includes('- **pyarrow-flight**: pyarrow FlightServerBase read by pyarrow.flight'));
  assert.ok(markdown.includes('Median ratios of matched pairs (same client on both sides): flightcache-pyarrow / pyarrow-flight = 1.500.'));
  assert.ok(markdown.includes('Skipped: redis (redis-server is not installed).'));
  assert.ok(markdown.includes('| memcpy | 10.000 | 9.000 | 11.000 | 5 | numpy.copyto, one thread |'), markdown);
});

test('renderEpoch tabulates and charts each sweep and marks the missing columns sweep as not measured', () => {
  const { markdown, charts } = renderEpoch(fixture('epoch'), context);
  assert.ok(markdown.includes('| rows per batch | flightcache-pyarrow median GB/s | pyarrow-flight median GB/s |\n| --- | ---: | ---: |\n| 1Ki | 0.500 | 0.250 |\n| 64Ki | 3.000 | 2.000 |'), markdown);
  assert.ok(markdown.includes('### Throughput vs columns read (selectivity)\n\nThis sweep: not measured in this results set.'), markdown);
  assert.deepEqual(charts.map((c) => c.name), ['epoch-contenders.svg', 'epoch-batchSize.svg', 'epoch-readers.svg']);
  for (const chart of charts) assert.ok(markdown.includes(`(charts/${chart.name})`), chart.name);
});

test('renderEpoch shows the columns note under the columns sweep', () => {
  const record = fixture('epoch');
  const sweeps = { ...(record.data['sweeps'] as object), columns: [{ contender: 'a', columns: 4, gbps: { median: 1, min: 1, max: 1 } }] };
  const { markdown } = renderEpoch({ ...record, data: { ...record.data, sweeps } }, context);
  assert.ok(markdown.includes('| 4 | 1.000 |\n\nColumns: column count of the dataset read in full.'), markdown);
});

test('renderEpoch puts the columns sweep on selectivity when the record has it', () => {
  const record = fixture('epoch');
  const columns = [
    { contender: 'a', columns: 1, selectivity: 1 / 6, gbps: { median: 1, min: 1, max: 1 } },
    { contender: 'a', columns: 8, selectivity: 1, gbps: { median: 2, min: 2, max: 2 } },
  ];
  const sweeps = { ...(record.data['sweeps'] as object), columns };
  const { markdown, charts } = renderEpoch({ ...record, data: { ...record.data, sweeps } }, context);
  assert.ok(markdown.includes('| selectivity (projected / full bytes) | a median GB/s |\n| --- | ---: |\n| 0.167 | 1.000 |\n| 1.000 | 2.000 |'), markdown);
  assert.ok(charts.some((c) => c.name === 'epoch-columns.svg' && c.svg.includes('selectivity (projected / full bytes)')));
});

test('renderEpoch of a record without contenders, limits or sweeps says so for each part', () => {
  const { markdown, charts } = renderEpoch({ ...fixture('epoch'), data: {} }, context);
  assert.equal(markdown.split('not measured in this results set').length - 1, 5);
  assert.deepEqual(charts, []);
  assert.ok(renderEpoch(undefined, context).markdown.endsWith('epoch: not measured in this results set.'));
});
