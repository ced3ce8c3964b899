/** The report's doget section: DoGet throughput per server, a bar chart, and each server's memory. */
import { formatMiB } from '../../report.js';
import { barChart } from '../charts.js';
import { mdImage, mdTable } from '../markdown.js';
import { isObject, measuredOf, numberAt, stringAt, type MeasuredValue, type ResultRecord } from '../results.js';
import { formatGbps, formatRatio, formatRuns, notMeasured, provenance, reproduce, type Section, type SectionContext } from './common.js';

const CHART = 'doget-throughput.svg';
const INTRO =
  'Full-table DoGet throughput of flightcache ("ours") against a pyarrow FlightServerBase ("pyarrow") holding the ' +
  'same generated table of integer and float columns, read by a pyarrow client on the same machine. ' +
  'GB/s = gigabytes (SI) of Arrow buffers per second of one full read.';

/** One server's doget numbers as the report uses them. */
export interface DogetTarget {
  name: string;
  gbps: MeasuredValue;
  rssAfterLoad: number | null;
  rssToData: number | null;
  rssAfterReads: number | null;
  /** Median cores during a read (records before this was measured have none). */
  cpu: { clientCores: number; clientBusiestThreadCores: number; serverCores: number } | null;
  /** GB per CPU-second of the server's own threads, per read (records before this was measured have none). */
  serverGbPerCpuSecond: MeasuredValue | null;
}

/** The servers of a doget record that have a throughput summary, in record order. */
export function dogetTargets(record: ResultRecord): DogetTarget[] {
  const targets = record.data['targets'];
  if (!isObject(targets)) return [];
  const out: DogetTarget[] = [];
  for (const [name, value] of Object.entries(targets)) {
    const gbps = measuredOf(isObject(value) ? value['summary'] : undefined);
    if (!gbps || !isObject(value)) continue;
    out.push({
      name,
      gbps,
      rssAfterLoad: numberAt(value['afterLoad'], 'rssBytes'),
      rssToData: numberAt(value, 'rssToData'),
      rssAfterReads: numberAt(value['afterReads'], 'rssBytes'),
      cpu: cpuOf(value['cpu']),
      serverGbPerCpuSecond: measuredOf(value['serverGbPerCpuSecond']),
    });
  }
  return out;
}

function cpuOf(value: unknown): DogetTarget['cpu'] {
  const clientCores = numberAt(value, 'clientCores');
  const clientBusiestThreadCores = numberAt(value, 'clientBusiestThreadCores');
  const serverCores = numberAt(value, 'serverCores');
  return clientCores === null || clientBusiestThreadCores === null || serverCores === null ? null : { clientCores, clientBusiestThreadCores, serverCores };
}

function orDash(value: number | null, format: (v: number) => string): string {
  return value === null ? '\u2013' : format(value);
}

/** Where the reads ran, from the record's pinning (null when the record does not say). */
export function pinningLine(record: ResultRecord): string | null {
  const pinning = record.data['pinning'];
  if (!isObject(pinning)) return null;
  const reason = stringAt(pinning, 'unpinned');
  if (reason !== null) return `Processes were not pinned to CPUs (${reason}): client and servers shared them.`;
  const cpus = (key: string): string => (Array.isArray(pinning[key]) ? pinning[key].join(', ') : '?');
  return `The servers ran on CPUs ${cpus('serverCpus')} and the client on CPUs ${cpus('clientCpus')} (taskset), so a server's CPU time is its own work.`;
}

function efficiencyPart(record: ResultRecord, targets: readonly DogetTarget[]): string[] {
  const heading = '### Server efficiency';
  const measured = targets.filter((t) => t.serverGbPerCpuSecond !== null);
  if (measured.length === 0) return [heading, notMeasured('Bytes per server CPU-second')];
  const baseline = measured.find((t) => t.name === 'pyarrow')?.serverGbPerCpuSecond ?? null;
  const table = mdTable(
    ['server', 'median GB / server CPU-second', 'min', 'max', 'runs', 'median / pyarrow'],
    measured.map((t) => {
      const e = t.serverGbPerCpuSecond!;
      return [t.name, e.median.toFixed(2), e.min.toFixed(2), e.max.toFixed(2), formatRuns(e), formatRatio(baseline && baseline.median > 0 ? e.median / baseline.median : null)];
    }),
    [1, 2, 3, 4, 5],
  );
  const pinning = pinningLine(record);
  return [
    heading,
    'Gigabytes (SI) served per second of CPU time of the server process\'s own threads (schedstat), read by read: how many readers one server can feed matters more than the rate one client reaches on a shared machine.' +
      (pinning === null ? '' : ` ${pinning}`),
    table,
  ];
}

/** Renders the doget section (a "not measured" line when the record is missing or has no servers). */
export function renderDoget(record: ResultRecord | undefined, context: SectionContext): Section {
  const heading = `## doget\n\n${INTRO}`;
  const targets = record ? dogetTargets(record) : [];
  if (!record || targets.length === 0) return { markdown: `${heading}\n\n${notMeasured('doget')}`, charts: [] };

  const baseline = targets.find((t) => t.name === 'pyarrow');
  const dataBytes = numberAt(record.data['params'], 'dataBytes');
  const throughput = mdTable(
    ['server', 'median GB/s', 'min', 'max', 'runs', 'median / pyarrow'],
    targets.map((t) => [
      t.name,
      formatGbps(t.gbps.median),
      formatGbps(t.gbps.min),
      formatGbps(t.gbps.max),
      formatRuns(t.gbps),
      formatRatio(baseline && baseline.gbps.median > 0 ? t.gbps.median / baseline.gbps.median : null),
    ]),
    [1, 2, 3, 4, 5],
  );
  const memory = mdTable(
    ['server', 'RSS after load', 'RSS / data', 'RSS after reads'],
    targets.map((t) => [t.name, orDash(t.rssAfterLoad, formatMiB), orDash(t.rssToData, (v) => v.toFixed(2)), orDash(t.rssAfterReads, formatMiB)]),
    [1, 2, 3],
  );
  const measuredCpu = targets.filter((t) => t.cpu !== null);
  const cpu =
    measuredCpu.length === 0
      ? []
      : [
          '### CPU per read',
          'Cores busy while one full read runs (median over the runs; exact per-thread run time from /proc/PID/task/*/schedstat): the pyarrow client process, its busiest thread, and the server process. Which side limits the rate shows here: a client near its core count, or one thread near a full core, is the limit.',
          mdTable(
            ['server', 'client cores', 'client busiest thread', 'server cores'],
            measuredCpu.map((t) => [t.name, t.cpu!.clientCores.toFixed(2), t.cpu!.clientBusiestThreadCores.toFixed(2), t.cpu!.serverCores.toFixed(2)]),
            [1, 2, 3],
          ),
        ];
  const svg = barChart({
    title: 'doget: full-table DoGet throughput',
    yLabel: 'GB/s (median, min-max)',
    xLabel: 'server',
    bars: targets.map((t) => ({ label: t.name, ...t.gbps })),
  });
  const size = dataBytes === null ? '' : ` Each read returns ${formatMiB(dataBytes)} of Arrow buffers.`;
  const markdown = [
    heading,
    `${provenance(record)}${size}`,
    reproduce(record),
    throughput,
    mdImage('doget throughput per server', context.chartHref(CHART)),
    '### Memory',
    'Resident memory (VmRSS) of each server after loading the table and after the reads; RSS / data is the resident size after loading divided by the data bytes.',
    memory,
    ...cpu,
    ...efficiencyPart(record, targets),
  ].join('\n\n');
  return { markdown, charts: [{ name: CHART, svg }] };
}
