/**
 * Hand-written SVG charts for the benchmark report: line charts of a sweep (one series per
 * contender) and bar charts of contenders, each value a median with a min-max whisker.
 */
import { linearScale, log2Scale, type Scale } from './scales.js';
import { el, fmt, svgDocument, text } from './svg.js';

/** One measured value: the median of its runs and their range. */
export interface Measured {
  median: number;
  min: number;
  max: number;
}

/** A point of a sweep: the swept parameter x and the measured value there. */
export interface Point extends Measured {
  x: number;
}

/** One line of a line chart. */
export interface Series {
  name: string;
  points: readonly Point[];
}

/** A line chart: y (GB/s, say) against a swept parameter on a linear or base-2 log axis. */
export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  xScale: 'linear' | 'log2';
  series: readonly Series[];
}

/** One bar of a bar chart. */
export interface Bar extends Measured {
  label: string;
}

/** A bar chart of named contenders. */
export interface BarChartSpec {
  title: string;
  yLabel: string;
  xLabel?: string;
  bars: readonly Bar[];
  /** What a bar and a whisker stand for in the legend (default: the median and the min-max of runs). */
  legend?: { bar: string; whisker: string };
}

const WIDTH = 720;
const HEIGHT = 400;
const PLOT = { left: 72, right: 536, top: 52, bottom: 340 } as const;
const LEGEND_X = 556;
const CAP = 4;
// Keeps the first and last x off the axes so their whiskers stay readable.
const X_INSET = 24;
// Okabe-Ito: distinguishable with the common colour-vision deficiencies.
const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];
const AXIS = '#333333';
const GRID = '#dddddd';

/** The colour of the i-th series or bar. */
export function seriesColor(index: number): string {
  return PALETTE[index % PALETTE.length]!;
}

/** label cut to maxChars, ending in an ellipsis when cut. */
export function fitLabel(label: string, maxChars: number): string {
  const chars = [...label];
  return chars.length <= maxChars ? label : `${chars.slice(0, Math.max(1, maxChars - 1)).join('')}\u2026`;
}

function checkMeasured(what: string, m: Measured): void {
  const ok = [m.median, m.min, m.max].every((v) => Number.isFinite(v) && v >= 0) && m.min <= m.median && m.median <= m.max;
  if (!ok) throw new RangeError(`${what}: need 0 <= min <= median <= max, got ${m.min} / ${m.median} / ${m.max}`);
}

function yScaleFor(values: readonly Measured[]): Scale {
  return linearScale(0, Math.max(...values.map((v) => v.max)), [PLOT.bottom, PLOT.top]);
}

function title(content: string): string {
  return el('text', { x: WIDTH / 2, y: 28, 'text-anchor': 'middle', 'font-size': 16, 'font-weight': 'bold' }, [text(content)]);
}

function yAxis(y: Scale, label: string): string[] {
  const parts = y.ticks.map((tick) =>
    el('g', {}, [
      el('line', { x1: PLOT.left, x2: PLOT.right, y1: y.map(tick), y2: y.map(tick), stroke: GRID }),
      el('text', { x: PLOT.left - 8, y: y.map(tick) + 4, 'text-anchor': 'end' }, [text(y.label(tick))]),
    ]),
  );
  const middle = (PLOT.top + PLOT.bottom) / 2;
  parts.push(el('line', { x1: PLOT.left, x2: PLOT.left, y1: PLOT.top, y2: PLOT.bottom, stroke: AXIS }));
  parts.push(el('text', { x: 20, y: middle, 'text-anchor': 'middle', transform: `rotate(-90 20 ${fmt(middle)})` }, [text(label)]));
  return parts;
}

function xAxisLine(label: string | undefined): string[] {
  const line = el('line', { x1: PLOT.left, x2: PLOT.right, y1: PLOT.bottom, y2: PLOT.bottom, stroke: AXIS });
  if (!label) return [line];
  return [line, el('text', { x: (PLOT.left + PLOT.right) / 2, y: PLOT.bottom + 44, 'text-anchor': 'middle' }, [text(label)])];
}

function xTick(x: number, label: string): string {
  return el('g', {}, [
    el('line', { x1: x, x2: x, y1: PLOT.bottom, y2: PLOT.bottom + 5, stroke: AXIS }),
    el('text', { x, y: PLOT.bottom + 20, 'text-anchor': 'middle' }, [text(label)]),
  ]);
}

function whisker(x: number, y: Scale, m: Measured, color: string): string {
  const top = y.map(m.max);
  const bottom = y.map(m.min);
  return el('path', {
    d: `M${fmt(x)} ${fmt(bottom)}V${fmt(top)}M${fmt(x - CAP)} ${fmt(top)}H${fmt(x + CAP)}M${fmt(x - CAP)} ${fmt(bottom)}H${fmt(x + CAP)}`,
    stroke: color,
    fill: 'none',
  });
}

interface LegendEntry {
  label: string;
  swatch: 'box' | 'line' | 'whisker';
  color: string;
}

