/**
 * The parent's side of bench/py/cluster_reader.py: one long-lived process per rank of a cluster
 * read, exchanging one command line for one JSON reply line so that every rank's timed window can
 * start at the same moment.
 */
import { join } from 'node:path';
import { LineProcess } from './line-process.js';

import { repoRoot, venvPython } from '../../test/helpers/python.js';

/** Where a reader reads: the coordinator, the dataset and its rank of `world`. */
export interface ReaderTarget {
  url: string;
  dataset: string;
  rank: number;
  world: number;
}

/** A reader's first, untimed read of its share. */
export interface ReaderReady {
  rows: number;
  bytes: number;
  endpoints: number;
  locations: string[];
}

/** What a reader reports for one timed window. */
export interface ClusterWindow {
  bytes: number;
  rows: number;
  seconds: number;
  /** Share reads that finished inside the window. */
  reads: number;
  /** GetFlightInfo calls made in the window (one per share read started). */
  plans: number;
}

function isNumberRecord<K extends string>(value: unknown, keys: readonly K[]): value is Record<K, number> {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return keys.every((k) => typeof v[k] === 'number' && Number.isFinite(v[k]));
}

/** Checks a ready reply's shape. */
export function asReaderReady(value: unknown, label: string): ReaderReady {
  const locations = (value as { locations?: unknown } | null)?.locations;
  if (!isNumberRecord(value, ['rows', 'bytes', 'endpoints'] as const) || !Array.isArray(locations) || !locations.every((l) => typeof l === 'string')) {
    throw new Error(`${label} sent a malformed ready line: ${JSON.stringify(value)}`);
  }
  return { rows: value.rows, bytes: value.bytes, endpoints: value.endpoints, locations };
}

/** Checks a window reply's shape; the message names the reader and what it sent. */
export function asClusterWindow(value: unknown, label: string): ClusterWindow {
  if (!isNumberRecord(value, ['bytes', 'rows', 'seconds', 'reads', 'plans'] as const) || !(value.seconds > 0)) {
    throw new Error(`${label} sent a malformed window result: ${JSON.stringify(value)}`);
  }
  return { bytes: value.bytes, rows: value.rows, seconds: value.seconds, reads: value.reads, plans: value.plans };
}

/** Seconds from GetFlightInfo to the first record batch, and of the GetFlightInfo call alone, per iteration. */
export interface FirstBatchTimes {
  first: number[];
  plan: number[];
}

function positiveList(value: unknown): value is number[] {
  return Array.isArray(value) && value.length > 0 && value.every((s) => typeof s === 'number' && s > 0);
}

/** Checks a first-batch reply: two equally long, non-empty lists of positive seconds. */
export function asFirstBatchTimes(value: unknown, label: string): FirstBatchTimes {
  const v = value as { first_seconds?: unknown; plan_seconds?: unknown } | null;
  const first = v?.first_seconds;
  const plan = v?.plan_seconds;
  if (!positiveList(first) || !positiveList(plan) || first.length !== plan.length) {
    throw new Error(`${label} sent a malformed first-batch result: ${JSON.stringify(value)}`);
  }
  return { first, plan };
}

/** A running cluster_reader.py. */
export class ClusterReaderProcess extends LineProcess {
  /** Starts the reader of one rank (inside network namespace `namespace` when given). */
  static start(target: ReaderTarget, label: string, namespace?: string): ClusterReaderProcess {
    const script = join(repoRoot(), 'bench', 'py', 'cluster_reader.py');
    const args = [script, '--url', target.url, '--name', target.dataset, '--rank', String(target.rank), '--world', String(target.world)];
    const inside = namespace === undefined ? [] : ['ip', 'netns', 'exec', namespace];
    return new ClusterReaderProcess(LineProcess.spawnArgv([...inside, venvPython(), ...args]), label);
  }
}
