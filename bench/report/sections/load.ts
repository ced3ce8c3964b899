/** The report's load section: `load` against pyarrow reading the same files, and cluster throughput by source. */
import { barChart } from '../charts.js';
import { mdImage, mdTable } from '../markdown.js';
import { measuredOf, numberAt, objectsAt, stringAt, type MeasuredValue, type ResultRecord } from '../results.js';
import { formatRatio, notMeasured, provenance, reproduce, type Section, type SectionContext } from './common.js';

const CHART = 'load-throughput.svg';

/** One format loaded by one node, against pyarrow. */
export interface LoadVersusPyarrow {
  name: string;
  files: number;
  megabytes: number;
  rows: number;
  oursSeconds: MeasuredValue;
  pyarrowSeconds: MeasuredValue;
  speedRatio: number;
  oursCpuSeconds: MeasuredValue | null;
  pyarrowCpuSeconds: MeasuredValue | null;
  cpuRatio: number | null;
}

/** One format loaded by a cluster from one source. */
export interface LoadThroughput {
  source: string;
  format: string;
  shards: number;
  files: number;
  megabytes: number;
  mbps: MeasuredValue;
  cpuSeconds: MeasuredValue;
}

/** The cases of a load record with their measurements. */
export function loadCases(record: ResultRecord): LoadVersusPyarrow[] {
  return (objectsAt(record.data, 'cases') ?? []).flatMap((c) => {
    const name = stringAt(c, 'name');
    const oursSeconds = measuredOf(c['oursSeconds']);
    const pyarrowSeconds = measuredOf(c['pyarrowSeconds']);
    const [files, bytes, rows, speedRatio] = [numberAt(c, 'files'), numberAt(c, 'bytes'), numberAt(c, 'rows'), numberAt(c, 'speedRatio')];
    if (name === null || oursSeconds === null || pyarrowSeconds === null || files === null || bytes === null || rows === null || speedRatio === null) return [];
    const [oursCpuSeconds, pyarrowCpuSeconds] = [measuredOf(c['oursCpuSeconds']), measuredOf(c['pyarrowCpuSeconds'])];
    return [{ name, files, megabytes: bytes / 1e6, rows, oursSeconds, pyarrowSeconds, speedRatio, oursCpuSeconds, pyarrowCpuSeconds, cpuRatio: numberAt(c, 'cpuRatio') }];
  });
}

/** The cluster throughput cases of a load record. */
export function loadThroughput(record: ResultRecord): LoadThroughput[] {
  return (objectsAt(record.data, 'throughput') ?? []).flatMap((t) => {
    const [source, format] = [stringAt(t, 'source'), stringAt(t, 'format')];
    const [shards, files, bytes] = [numberAt(t, 'shards'), numberAt(t, 'files'), numberAt(t, 'bytes')];
    const [mbps, cpuSeconds] = [measuredOf(t['mbps']), measuredOf(t['cpuSeconds'])];
    if (source === null || format === null || shards === null || files === null || bytes === null || mbps === null || cpuSeconds === null) return [];
    return [{ source, format, shards, files, megabytes: bytes / 1e6, mbps, cpuSeconds }];
  });
}

const seconds = (value: MeasuredValue | null): string => (value === null ? '\u2013' : value.median.toFixed(2));

/** The bar chart of cluster MB/s, one bar per source, format and shard count. */
export function loadThroughputChart(throughput: readonly LoadThroughput[]): string {
  const bars = throughput.map((t) => ({ label: `${t.source} ${t.format} \u00D7${t.shards}`, ...t.mbps }));
  return barChart({ title: 'load: cluster throughput by source, format and shards', yLabel: 'MB/s of file bytes (median, min-max of runs)', xLabel: 'source, format, shards', bars });
}

/** Renders the load section (a "not measured" line when the record is missing or has no cases). */
export function renderLoad(record: ResultRecord | undefined, context: SectionContext): Section {
  const cases = record ? loadCases(record) : [];
  const goal = record ? numberAt(record.data, 'goalRatio') : null;
  const intro =
    '`load` of a directory of snappy Parquet files and of the same rows as CSV files. One node against pyarrow reading the same files into one ' +
    'table in one process (`pq.read_table`, `pyarrow.csv.read_csv` per file): wall seconds from the action to its answer, and CPU seconds of ' +
    "every server thread against pyarrow's process time; the ratios are pyarrow's over ours" +
    (goal === null ? '.' : ` (the goal: at least ${formatRatio(goal)} with one node).`);
  const heading = `## load\n\n${intro}`;
  if (!record || cases.length === 0) return { markdown: `${heading}\n\n${notMeasured('load')}`, charts: [] };
  const versus = mdTable(
    ['format', 'files', 'MB', 'rows', 'ours s', 'pyarrow s', 'pyarrow/ours', 'ours CPU s', 'pyarrow CPU s', 'CPU pyarrow/ours'],
    cases.map((c) => [c.name, String(c.files), c.megabytes.toFixed(0), String(c.rows), seconds(c.oursSeconds), seconds(c.pyarrowSeconds), formatRatio(c.speedRatio), seconds(c.oursCpuSeconds), seconds(c.pyarrowCpuSeconds), formatRatio(c.cpuRatio)]),
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  const parts = [heading, provenance(record), reproduce(record), versus];
  const throughput = loadThroughput(record);
  if (throughput.length === 0) return { markdown: [...parts, notMeasured('load cluster throughput')].join('\n\n'), charts: [] };
  const s3Files = numberAt(record.data, 's3Files');
  parts.push(
    'Clusters (`serve --shards N`) loading the same files from the local directory and from an S3 server the suite starts (moto, on loopback' +
      (s3Files === null ? ')' : `, holding ${s3Files} files of each format)`) +
      '. MB/s of file bytes; CPU seconds of the coordinator and its shards together.',
    mdTable(
      ['source', 'format', 'shards', 'files', 'MB', 'median MB/s', 'min', 'max', 'CPU s'],
      throughput.map((t) => [t.source, t.format, String(t.shards), String(t.files), t.megabytes.toFixed(0), t.mbps.median.toFixed(0), t.mbps.min.toFixed(0), t.mbps.max.toFixed(0), seconds(t.cpuSeconds)]),
      [2, 3, 4, 5, 6, 7, 8],
    ),
    mdImage('load cluster throughput, MB/s', context.chartHref(CHART)),
  );
  return { markdown: parts.join('\n\n'), charts: [{ name: CHART, svg: loadThroughputChart(throughput) }] };
}
