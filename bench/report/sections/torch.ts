/** The report's torch section: samples/s and GB/s of one epoch into torch tensors, and the ratios with their targets. */
import { formatMiB } from '../../report.js';
import { TORCH_CONDITION_KEYS, torchConditions } from '../../suites/torch-results.js';
import { barChart } from '../charts.js';
import { mdImage, mdTable } from '../markdown.js';
import { conditionsOf, headlineNote, likeForLikePairs, pairsTable, type Compared, type Conditions } from '../pairs.js';
import { measuredOf, numberAt, objectsAt, stringAt, type MeasuredValue, type ResultRecord } from '../results.js';
import { formatGbps, formatRuns, formatSi, notMeasured, provenance, reproduce, type Section, type SectionContext } from './common.js';

const CHART = 'torch-samples.svg';

const INTRO =
  'One full epoch into torch tensors (dicts of tensors; every tensor made contiguous and summed) from a local ' +
  'flightcache cluster through `FlightCacheDataset` (in the training process, and behind DataLoader worker processes), against the same data as local Parquet: ' +
  '(a) pyarrow.dataset in one process, (b) (a) behind a torch DataLoader with worker processes, (c) Ray Data `iter_torch_batches`. ' +
  'Everything runs on one machine; contenders alternate round by round.';

/** One contender of a torch record as the report uses it. */
export interface TorchRow {
  name: string;
  description: string;
  samplesPerSec: MeasuredValue;
  gbps: MeasuredValue;
  /** Recorded conditions; for records from before they were recorded, those the suite gives the name. */
  conditions: Conditions | null;
}

/** One ratio of a torch record. */
export interface TorchRatioRow {
  ours: string;
  peer: string;
  ratio: number;
  target: number | null;
}

/** The contenders of a torch record that have both summaries, in record order. */
export function torchRows(record: ResultRecord): TorchRow[] {
  const workers = numberAt(record.data['params'], 'loaderWorkers');
  return (objectsAt(record.data, 'contenders') ?? []).flatMap((c) => {
    const name = stringAt(c, 'name');
    const samplesPerSec = measuredOf(c['samplesPerSec']);
    const gbps = measuredOf(c['gbps']);
    if (name === null || !samplesPerSec || !gbps) return [];
    const conditions = conditionsOf(c['conditions']) ?? (workers === null ? null : torchConditions(name, workers));
    return [{ name, description: stringAt(c, 'description') ?? '', samplesPerSec, gbps, conditions }];
  });
}

const OURS = 'flightcache-';

/** The rows as the pair helpers compare them (by median samples/s); rows without conditions are left out. */
export function torchCompared(rows: readonly TorchRow[]): { ours: Compared[]; peers: Compared[] } {
  const compared = rows.flatMap((r) => (r.conditions === null ? [] : [{ name: r.name, median: r.samplesPerSec.median, conditions: r.conditions }]));
  return { ours: compared.filter((c) => c.name.startsWith(OURS)), peers: compared.filter((c) => !c.name.startsWith(OURS)) };
}

/** What a ratio compares: like-for-like, what differs, or unknown when a side has no conditions. */
export function ratioNote(rows: readonly TorchRow[], r: TorchRatioRow): string {
  const a = rows.find((row) => row.name === r.ours);
  const b = rows.find((row) => row.name === r.peer);
  if (!a?.conditions || !b?.conditions) return 'conditions not recorded';
  return headlineNote({ name: a.name, median: a.samplesPerSec.median, conditions: a.conditions }, { name: b.name, median: b.samplesPerSec.median, conditions: b.conditions }, TORCH_CONDITION_KEYS);
}

/** The ratios of a torch record (entries without a numeric ratio are left out). */
export function torchRatioRows(record: ResultRecord): TorchRatioRow[] {
  return (objectsAt(record.data, 'ratios') ?? []).flatMap((r) => {
    const ours = stringAt(r, 'ours');
    const peer = stringAt(r, 'peer');
    const ratio = numberAt(r, 'ratio');
    return ours !== null && peer !== null && ratio !== null ? [{ ours, peer, ratio, target: numberAt(r, 'target') }] : [];
  });
}

