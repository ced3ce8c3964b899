/** What every suite section of the report shares: provenance lines, the reproduce command, number formats. */
import { mdShell } from '../markdown.js';
import { numberAt, type MeasuredValue, type ResultRecord } from '../results.js';
import { stalenessLine } from '../staleness.js';

/** An SVG chart to write next to the report, under its file name. */
export interface ChartFile {
  name: string;
  svg: string;
}

/** A rendered suite section: its markdown and the charts it links to. */
export interface Section {
  markdown: string;
  charts: ChartFile[];
}

/** How a section links to its charts (the path from the report to the charts directory). */
export interface SectionContext {
  chartHref(name: string): string;
}

/** The line a section shows when its suite, or one of its parts, is missing from the results. */
export function notMeasured(what: string): string {
  return `${what}: not measured in this results set.`;
}

/** GB/s with three decimals. */
export function formatGbps(value: number): string {
  return value.toFixed(3);
}

/** A ratio with three decimals, or an en dash when there is none. */
export function formatRatio(value: number | null): string {
  return value === null ? '\u2013' : value.toFixed(3);
}

/** A rate such as rows/s with an SI prefix and three significant digits, e.g. "35.2 M". */
export function formatSi(value: number): string {
  const units: [number, string][] = [
    [1e9, ' G'],
    [1e6, ' M'],
    [1e3, ' k'],
  ];
  for (const [scale, unit] of units) if (Math.abs(value) >= scale) return `${(value / scale).toPrecision(3)}${unit}`;
  return value.toPrecision(3);
}

/** The run count of a measurement, or an en dash. */
export function formatRuns(value: MeasuredValue): string {
  return value.runs === null ? '\u2013' : String(value.runs);
}

/** An ISO date as "YYYY-MM-DD HH:MM UTC". */
export function formatDate(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The machine of a record: CPU and cores, memory, OS, host and the software versions it has. */
export function machineLine(record: ResultRecord): string {
  const m = record.machine;
  const parts = [m.cores === null ? m.cpu : `${m.cpu} (${m.cores} cores)`];
  if (m.memoryBytes !== null) parts.push(`${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB RAM`);
  if (m.os !== null) parts.push(m.os);
  if (m.hostname !== null) parts.push(`host ${m.hostname}`);
  if (m.node !== null) parts.push(`Node ${m.node}`);
  if (m.python !== null) parts.push(`Python ${m.python}`);
  if (m.pyarrow !== null) parts.push(`pyarrow ${m.pyarrow}`);
  return parts.join(', ');
}

/** The commit and load sentences of a record, or what it lacks. */
export function sourceAndLoad(record: ResultRecord): string {
  const commit =
    record.commit === null
      ? 'No commit recorded.'
      : `Commit \`${record.commit.slice(0, 12)}\`${record.dirty === true ? ' with uncommitted changes to tracked files' : ''}.`;
  const load = record.load;
  const loadLine =
    load === null
      ? 'No load average recorded.'
      : `One-minute load average ${load.before.one.toFixed(2)} before the run, ${load.after.one.toFixed(2)} after.`;
  return `${commit} ${loadLine}`;
}

/** "Measured <date> (quick run) on <machine>. Commit ... Load ..." from a record's envelope. */
export function provenance(record: ResultRecord): string {
  const kind = record.quick ? ' (quick run: smaller data, fewer runs)' : '';
  return `Measured ${formatDate(record.date)}${kind} on ${machineLine(record)}. ${sourceAndLoad(record)}`;
}

/** The record's staleness line and a blank line, or nothing when staleness was not checked. */
export function stalenessParagraph(record: ResultRecord): string {
  return record.staleness === undefined ? '' : `${stalenessLine(record.staleness)}\n\n`;
}

/** The command that re-measures a harness record: same suite, --quick, --only and run count, into docs/results. */
export function reproduceCommand(record: ResultRecord): string {
  const args = ['npm run bench --', record.suite];
  if (record.quick) args.push('--quick');
  if (record.only !== null) args.push('--only', record.only);
  const runs = numberAt(record.data['params'], 'runs');
  if (runs !== null) args.push('--runs', String(runs));
  args.push('--json', `docs/results/${record.suite}.json`);
  return args.join(' ');
}

/** The staleness line, then the command that reproduces a record. */
export function reproduce(record: ResultRecord): string {
  return `${stalenessParagraph(record)}Reproduce:\n\n${mdShell(reproduceCommand(record))}`;
}
