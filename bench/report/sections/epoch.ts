/**
 * The report's epoch section: contenders' throughput reading one epoch (table and bar chart) and
 * the sweeps over batch size, number of readers and columns read (selectivity).
 */
import { barChart, lineChart, type Series } from '../charts.js';
import { formatBinaryCount } from '../scales.js';
import { mdImage, mdTable } from '../markdown.js';
import { isObject, measuredOf, numberAt, objectsAt, stringAt, type MeasuredValue, type ResultRecord } from '../results.js';
import { formatGbps, formatRatio, formatRuns, formatSi, notMeasured, provenance, reproduce, type ChartFile, type Section, type SectionContext } from './common.js';

const INTRO =
  'Throughput of reading one training epoch through each contender (method: [bench/README.md](../bench/README.md)). ' +
  'GB/s = gigabytes (SI) of Arrow buffers per second.';
const RATIO_NOTE = 'ratio: median GB/s of flightcache read by pyarrow over the median GB/s of the contender in that row.';

/** A sweep of the epoch suite: where it sits in the record and how to draw it. */
interface SweepKind {
  key: string;
  param: string;
  title: string;
  xLabel: string;
  xScale: 'linear' | 'log2';
  format: (x: number) => string;
  /** The x of records written before this one existed (the columns sweep before selectivity was recorded). */
  older?: Pick<SweepKind, 'param' | 'xLabel' | 'format'>;
}

const SWEEPS: readonly SweepKind[] = [
  { key: 'batchSize', param: 'batchRows', title: 'Throughput vs batch size', xLabel: 'rows per batch', xScale: 'log2', format: formatBinaryCount },
  { key: 'readers', param: 'readers', title: 'Throughput vs number of readers', xLabel: 'concurrent readers', xScale: 'linear', format: String },
  {
    key: 'columns',
    param: 'selectivity',
    title: 'Throughput vs columns read (selectivity)',
    xLabel: 'selectivity (projected / full bytes)',
    xScale: 'linear',
    format: (x) => x.toFixed(3),
    older: { param: 'columns', xLabel: 'columns read', format: String },
  },
];

/** A named GB/s row of the epoch record: a contender or a physical limit. */
export interface NamedRate {
  name: string;
  description: string | null;
  gbps: MeasuredValue;
  rowsPerSec: number | null;
  ratio: number | null;
}

/** The named GB/s rows (contenders or limits) of an epoch record under key; rows without a GB/s summary are skipped. */
export function namedRates(record: ResultRecord, key = 'contenders'): NamedRate[] {
  return (objectsAt(record.data, key) ?? []).flatMap((c) => {
    const name = stringAt(c, 'name');
    const gbps = measuredOf(c['gbps']);
    if (name === null || gbps === null) return [];
    const rows = c['rowsPerSec'];
    return [
      {
        name,
        description: stringAt(c, 'description'),
        gbps,
        rowsPerSec: isObject(rows) ? numberAt(rows, 'median') : numberAt(c, 'rowsPerSec'),
        ratio: numberAt(c, 'ratioOursOver') ?? numberAt(c, 'ratio'),
      },
    ];
  });
}

function descriptions(rows: readonly NamedRate[]): string[] {
  const described = rows.filter((c) => c.description !== null);
  return described.length === 0 ? [] : [described.map((c) => `- **${c.name}**: ${c.description}`).join('\n')];
}

function pairsLine(record: ResultRecord): string[] {
  const pairs = (objectsAt(record.data, 'pairs') ?? []).flatMap((p) => {
    const ours = stringAt(p, 'ours');
    const peer = stringAt(p, 'peer');
    const ratio = numberAt(p, 'ratio');
    return ours !== null && peer !== null && ratio !== null ? [`${ours} / ${peer} = ${formatRatio(ratio)}`] : [];
  });
  return pairs.length === 0 ? [] : [`Median ratios of matched pairs (same client on both sides): ${pairs.join('; ')}.`];
}

function skippedLine(record: ResultRecord): string[] {
  const skipped = (objectsAt(record.data, 'skipped') ?? []).flatMap((s) => {
    const name = stringAt(s, 'name');
    return name === null ? [] : [`${name} (${stringAt(s, 'reason') ?? 'no reason given'})`];
  });
  return skipped.length === 0 ? [] : [`Skipped: ${skipped.join('; ')}.`];
}

