/**
 * The report's scale section: aggregate, per-server and per-reader throughput of N independent
 * flightcache nodes read by M reader processes, the inputs of the model in docs/scaling.md.
 */
import { mdImage, mdTable } from '../markdown.js';
import { isObject, measuredOf, numberAt, objectsAt, stringAt, type MeasuredValue, type ResultRecord } from '../results.js';
import { aggregateChart } from './aggregate-chart.js';
import { formatGbps, formatRuns, notMeasured, provenance, reproduce, type Section, type SectionContext } from './common.js';

const CHART = 'scale-aggregate.svg';
const INTRO =
  'N flightcache nodes, each holding the same table, read by M pyarrow reader processes at once (reader j reads ' +
  'full tables from node j mod N for a fixed window). A "server" is an independent node; the ' +
  'coordinator-based cluster is measured by the cluster suite. The model built on these numbers is in [docs/scaling.md](scaling.md).';

/** One (N, M) configuration of a scale record. */
export interface ScaleConfig {
  servers: number;
  readers: number;
  serverCores: string;
  readerCores: string;
  oversubscribed: boolean;
  aggregate: MeasuredValue;
  perServer: MeasuredValue;
  perReader: MeasuredValue;
}

function cores(value: unknown): string {
  return Array.isArray(value) && value.every((v) => typeof v === 'number') ? value.join(',') : 'unpinned';
}

/** The configurations of a scale record that carry all three summaries. */
export function scaleConfigs(record: ResultRecord): ScaleConfig[] {
  return (objectsAt(record.data, 'configs') ?? []).flatMap((c) => {
    const servers = numberAt(c, 'servers');
    const readers = numberAt(c, 'readers');
    const aggregate = measuredOf(c['aggregateGbps']);
    const perServer = measuredOf(c['perServerGbps']);
    const perReader = measuredOf(c['perReaderGbps']);
    if (servers === null || readers === null || !aggregate || !perServer || !perReader) return [];
    return [{ servers, readers, serverCores: cores(c['serverCores']), readerCores: cores(c['readerCores']), oversubscribed: c['oversubscribed'] === true, aggregate, perServer, perReader }];
  });
}

function placementLine(record: ResultRecord): string {
  const placement = record.data['placement'];
  const note = stringAt(placement, 'note');
  const pinned = isObject(placement) && placement['pinned'] === true;
  const base = pinned ? 'Each server and each reader was pinned to its own core with `taskset -c`.' : 'Processes were not pinned to cores.';
  return note ? `${base} ${note}` : base;
}

function infoLine(record: ResultRecord): string[] {
  const info = measuredOf(record.data['getFlightInfoSeconds']);
  if (!info) return [notMeasured('GetFlightInfo latency')];
  const ms = (seconds: number): string => (seconds * 1e3).toFixed(3);
  const calls = info.runs === null ? '' : ` over ${info.runs} sequential calls`;
  return [`GetFlightInfo, client-observed on loopback: median ${ms(info.median)} ms (min ${ms(info.min)}, max ${ms(info.max)})${calls}.`];
}

/** Renders the scale section (a "not measured" line when the record is missing or has no configurations). */
export function renderScale(record: ResultRecord | undefined, context: SectionContext): Section {
  const heading = `## scale\n\n${INTRO}`;
  const configs = record ? scaleConfigs(record) : [];
  if (!record || configs.length === 0) return { markdown: `${heading}\n\n${notMeasured('scale')}`, charts: [] };

  const table = mdTable(
    ['servers N', 'readers M', 'server cores', 'reader cores', 'aggregate GB/s', 'min', 'max', 'runs', 'per server GB/s', 'per reader GB/s'],
    configs.map((c) => [
      String(c.servers),
      String(c.readers),
      c.serverCores,
      c.oversubscribed ? `${c.readerCores} (shared)` : c.readerCores,
      formatGbps(c.aggregate.median),
      formatGbps(c.aggregate.min),
      formatGbps(c.aggregate.max),
      formatRuns(c.aggregate),
      formatGbps(c.perServer.median),
      formatGbps(c.perReader.median),
    ]),
    [0, 1, 4, 5, 6, 7, 8, 9],
  );
  const svg = aggregateChart('scale: aggregate throughput of N nodes and M readers', configs, 'server');
  const markdown = [
    heading,
    provenance(record),
    reproduce(record),
    placementLine(record),
    table,
    'Per server and per reader are medians over the runs of each active server (one with at least one reader) and each reader.',
    ...infoLine(record),
    mdImage('scale aggregate throughput', context.chartHref(CHART)),
  ].join('\n\n');
  return { markdown, charts: [{ name: CHART, svg }] };
}
