/** The report's pushdown section: the shard's filter rate against DuckDB and DataFusion, and a filtered DoGet against shipping everything. */
import { formatMiB } from '../../report.js';
import { lineChart, type Series } from '../charts.js';
import { mdImage, mdTable } from '../markdown.js';
import { isObject, measuredOf, numberAt, objectsAt, stringAt, type MeasuredValue, type ResultRecord } from '../results.js';
import { formatRatio, formatSi, notMeasured, provenance, reproduce, type Section, type SectionContext } from './common.js';

const SPEEDUP_CHART = 'pushdown-speedup.svg';
const RATE_CHART = 'pushdown-rate.svg';
const PEERS: ReadonlyArray<[string, string]> = [
  ['duckdb', 'DuckDB'],
  ['datafusion', 'DataFusion'],
];
const KINDS = ['numeric', 'string', 'dictionary'];
const RATE_GOAL = 0.8;
const SPEEDUP_GOAL = 5;
/** The selectivity (%) at which the end-to-end goal is set. */
const SPEEDUP_AT = 1;

/** What the suite measures, with the selectivities its record's cases use. */
function intro(record: ResultRecord | undefined): string {
  const selectivities = [...new Set((objectsAt(record?.data, 'cases') ?? []).map((c) => numberAt(c, 'selectivity')).filter((v): v is number => v !== null))];
  const at = selectivities.length === 0 ? '' : ` at ${selectivities.join(', ')} % selectivity`;
  return (
    `SQL predicates${at} on a numeric (\`score < p\`), a utf8 (\`tag = ...\`) and a dictionary (\`lang = ...\`) column. ` +
    "Filter rate: rows scanned per second by the shard's kernel (the planned predicate over every stored batch, in memory) against " +
    `\`SELECT count(*) ... WHERE\` in DuckDB and DataFusion over the same in-memory Arrow table (goal: ours / peer >= ${RATE_GOAL}). ` +
    'End to end: a pyarrow client reading the filtered stream from one node against reading the whole table and filtering it with ' +
    `pyarrow.compute (goal: >= ${SPEEDUP_GOAL}x at ${SPEEDUP_AT} %).`
  );
}

interface RateRow {
  name: string;
  kind: string;
  selectivity: number;
  kept: number;
  rate: Map<string, MeasuredValue>;
  cpuRatio: Map<string, number>;
}

interface EndToEndRow {
  name: string;
  kind: string;
  selectivity: number;
  kept: number;
  ours: MeasuredValue;
  shipAll: MeasuredValue;
  speedup: number;
  firstReadSpeedup: number;
  speedupPerRun: MeasuredValue;
}

function rateRows(record: ResultRecord): RateRow[] {
  return (objectsAt(record.data, 'rates') ?? []).flatMap((r): RateRow[] => {
    const name = stringAt(r, 'name');
    const kind = stringAt(r, 'kind');
    const selectivity = numberAt(r, 'selectivity');
    const kept = numberAt(r, 'rowsKept');
    if (name === null || kind === null || selectivity === null || kept === null || !isObject(r['rowsPerSecond'])) return [];
    const rate = new Map<string, MeasuredValue>();
    for (const [contender, value] of Object.entries(r['rowsPerSecond'])) {
      const m = measuredOf(value);
      if (m) rate.set(contender, m);
    }
    const cpuRatio = new Map<string, number>();
    for (const [peer] of PEERS) {
      const cpu = numberAt(isObject(r['oursOver']) ? r['oursOver'][peer] : undefined, 'cpu');
      if (cpu !== null) cpuRatio.set(peer, cpu);
    }
    return rate.has('ours') ? [{ name, kind, selectivity, kept, rate, cpuRatio }] : [];
  });
}

function endToEndRows(record: ResultRecord): EndToEndRow[] {
  return (objectsAt(record.data, 'endToEnd') ?? []).flatMap((e): EndToEndRow[] => {
    const name = stringAt(e, 'name');
    const kind = stringAt(e, 'kind');
    const selectivity = numberAt(e, 'selectivity');
    const kept = numberAt(e, 'rowsKept');
    const ours = measuredOf(e['oursSeconds']);
    const shipAll = measuredOf(e['shipAllSeconds']);
    const speedup = numberAt(e, 'speedup');
    const firstReadSpeedup = numberAt(e, 'firstReadSpeedup');
    const speedupPerRun = measuredOf(e['speedupPerRun']);
    if (name === null || kind === null || selectivity === null || kept === null || !ours || !shipAll || speedup === null || firstReadSpeedup === null || !speedupPerRun) return [];
    return [{ name, kind, selectivity, kept, ours, shipAll, speedup, firstReadSpeedup, speedupPerRun }];
  });
}

