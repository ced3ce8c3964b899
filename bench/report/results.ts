/**
 * Reads the `--json` records of `npm run bench` and gives typed, tolerant access to their fields:
 * a record must have the harness envelope (suite, date, machine), while suite data may lack any
 * section, which the report then marks as not measured.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { LoadAverage } from '../provenance.js';
import { ENVELOPE_FIELDS } from '../record.js';
import type { Staleness } from './staleness.js';

/** The machine a record was measured on; fields the record lacks are null. */
export interface MachineSummary {
  hostname: string | null;
  cpu: string;
  cores: number | null;
  memoryBytes: number | null;
  os: string | null;
  node: string | null;
  python: string | null;
  pyarrow: string | null;
}

/** One `--json` record: the harness envelope plus the suite's own data (everything else). */
export interface ResultRecord {
  file: string;
  suite: string;
  quick: boolean;
  only: string | null;
  date: string;
  /** The commit measured; null in records from before the harness recorded it. */
  commit: string | null;
  /** Whether tracked files had uncommitted changes; null when not recorded. */
  dirty: boolean | null;
  machine: MachineSummary;
  /** Load average before and after the run; null when not recorded. */
  load: { before: LoadAverage; after: LoadAverage } | null;
  data: Readonly<Record<string, unknown>>;
  /** Set by the renderer when it checks the record against the checkout (staleness.ts). */
  staleness?: Staleness;
}

/** A median with its range and, when the record says, the number of runs behind it. */
export interface MeasuredValue {
  median: number;
  min: number;
  max: number;
  runs: number | null;
}

const ENVELOPE = new Set<string>(ENVELOPE_FIELDS);

/** True for a plain JSON object. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** obj[key] when it is a finite number, else null. */
export function numberAt(obj: unknown, key: string): number | null {
  const value = isObject(obj) ? obj[key] : undefined;
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** obj[key] when it is a string, else null. */
export function stringAt(obj: unknown, key: string): string | null {
  const value = isObject(obj) ? obj[key] : undefined;
  return typeof value === 'string' ? value : null;
}

/** The objects of the array at obj[key]; null when there is no array there. */
export function objectsAt(obj: unknown, key: string): Record<string, unknown>[] | null {
  const value = isObject(obj) ? obj[key] : undefined;
  return Array.isArray(value) ? value.filter(isObject) : null;
}

/**
 * A {median, min, max} summary; its run count is read from `runs` (a count or the array of
 * samples) or `n`. Null when any of the three values is missing.
 */
export function measuredOf(value: unknown): MeasuredValue | null {
  const median = numberAt(value, 'median');
  const min = numberAt(value, 'min');
  const max = numberAt(value, 'max');
  if (median === null || min === null || max === null) return null;
  const runsField = isObject(value) ? value['runs'] : undefined;
  const runs = Array.isArray(runsField) ? runsField.length : (numberAt(value, 'runs') ?? numberAt(value, 'n'));
  return { median, min, max, runs };
}

function machineOf(file: string, value: unknown): MachineSummary {
  if (!isObject(value)) throw new Error(`${file}: "machine" must be an object`);
  return {
    hostname: stringAt(value, 'hostname'),
    cpu: stringAt(value, 'cpuModel') ?? stringAt(value, 'cpu') ?? 'unknown CPU',
    cores: numberAt(value, 'cores'),
    memoryBytes: numberAt(value, 'memoryBytes'),
    os: stringAt(value, 'os'),
    node: stringAt(value, 'node'),
    python: stringAt(value, 'python'),
    pyarrow: stringAt(value, 'pyarrow'),
  };
}

function loadAverageOf(value: unknown): LoadAverage | null {
  const one = numberAt(value, 'one');
  const five = numberAt(value, 'five');
  const fifteen = numberAt(value, 'fifteen');
  return one === null || five === null || fifteen === null ? null : { one, five, fifteen };
}

function loadOf(value: unknown): ResultRecord['load'] {
  const before = loadAverageOf(isObject(value) ? value['before'] : undefined);
  const after = loadAverageOf(isObject(value) ? value['after'] : undefined);
  return before === null || after === null ? null : { before, after };
}

/** Checks the harness envelope of a parsed record; the message names the file and the field. */
export function parseRecord(file: string, json: unknown): ResultRecord {
  if (!isObject(json)) throw new Error(`${file}: a results record must be a JSON object`);
  const suite = stringAt(json, 'suite');
  const date = stringAt(json, 'date');
  if (!suite) throw new Error(`${file}: "suite" must be a non-empty string`);
  if (date === null || Number.isNaN(Date.parse(date))) throw new Error(`${file}: "date" must be an ISO date string`);
  const data = Object.fromEntries(Object.entries(json).filter(([key]) => !ENVELOPE.has(key)));
  const dirty = typeof json['dirty'] === 'boolean' ? json['dirty'] : null;
  return {
    file,
    suite,
    quick: json['quick'] === true,
    only: stringAt(json, 'only'),
    date,
    commit: stringAt(json, 'commit'),
    dirty,
    machine: machineOf(file, json['machine']),
    load: loadOf(json['load']),
    data,
  };
}

/**
 * Every `*.json` record in dir, one per suite: when two files hold the same suite, the later date
 * wins. Throws when dir has no records, since rendering nothing would erase the published report.
 */
export function loadResults(dir: string): Map<string, ResultRecord> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.json')).sort();
  } catch (err) {
    throw new Error(`cannot read results directory ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const bySuite = new Map<string, ResultRecord>();
  for (const name of names) {
    const file = join(dir, name);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`${file}: not valid JSON (${(err as Error).message})`, { cause: err });
    }
    const record = parseRecord(file, json);
    const held = bySuite.get(record.suite);
    if (!held || Date.parse(record.date) > Date.parse(held.date)) bySuite.set(record.suite, record);
  }
  if (bySuite.size === 0) {
    throw new Error(`no results in ${dir}: run \`npm run bench -- <suite> --json ${dir}/<suite>.json\` first`);
  }
  return bySuite;
}