function limitsPart(record: ResultRecord): string[] {
  const limits = namedRates(record, 'limits');
  const heading = '### Physical limits of the machine';
  if (limits.length === 0) return [heading, notMeasured('The limits')];
  const table = mdTable(
    ['limit', 'median GB/s', 'min', 'max', 'runs', 'what it measures'],
    limits.map((l) => [l.name, formatGbps(l.gbps.median), formatGbps(l.gbps.min), formatGbps(l.gbps.max), formatRuns(l.gbps), l.description ?? '\u2013']),
    [1, 2, 3, 4],
  );
  return [heading, table];
}

/** One sweep's series, one per contender in order of first appearance; points lacking x or GB/s are skipped. */
export function sweepSeries(record: ResultRecord, key: string, param: string): Series[] {
  const byContender = new Map<string, Series>();
  for (const row of objectsAt(record.data['sweeps'], key) ?? []) {
    const contender = stringAt(row, 'contender');
    const x = numberAt(row, param);
    const gbps = measuredOf(row['gbps']);
    if (contender === null || x === null || gbps === null) continue;
    const series = byContender.get(contender) ?? { name: contender, points: [] };
    byContender.set(contender, { name: contender, points: [...series.points, { x, median: gbps.median, min: gbps.min, max: gbps.max }] });
  }
  return [...byContender.values()];
}

function sweepTable(kind: SweepKind, series: readonly Series[]): string {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const rows = xs.map((x) => [
    kind.format(x),
    ...series.map((s) => {
      const point = s.points.find((p) => p.x === x);
      return point ? formatGbps(point.median) : '\u2013';
    }),
  ]);
  return mdTable([kind.xLabel, ...series.map((s) => `${s.name} median GB/s`)], rows, series.map((_, i) => i + 1));
}

/** Renders the epoch section; each missing part becomes a "not measured" line. */
export function renderEpoch(record: ResultRecord | undefined, context: SectionContext): Section {
  const heading = `## epoch\n\n${INTRO}`;
  if (!record) return { markdown: `${heading}\n\n${notMeasured('epoch')}`, charts: [] };
  const parts = [heading, provenance(record), reproduce(record)];
  const charts: ChartFile[] = [];

  const contenders = namedRates(record);
  if (contenders.length === 0) {
    parts.push(notMeasured('Contenders'));
  } else {
    parts.push(
      mdTable(
        ['contender', 'median GB/s', 'min', 'max', 'runs', 'rows/s', 'ratio'],
        contenders.map((c) => [
          c.name,
          formatGbps(c.gbps.median),
          formatGbps(c.gbps.min),
          formatGbps(c.gbps.max),
          formatRuns(c.gbps),
          c.rowsPerSec === null ? '\u2013' : formatSi(c.rowsPerSec),
          formatRatio(c.ratio),
        ]),
        [1, 2, 3, 4, 5, 6],
      ),
    );
    parts.push(RATIO_NOTE, ...descriptions(contenders), ...pairsLine(record));
    const name = 'epoch-contenders.svg';
    charts.push({ name, svg: barChart({ title: 'epoch: throughput per contender', yLabel: 'GB/s (median, min-max)', xLabel: 'contender', bars: contenders.map((c) => ({ label: c.name, ...c.gbps })) }) });
    parts.push(mdImage('epoch throughput per contender', context.chartHref(name)));
  }
  parts.push(...skippedLine(record), ...limitsPart(record));

  for (const newest of SWEEPS) {
    const found = sweepSeries(record, newest.key, newest.param);
    const kind = found.length === 0 && newest.older ? { ...newest, ...newest.older } : newest;
    const series = found.length === 0 && newest.older ? sweepSeries(record, kind.key, kind.param) : found;
    parts.push(`### ${kind.title}`);
    if (series.length === 0) {
      parts.push(notMeasured('This sweep'));
      continue;
    }
    const name = `epoch-${kind.key}.svg`;
    charts.push({ name, svg: lineChart({ title: `epoch: ${kind.title.toLowerCase()}`, xLabel: kind.xLabel, yLabel: 'GB/s (median, min-max)', xScale: kind.xScale, series }) });
    const note = kind.key === 'columns' ? stringAt(record.data['sweeps'], 'columnsNote') : null;
    parts.push(sweepTable(kind, series), ...(note ? [`Columns: ${note}.`] : []), mdImage(`epoch ${kind.title.toLowerCase()}`, context.chartHref(name)));
  }
  return { markdown: parts.join('\n\n'), charts };
}
