/**
 * A section for suites without a dedicated renderer (micro, and any suite added later): every
 * array of named cases in the record whose cases carry {median, min, max} summaries becomes a table.
 */
import { mdTable } from '../markdown.js';
import { isObject, measuredOf, stringAt, type ResultRecord } from '../results.js';
import { notMeasured, provenance, reproduce, type Section } from './common.js';

const NAME_KEYS = ['name', 'case', 'benchmark', 'contender'];

function caseName(item: Record<string, unknown>): string | null {
  for (const key of NAME_KEYS) {
    const name = stringAt(item, key);
    if (name !== null) return name;
  }
  return null;
}

function formatValue(value: number): string {
  return Math.abs(value) >= 1000 ? value.toFixed(0) : value.toPrecision(4);
}

/** Table rows (case, metric, median, min, max, runs) of one array of cases. */
export function caseRows(items: readonly unknown[]): string[][] {
  const rows: string[][] = [];
  for (const item of items) {
    if (!isObject(item)) continue;
    const name = caseName(item);
    if (name === null) continue;
    for (const [metric, value] of Object.entries(item)) {
      const m = measuredOf(value);
      if (m) rows.push([name, metric, formatValue(m.median), formatValue(m.min), formatValue(m.max), m.runs === null ? '\u2013' : String(m.runs)]);
    }
  }
  return rows;
}

/** Renders a suite section from the named cases found in its record. */
export function renderGeneric(suite: string, record: ResultRecord | undefined, intro: string): Section {
  const heading = `## ${suite}\n\n${intro}`;
  if (!record) return { markdown: `${heading}\n\n${notMeasured(suite)}`, charts: [] };
  const parts = [heading, provenance(record), reproduce(record)];
  let tables = 0;
  for (const [key, value] of Object.entries(record.data)) {
    if (!Array.isArray(value)) continue;
    const rows = caseRows(value);
    if (rows.length === 0) continue;
    parts.push(`### ${key}`, mdTable(['case', 'metric', 'median', 'min', 'max', 'runs'], rows, [2, 3, 4, 5]));
    tables += 1;
  }
  if (tables === 0) parts.push(notMeasured(`Named cases with median/min/max summaries in ${suite}`));
  return { markdown: parts.join('\n\n'), charts: [] };
}
