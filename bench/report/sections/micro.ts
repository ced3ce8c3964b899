/** The report's micro section: ops/s (and GB/s where a case moves bytes) of single operations. */
import { barChart } from '../charts.js';
import { mdImage, mdTable } from '../markdown.js';
import { measuredOf, numberAt, objectsAt, stringAt, type MeasuredValue, type ResultRecord } from '../results.js';
import { formatGbps, formatRatio, formatRuns, formatSi, notMeasured, provenance, reproduce, type Section, type SectionContext } from './common.js';

const CHART = 'micro-copy.svg';

const INTRO =
  'Micro-benchmarks of single operations on the data path, measured with benchmark.js in one process ' +
  '(method: [bench/README.md](../bench/README.md)). Medians, minima and maxima are over measured rounds.';

/** One micro case as the report uses it. */
export interface MicroCase {
  name: string;
  description: string | null;
  opsPerSec: MeasuredValue;
  rmePercent: number | null;
  gbps: MeasuredValue | null;
  baseline: string | null;
  ratioOverBaseline: number | null;
}

/** The cases of a micro record that have an ops/s summary. */
export function microCases(record: ResultRecord): MicroCase[] {
  return (objectsAt(record.data, 'cases') ?? []).flatMap((c) => {
    const name = stringAt(c, 'name');
    const opsPerSec = measuredOf(c['opsPerSec']);
    if (name === null || opsPerSec === null) return [];
    return [
      {
        name,
        description: stringAt(c, 'description'),
        opsPerSec,
        rmePercent: numberAt(c, 'rmePercent'),
        gbps: measuredOf(c['gbps']),
        baseline: stringAt(c, 'baseline'),
        ratioOverBaseline: numberAt(c, 'ratioOverBaseline'),
      },
    ];
  });
}

/**
 * The chart of the copy paths: GB/s of every case measured against a baseline that moves bytes, and
 * of that baseline (memcpy), so each receive or store path shows next to a plain copy. Null when no
 * such case has GB/s.
 */
export function microCopyChart(cases: readonly MicroCase[]): string | null {
  const moving = new Set(cases.flatMap((c) => (c.gbps === null ? [] : [c.name])));
  const compared = cases.filter((c) => moving.has(c.name) && c.baseline !== null && moving.has(c.baseline));
  if (compared.length === 0) return null;
  const shown = new Set(compared.flatMap((c) => [c.name, c.baseline!]));
  const bars = cases.flatMap((c) => (shown.has(c.name) && c.gbps !== null ? [{ label: c.name, ...c.gbps }] : []));
  return barChart({ title: 'micro: copy paths against their baseline', yLabel: 'GB/s (median, min-max of rounds)', xLabel: 'case', bars, legend: { bar: 'median of rounds', whisker: 'min-max of rounds' } });
}

/** Renders the micro section (a "not measured" line when the record is missing or has no cases). */
export function renderMicro(record: ResultRecord | undefined, context: SectionContext): Section {
  const heading = `## micro\n\n${INTRO}`;
  const cases = record ? microCases(record) : [];
  if (!record || cases.length === 0) return { markdown: `${heading}\n\n${notMeasured('micro')}`, charts: [] };
  const table = mdTable(
    ['case', 'median ops/s', 'min', 'max', 'runs', 'rme', 'median GB/s', 'vs baseline'],
    cases.map((c) => [
      c.name,
      formatSi(c.opsPerSec.median),
      formatSi(c.opsPerSec.min),
      formatSi(c.opsPerSec.max),
      formatRuns(c.opsPerSec),
      c.rmePercent === null ? '\u2013' : `\u00B1${c.rmePercent.toFixed(1)}%`,
      c.gbps === null ? '\u2013' : formatGbps(c.gbps.median),
      c.baseline === null ? '\u2013' : `${formatRatio(c.ratioOverBaseline)} x ${c.baseline}`,
    ]),
    [1, 2, 3, 4, 5, 6],
  );
  const described = cases.filter((c) => c.description !== null).map((c) => `- **${c.name}**: ${c.description}`);
  const parts = [heading, provenance(record), reproduce(record), table];
  if (described.length > 0) parts.push(described.join('\n'));
  const svg = microCopyChart(cases);
  if (svg === null) return { markdown: parts.join('\n\n'), charts: [] };
  parts.push(mdImage('micro copy paths, GB/s', context.chartHref(CHART)));
  return { markdown: parts.join('\n\n'), charts: [{ name: CHART, svg }] };
}