function ratePart(rows: readonly RateRow[], context: SectionContext): { markdown: string[]; charts: Section['charts'] } {
  const heading = '### Filter rate';
  if (rows.length === 0) return { markdown: [heading, notMeasured('The filter rate')], charts: [] };
  const peers = PEERS.filter(([peer]) => rows.some((r) => r.rate.has(peer)));
  const wallRatio = (r: RateRow, peer: string): number | null => {
    const peerRate = r.rate.get(peer);
    return peerRate && peerRate.median > 0 ? r.rate.get('ours')!.median / peerRate.median : null;
  };
  const table = mdTable(
    ['case', 'rows kept', 'ours rows/s', ...peers.map(([, label]) => `${label} rows/s`), ...peers.flatMap(([, label]) => [`ours / ${label}`, `ours / ${label} (CPU)`])],
    rows.map((r) => [
      r.name,
      String(r.kept),
      formatSi(r.rate.get('ours')!.median),
      ...peers.map(([peer]) => (r.rate.has(peer) ? formatSi(r.rate.get(peer)!.median) : '\u2013')),
      ...peers.flatMap(([peer]) => [formatRatio(wallRatio(r, peer)), formatRatio(r.cpuRatio.get(peer) ?? null)]),
    ]),
    Array.from({ length: 2 + peers.length * 3 }, (_, i) => i + 1),
  );
  const met = peers.map(([peer, label]) => {
    const ratios = rows.map((r) => wallRatio(r, peer)).filter((v): v is number => v !== null);
    return `${label}: ${ratios.filter((v) => v >= RATE_GOAL).length} of ${ratios.length} cases at or above ${RATE_GOAL}`;
  });
  const series: Series[] = peers.flatMap(([peer, label]) =>
    KINDS.map((kind) => ({
      name: `vs ${label}, ${kind}`,
      points: rows
        .filter((r) => r.kind === kind && wallRatio(r, peer) !== null)
        .map((r) => {
          const value = wallRatio(r, peer)!;
          return { x: r.selectivity, median: value, min: value, max: value };
        }),
    })).filter((s) => s.points.length > 0),
  );
  const svg = lineChart({ title: 'pushdown: filter rate, ours / peer', xLabel: 'selectivity (%)', yLabel: 'ours / peer (median rows/s)', xScale: 'log2', series });
  return {
    markdown: [
      heading,
      'Rows scanned per wall-clock second (median of the runs); the CPU columns compare rows per CPU-second of each process, which a loaded machine disturbs less.',
      table,
      `Goal met (wall clock): ${met.join('; ')}.`,
      mdImage('pushdown filter rate, ours over each peer', context.chartHref(RATE_CHART)),
    ],
    charts: [{ name: RATE_CHART, svg }],
  };
}

function endToEndPart(rows: readonly EndToEndRow[], context: SectionContext): { markdown: string[]; charts: Section['charts'] } {
  const heading = '### End to end';
  if (rows.length === 0) return { markdown: [heading, notMeasured('The end-to-end reads')], charts: [] };
  const table = mdTable(
    ['case', 'rows kept', 'ours s', 'ship-all s', 'speedup', 'first read speedup'],
    rows.map((e) => [e.name, String(e.kept), e.ours.median.toFixed(3), e.shipAll.median.toFixed(3), e.speedup.toFixed(1), e.firstReadSpeedup.toFixed(1)]),
    [1, 2, 3, 4, 5],
  );
  const atGoal = rows.filter((e) => e.selectivity === SPEEDUP_AT);
  const series: Series[] = KINDS.map((kind) => ({
    name: kind,
    points: rows
      .filter((e) => e.kind === kind)
      .map((e) => ({ x: e.selectivity, ...e.speedupPerRun })),
  })).filter((s) => s.points.length > 0);
  const svg = lineChart({ title: 'pushdown: filtered DoGet over ship-all', xLabel: 'selectivity (%)', yLabel: 'ship-all s / ours s, per run', xScale: 'log2', series });
  return {
    markdown: [
      heading,
      'Seconds per read in the client (median of the runs), ours against reading everything and filtering with pyarrow.compute; both return the same rows. ' +
        'The first read of a predicate runs the kernel, later ones reuse the cached selection: the first-read speedup compares that read with the median ship-all read.',
      table,
      `Goal (>= ${SPEEDUP_GOAL}x at ${SPEEDUP_AT} %): ${atGoal.map((e) => `${e.kind} ${e.speedup.toFixed(1)}x (first read ${e.firstReadSpeedup.toFixed(1)}x)`).join(', ')}.`,
      mdImage('pushdown speedup of a filtered DoGet over shipping everything', context.chartHref(SPEEDUP_CHART)),
    ],
    charts: [{ name: SPEEDUP_CHART, svg }],
  };
}

/** Renders the pushdown section (a "not measured" line when the record is missing). */
export function renderPushdown(record: ResultRecord | undefined, context: SectionContext): Section {
  const heading = `## pushdown\n\n${intro(record)}`;
  if (!record) return { markdown: `${heading}\n\n${notMeasured('pushdown')}`, charts: [] };
  const params = record.data['params'];
  const rows = numberAt(params, 'rows');
  const bytes = numberAt(params, 'dataBytes');
  const size = rows === null || bytes === null ? '' : ` The table holds ${rows} rows, ${formatMiB(bytes)} of Arrow buffers.`;
  const rate = ratePart(rateRows(record), context);
  const endToEnd = endToEndPart(endToEndRows(record), context);
  const markdown = [heading, `${provenance(record)}${size}`, reproduce(record), ...rate.markdown, ...endToEnd.markdown].join('\n\n');
  return { markdown, charts: [...rate.charts, ...endToEnd.charts] };
}
