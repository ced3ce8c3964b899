/** The report's feed section: one epoch into torch tensors per shape and order, the goals of issue 11, like-for-like pairs, a chart per case. */
import { barChart } from '../charts.js';
import { mdImage, mdTable } from '../markdown.js';
import { measuredOf, numberAt, objectsAt, stringAt, type MeasuredValue, type ResultRecord } from '../results.js';
import { formatGbps, formatRuns, formatSi, notMeasured, provenance, reproduce, type ChartFile, type Section, type SectionContext } from './common.js';

// No literal numbers here (bench/report/published.spec.ts): sizes and worker counts are in the record and the tables.
const INTRO =
  'One full epoch into torch tensors (every tensor made contiguous and summed) in two shapes, short fixed-width rows in large batches ' +
  'and LLM token samples (`input_ids` as a fixed_size_list of int32) in small batches, each in stored order and shuffled, ' +
  'from a local flightcache cluster through `FlightCacheDataset` over same-host shared memory (`shm`) and gRPC, in the main process ' +
  'and with DataLoader workers, against the same data as a memory-mapped Arrow IPC file (the physical anchor), local Parquet ' +
  '(in one process, and behind a DataLoader with workers), Ray Data and a plain copy into reused tensors. Contenders alternate round by round; ' +
  'client and server cores are CPU seconds of each process tree over the epoch\'s wall time. Shapes and sizes: bench/README.md and the record.';

/** One contender of one case as the report uses it. */
export interface FeedRow {
  name: string;
  description: string;
  samplesPerSec: MeasuredValue;
  gbps: MeasuredValue;
  clientCores: number | null;
  serverCores: number | null;
}

/** One ratio of one case. */
export interface FeedRatioRow {
  ours: string;
  peer: string;
  kind: string;
  ratio: number;
  target: number | null;
}

/** One case of a feed record. */
export interface FeedCaseRow {
  label: string;
  slug: string;
  contenders: FeedRow[];
  ratios: FeedRatioRow[];
}

/** The cases of a feed record with their contenders (those with both summaries) and ratios, in record order. */
export function feedCases(record: ResultRecord): FeedCaseRow[] {
  return (objectsAt(record.data, 'cases') ?? []).flatMap((c) => {
    const shape = stringAt(c, 'shape');
    if (shape === null) return [];
    const shuffled = c['shuffled'] === true;
    const contenders = (objectsAt(c, 'contenders') ?? []).flatMap((r) => {
      const name = stringAt(r, 'name');
      const samplesPerSec = measuredOf(r['samplesPerSec']);
      const gbps = measuredOf(r['gbps']);
      if (name === null || !samplesPerSec || !gbps) return [];
      const cores = (key: string): number | null => measuredOf(r[key])?.median ?? null;
      return [{ name, description: stringAt(r, 'description') ?? '', samplesPerSec, gbps, clientCores: cores('clientCores'), serverCores: cores('serverCores') }];
    });
    const ratios = (objectsAt(c, 'ratios') ?? []).flatMap((r) => {
      const ours = stringAt(r, 'ours');
      const peer = stringAt(r, 'peer');
      const value = numberAt(r, 'ratio');
      return ours !== null && peer !== null && value !== null ? [{ ours, peer, kind: stringAt(r, 'kind') ?? 'pair', ratio: value, target: numberAt(r, 'target') }] : [];
    });
    const order = shuffled ? 'shuffled' : 'in order';
    return [{ label: `${shape} ${order}`, slug: `${shape}-${shuffled ? 'shuffled' : 'ordered'}`, contenders, ratios }];
  });
}

function cores(value: number | null): string {
  return value === null ? '\u2013' : value.toFixed(2);
}

function goal(r: FeedRatioRow): [string, string] {
  if (r.target === null) return ['\u2013', '\u2013'];
  return [`>= ${r.target}x`, r.ratio >= r.target ? 'yes' : 'no'];
}

/** Renders the feed section (a "not measured" line when the record is missing or has no measured case). */
export function renderFeed(record: ResultRecord | undefined, context: SectionContext): Section {
  const heading = `## feed\n\n${INTRO}`;
  const cases = record ? feedCases(record).filter((c) => c.contenders.length > 0) : [];
  if (!record || cases.length === 0) return { markdown: `${heading}\n\n${notMeasured('feed')}`, charts: [] };
  const headlines = cases.flatMap((c) => c.ratios.filter((r) => r.kind === 'headline').map((r) => [c.label, `${r.ours} / ${r.peer}`, `${r.ratio.toFixed(2)}x`, ...goal(r)]));
  const parts = [heading, provenance(record), reproduce(record)];
  if (headlines.length > 0) parts.push('Goals (median samples/s ratios):', mdTable(['case', 'ratio', 'value', 'goal', 'met'], headlines, [2]));
  const charts: ChartFile[] = [];
  for (const c of cases) {
    const name = `feed-${c.slug}.svg`;
    charts.push({ name, svg: barChart({ title: `feed: ${c.label}`, yLabel: 'GB/s of tensors (median, min-max)', xLabel: 'contender', bars: c.contenders.map((r) => ({ label: r.name, ...r.gbps })) }) });
    parts.push(
      `### ${c.label}`,
      mdTable(
        ['contender', 'median samples/s', 'median GB/s', 'min', 'max', 'client cores', 'server cores', 'runs'],
        c.contenders.map((r) => [r.name, formatSi(r.samplesPerSec.median), formatGbps(r.gbps.median), formatGbps(r.gbps.min), formatGbps(r.gbps.max), cores(r.clientCores), cores(r.serverCores), formatRuns(r.gbps)]),
        [1, 2, 3, 4, 5, 6, 7],
      ),
      mdImage(`feed ${c.label}`, context.chartHref(name)),
    );
    const pairs = c.ratios.filter((r) => r.kind !== 'headline');
    if (pairs.length > 0) parts.push('Like-for-like pairs:', mdTable(['ratio', 'value'], pairs.map((r) => [`${r.ours} / ${r.peer}`, `${r.ratio.toFixed(2)}x`]), [1]));
  }
  parts.push(cases[0]!.contenders.map((r) => `- **${r.name}**: ${r.description}`).join('\n'));
  for (const s of objectsAt(record.data, 'skipped') ?? []) parts.push(`Skipped ${stringAt(s, 'name') ?? '?'}: ${stringAt(s, 'reason') ?? 'no reason recorded'}.`);
  return { markdown: parts.join('\n\n'), charts };
}