function targetCells(r: TorchRatioRow): [string, string] {
  if (r.target === null) return ['\u2013', '\u2013'];
  return [`>= ${r.target}x`, r.ratio >= r.target ? 'yes' : 'no'];
}

/** The bar chart of millions of samples per second per contender (median, min-max of epochs). */
export function torchChart(rows: readonly TorchRow[]): string {
  const millions = (v: MeasuredValue): { median: number; min: number; max: number } => ({ median: v.median / 1e6, min: v.min / 1e6, max: v.max / 1e6 });
  return barChart({
    title: 'torch: one epoch into tensors',
    yLabel: 'M samples/s (median, min-max)',
    xLabel: 'contender',
    bars: rows.map((r) => ({ label: r.name, ...millions(r.samplesPerSec) })),
    legend: { bar: 'median of epochs', whisker: 'min-max of epochs' },
  });
}

/** Renders the torch section (a "not measured" line when the record is missing or has no contenders). */
export function renderTorch(record: ResultRecord | undefined, context: SectionContext): Section {
  const heading = `## torch\n\n${INTRO}`;
  const rows = record ? torchRows(record) : [];
  if (!record || rows.length === 0) return { markdown: `${heading}\n\n${notMeasured('torch')}`, charts: [] };
  const params = record.data['params'];
  const dataBytes = numberAt(params, 'dataBytes');
  const schema = stringAt(params, 'schema');
  const size = dataBytes === null ? '' : ` Each epoch delivers ${formatMiB(dataBytes)} of tensors${schema === null ? '' : ` (${schema})`}.`;
  const batchRows = numberAt(params, 'batchRows');
  const workers = numberAt(params, 'loaderWorkers');
  const shape = `${batchRows === null ? '' : ` Batches of ${batchRows} rows.`}${workers === null ? '' : ` DataLoader worker processes where a contender has them: ${workers}.`}`;
  const table = mdTable(
    ['contender', 'median samples/s', 'median GB/s', 'min', 'max', 'runs'],
    rows.map((c) => [c.name, formatSi(c.samplesPerSec.median), formatGbps(c.gbps.median), formatGbps(c.gbps.min), formatGbps(c.gbps.max), formatRuns(c.gbps)]),
    [1, 2, 3, 4, 5],
  );
  const ratios = torchRatioRows(record);
  const parts = [
    heading,
    `${provenance(record)}${size}${shape}`,
    reproduce(record),
    table,
    mdImage('torch samples per second per contender', context.chartHref(CHART)),
    rows.map((c) => `- **${c.name}**: ${c.description}`).join('\n'),
  ];
  if (ratios.length > 0) {
    parts.push(
      'Ratios of median samples/s (the targets of the torch issue); the last column says whether both sides ran with the same DataLoader workers and shuffling:',
      mdTable(['ratio', 'value', 'target', 'met', 'compares'], ratios.map((r) => [`${r.ours} / ${r.peer}`, `${r.ratio.toFixed(2)}x`, ...targetCells(r), ratioNote(rows, r)]), [1]),
    );
  }
  const { ours, peers } = torchCompared(rows);
  const pairs = likeForLikePairs(ours, peers, TORCH_CONDITION_KEYS);
  parts.push(
    '### Like-for-like pairs',
    pairs.length === 0
      ? 'No flightcache contender has a peer with the same workers and shuffling in this record.'
      : `Each flightcache contender against every peer with the same DataLoader workers and shuffling:\n\n${pairsTable(pairs, TORCH_CONDITION_KEYS, 'samples/s')}`,
  );
  for (const s of objectsAt(record.data, 'skipped') ?? []) parts.push(`Skipped ${stringAt(s, 'name') ?? '?'}: ${stringAt(s, 'reason') ?? 'no reason recorded'}.`);
  return { markdown: parts.join('\n\n'), charts: [{ name: CHART, svg: torchChart(rows) }] };
}