function legend(entries: readonly LegendEntry[]): string {
  const rows = entries.map((entry, i) => {
    const y = PLOT.top + 8 + i * 20;
    const swatch =
      entry.swatch === 'box'
        ? el('rect', { x: LEGEND_X, y: y - 6, width: 12, height: 12, fill: entry.color })
        : entry.swatch === 'line'
          ? el('path', { d: `M${LEGEND_X} ${y}H${LEGEND_X + 12}`, stroke: entry.color, 'stroke-width': 2 })
          : el('path', { d: `M${LEGEND_X + 6} ${y - 6}V${y + 6}M${LEGEND_X + 2} ${y - 6}H${LEGEND_X + 10}M${LEGEND_X + 2} ${y + 6}H${LEGEND_X + 10}`, stroke: entry.color, fill: 'none' });
    return el('g', {}, [swatch, el('text', { x: LEGEND_X + 18, y: y + 4 }, [text(fitLabel(entry.label, 20))])]);
  });
  return el('g', { class: 'legend' }, rows);
}

/** A line chart of medians (dots) with min-max whiskers; series at the same x are nudged apart so whiskers stay visible. */
export function lineChart(spec: LineChartSpec): string {
  const points = spec.series.flatMap((s) => s.points.map((p) => ({ s, p })));
  if (points.length === 0) throw new RangeError(`${spec.title}: a line chart needs at least one point`);
  for (const { s, p } of points) {
    checkMeasured(`${spec.title} / ${s.name} at x=${p.x}`, p);
    if (!Number.isFinite(p.x)) throw new RangeError(`${spec.title} / ${s.name}: x must be finite, got ${p.x}`);
  }
  const xs = points.map(({ p }) => p.x);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const range = [PLOT.left + X_INSET, PLOT.right - X_INSET] as const;
  const x = spec.xScale === 'log2' ? log2Scale(xMin, xMax, range) : linearScale(xMin, xMax, range, { integer: true });
  const y = yScaleFor(points.map(({ p }) => p));
  const body: string[] = [title(spec.title), ...yAxis(y, spec.yLabel), ...xAxisLine(spec.xLabel), ...x.ticks.map((t) => xTick(x.map(t), x.label(t)))];
  const count = spec.series.length;
  spec.series.forEach((series, i) => {
    const color = seriesColor(i);
    const nudge = (i - (count - 1) / 2) * 3;
    const sorted = [...series.points].sort((a, b) => a.x - b.x);
    const at = (p: Point): number => x.map(p.x) + nudge;
    const parts = sorted.map((p) => whisker(at(p), y, p, color));
    if (sorted.length > 1) {
      const line = sorted.map((p, k) => `${k === 0 ? 'M' : 'L'}${fmt(at(p))} ${fmt(y.map(p.median))}`).join('');
      parts.unshift(el('path', { d: line, stroke: color, 'stroke-width': 2, fill: 'none' }));
    }
    for (const p of sorted) parts.push(el('circle', { cx: at(p), cy: y.map(p.median), r: 3.5, fill: color }));
    body.push(el('g', { class: 'series' }, parts));
  });
  const entries: LegendEntry[] = spec.series.map((s, i) => ({ label: s.name, swatch: 'line', color: seriesColor(i) }));
  entries.push({ label: 'min-max of runs', swatch: 'whisker', color: AXIS });
  body.push(legend(entries));
  return svgDocument(WIDTH, HEIGHT, spec.title, body);
}

/** A bar per contender at its median (one colour: the x axis names them), a min-max whisker and the median written above it. */
export function barChart(spec: BarChartSpec): string {
  if (spec.bars.length === 0) throw new RangeError(`${spec.title}: a bar chart needs at least one bar`);
  for (const bar of spec.bars) checkMeasured(`${spec.title} / ${bar.label}`, bar);
  const y = yScaleFor(spec.bars);
  const band = (PLOT.right - PLOT.left) / spec.bars.length;
  const barWidth = Math.min(80, band * 0.6);
  const body: string[] = [title(spec.title), ...yAxis(y, spec.yLabel), ...xAxisLine(spec.xLabel)];
  const color = seriesColor(0);
  spec.bars.forEach((bar, i) => {
    const center = PLOT.left + band * (i + 0.5);
    const top = y.map(bar.median);
    body.push(
      el('g', { class: 'bar' }, [
        el('rect', { x: center - barWidth / 2, y: top, width: barWidth, height: PLOT.bottom - top, fill: color, 'fill-opacity': 0.8 }),
        whisker(center, y, bar, AXIS),
        el('text', { x: center, y: y.map(bar.max) - 8, 'text-anchor': 'middle' }, [text(bar.median.toFixed(2))]),
      ]),
    );
    body.push(xTick(center, fitLabel(bar.label, Math.max(3, Math.floor(band / 7)))));
  });
  body.push(
    legend([
      { label: spec.legend?.bar ?? 'median of runs', swatch: 'box', color },
      { label: spec.legend?.whisker ?? 'min-max of runs', swatch: 'whisker', color: AXIS },
    ]),
  );
  return svgDocument(WIDTH, HEIGHT, spec.title, body);
}
