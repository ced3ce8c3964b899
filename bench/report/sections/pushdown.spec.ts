import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseRecord, type ResultRecord } from '../results.js';
import { renderPushdown } from './pushdown.js';

const context = { chartHref: (name: string) => `charts/${name}` };
const summary = (median: number, min = median, max = median) => ({ n: 3, median, min, max });

function record(data: Record<string, unknown>): ResultRecord {
  return parseRecord('pushdown.json', {
    suite: 'pushdown',
    quick: true,
    only: null,
    date: '2026-12-07T06:00:00.000Z',
    commit: null,
    dirty: null,
    machine: { cpuModel: 'Test CPU', cores: 2 },
    load: null,
    params: { runs: 3, rows: 1000, batches: 1, dataBytes: 2 * 2 ** 20 },
    ...data,
  });
}

const rate = (name: string, kind: string, selectivity: number, ours: number, duckdb: number) => ({
  name,
  kind,
  selectivity,
  rowsKept: 10,
  rowsPerSecond: { ours: summary(ours), duckdb: summary(duckdb), datafusion: summary(ours * 2) },
  rowsPerCpuSecond: { ours: summary(ours), duckdb: summary(duckdb), datafusion: summary(ours) },
  oursOver: { duckdb: { wall: ours / duckdb, cpu: 1.25 }, datafusion: { wall: 0.5, cpu: 1 } },
});

const endToEnd = (name: string, kind: string, selectivity: number) => ({
  name,
  kind,
  selectivity,
  rowsKept: 10,
  oursSeconds: summary(0.02, 0.01, 0.1),
  shipAllSeconds: summary(0.2),
  speedup: 10,
  firstReadSpeedup: 2,
  speedupPerRun: summary(10, 2, 20),
});

const full = record({
  cases: [{ selectivity: 1 }, { selectivity: 1 }, { selectivity: 10 }],
  rates: [rate('numeric 1%', 'numeric', 1, 500e6, 250e6), rate('string 1%', 'string', 1, 100e6, 200e6)],
  endToEnd: [endToEnd('numeric 1%', 'numeric', 1), endToEnd('numeric 10%', 'numeric', 10)],
});

test('renderPushdown tabulates each case with ours over each engine, wall clock and CPU, and counts the cases meeting 0.8', () => {
  const { markdown } = renderPushdown(full, context);
  assert.ok(
    markdown.includes(
      '| case | rows kept | ours rows/s | DuckDB rows/s | DataFusion rows/s | ours / DuckDB | ours / DuckDB (CPU) | ours / DataFusion | ours / DataFusion (CPU) |\n' +
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n' +
        '| numeric 1% | 10 | 500 M | 250 M | 1.00 G | 2.000 | 1.250 | 0.500 | 1.000 |\n' +
        '| string 1% | 10 | 100 M | 200 M | 200 M | 0.500 | 1.250 | 0.500 | 1.000 |',
    ),
    markdown,
  );
  assert.ok(markdown.includes('Goal met (wall clock): DuckDB: 1 of 2 cases at or above 0.8; DataFusion: 0 of 2 cases at or above 0.8.'), markdown);
  assert.ok(markdown.includes('The table holds 1000 rows, 2.0 MiB of Arrow buffers.'), markdown);
  assert.ok(markdown.includes('SQL predicates at 1, 10 % selectivity on a numeric'), markdown);
});

test('renderPushdown tabulates the end-to-end reads and states the 1 % goal per column kind, with two charts', () => {
  const { markdown, charts } = renderPushdown(full, context);
  assert.ok(markdown.includes('| numeric 10% | 10 | 0.020 | 0.200 | 10.0 | 2.0 |'), markdown);
  assert.ok(markdown.includes('Goal (>= 5x at 1 %): numeric 10.0x (first read 2.0x).'), markdown);
  assert.ok(markdown.includes('![pushdown speedup of a filtered DoGet over shipping everything](charts/pushdown-speedup.svg)'), markdown);
  assert.deepEqual(charts.map((c) => c.name), ['pushdown-rate.svg', 'pushdown-speedup.svg']);
});

test('renderPushdown says which part was not measured, and the whole suite when the record is missing', () => {
  const rateOnly = renderPushdown(record({ rates: full.data['rates'] }), context);
  assert.ok(rateOnly.markdown.endsWith('### End to end\n\nThe end-to-end reads: not measured in this results set.'), rateOnly.markdown);
  assert.deepEqual(rateOnly.charts.map((c) => c.name), ['pushdown-rate.svg']);
  const missing = renderPushdown(undefined, context);
  assert.ok(missing.markdown.endsWith('pushdown: not measured in this results set.'));
  assert.deepEqual(missing.charts, []);
});
