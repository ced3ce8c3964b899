import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { barChart, fitLabel, lineChart, seriesColor, type LineChartSpec } from './charts.js';
import { xmlRootTags } from './testing/xml.js';

const SWEEP: LineChartSpec = {
  title: 'Throughput vs batch size',
  xLabel: 'rows per batch',
  yLabel: 'GB/s',
  xScale: 'log2',
  series: [
    { name: 'ours', points: [{ x: 65536, median: 2, min: 1.5, max: 2.75 }, { x: 1024, median: 0.5, min: 0.25, max: 0.75 }] },
    { name: 'a <peer> & "co"', points: [{ x: 1024, median: 0.25, min: 0.25, max: 0.5 }] },
  ],
};

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

test('lineChart draws one line through the sorted medians of a multi-point series, and none for a single point', () => {
  const svg = lineChart(SWEEP);
  // The y axis runs 0..3 over pixels 340..52 (96 px per GB/s); x spans 2^10..2^16 over 96..512, nudged -1.5 / +1.5 px.
  assert.ok(svg.includes('<path d="M94.5 292L510.5 148" stroke="#0072B2" stroke-width="2" fill="none"/>'), svg);
  assert.equal(count(svg, 'stroke-width="2" fill="none"'), 1);
  assert.equal(count(svg, '<circle '), 3);
});

test('lineChart draws a min-max whisker with caps at every point', () => {
  const svg = lineChart(SWEEP);
  assert.ok(svg.includes('<path d="M94.5 316V268M90.5 268H98.5M90.5 316H98.5" stroke="#0072B2" fill="none"/>'), svg);
  assert.ok(svg.includes(`stroke="${seriesColor(1)}"`));
});

test('lineChart labels the axes and ticks and escapes series names in the legend', () => {
  const svg = lineChart(SWEEP);
  for (const label of ['>rows per batch<', '>GB/s<', '>1Ki<', '>64Ki<', '>0<', '>3<', '>ours<', '>min-max of runs<']) assert.ok(svg.includes(label), label);
  assert.ok(svg.includes('>a &lt;peer&gt; &amp; &quot;co&quot;<'), svg);
  assert.ok(!svg.includes('<peer>'));
});

test('lineChart output is identical for the same input', () => {
  assert.equal(lineChart(SWEEP), lineChart(structuredClone(SWEEP)));
});

test('lineChart refuses a chart without points and a point whose median lies outside its range', () => {
  assert.throws(() => lineChart({ ...SWEEP, series: [] }), /needs at least one point/);
  const bad = { ...SWEEP, series: [{ name: 's', points: [{ x: 1, median: 3, min: 1, max: 2 }] }] };
  assert.throws(() => lineChart(bad), /s at x=1: need 0 <= min <= median <= max, got 1 \/ 3 \/ 2/);
});

test('barChart draws one bar per contender from the axis to its median, with its median written above', () => {
  const svg = barChart({ title: 'doget', yLabel: 'GB/s', bars: [{ label: 'ours', median: 2, min: 1.5, max: 2.75 }, { label: 'pyarrow', median: 1, min: 0.5, max: 1.25 }] });
  assert.equal(count(svg, 'fill-opacity="0.8"'), 2);
  // Two bands of 232 px from x=72; bars are 80 px wide; y: 0..3 over 340..52.
  assert.ok(svg.includes('<rect x="148" y="148" width="80" height="192" fill="#0072B2" fill-opacity="0.8"/>'), svg);
  assert.ok(svg.includes('<text x="188" y="68" text-anchor="middle">2.00</text>'), svg);
  assert.ok(svg.includes('>pyarrow<'));
});

test('barChart names in its legend what the bars and whiskers stand for', () => {
  const bars = [{ label: 'ours', median: 2, min: 1.5, max: 2.75 }];
  assert.ok(barChart({ title: 't', yLabel: 'y', bars }).includes('>min-max of runs<'));
  const svg = barChart({ title: 't', yLabel: 'y', bars, legend: { bar: 'p50', whisker: 'min to p99' } });
  assert.ok(svg.includes('>p50<') && svg.includes('>min to p99<') && !svg.includes('min-max of runs'), svg);
});

test('barChart refuses an empty chart and negative values', () => {
  assert.throws(() => barChart({ title: 't', yLabel: 'y', bars: [] }), /needs at least one bar/);
  assert.throws(() => barChart({ title: 't', yLabel: 'y', bars: [{ label: 'x', median: -1, min: -1, max: -1 }] }), RangeError);
});

test('fitLabel keeps short labels and cuts long ones with an ellipsis, counting code points', () => {
  assert.equal(fitLabel('ours', 10), 'ours');
  assert.equal(fitLabel('flightcache-with-a-long-name', 10), 'flightcac\u2026');
  assert.equal(fitLabel('\u{1F680}\u{1F680}\u{1F680}', 2), '\u{1F680}\u2026');
});

test('line and bar charts parse as SVG documents with a real XML parser', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'charts-'));
  try {
    const line = join(dir, 'line.svg');
    const bar = join(dir, 'bar.svg');
    writeFileSync(line, lineChart({ ...SWEEP, title: 'weird \u0001 <title> & more' }));
    writeFileSync(bar, barChart({ title: 'b', yLabel: 'y', bars: [{ label: '<&>', median: 0, min: 0, max: 0 }] }));
    assert.deepEqual(await xmlRootTags([line, bar]), ['{http://www.w3.org/2000/svg}svg', '{http://www.w3.org/2000/svg}svg']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
