/**
 * The parent's side of bench/py/cluster_reader.py: one long-lived process per rank of a cluster
 * read, exchanging one command line for one JSON reply line so that every rank's timed window can
 * start at the same moment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

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

interface Waiter {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

const STDERR_LIMIT = 16 * 1024;

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
export class ClusterReaderProcess {
  private readonly waiters: Waiter[] = [];
  private readonly pending: string[] = [];
  private stderr = '';
  private ended: Error | null = null;
  private readonly closed: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly label: string,
  ) {
    // A write to a reader that has died fails with EPIPE; its exit is reported through 'close' instead.
    child.stdin!.on('error', () => undefined);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-STDERR_LIMIT)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const waiter = this.waiters.shift();
      if (waiter) this.settle(waiter, line);
      else this.pending.push(line);
    });
    const end = (err: Error): void => {
      this.ended ??= err;
      for (const waiter of this.waiters.splice(0)) waiter.reject(this.ended);
    };
    this.closed = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        end(new Error(`${label} exited (code ${code}, signal ${signal})\n--- stderr ---\n${this.stderr}`));
        resolve();
      });
    });
    child.once('error', (err) => end(new Error(`${label} could not start: ${err.message}`)));
  }

  /** Starts the reader of one rank. */
  static start(target: ReaderTarget, label: string): ClusterReaderProcess {
    const script = join(repoRoot(), 'bench', 'py', 'cluster_reader.py');
    const args = [script, '--url', target.url, '--name', target.dataset, '--rank', String(target.rank), '--world', String(target.world)];
    return new ClusterReaderProcess(spawn(venvPython(), args, { stdio: ['pipe', 'pipe', 'pipe'] }), label);
  }

  private settle(waiter: Waiter, line: string): void {
    try {
      waiter.resolve(JSON.parse(line));
    } catch {
      waiter.reject(new Error(`${this.label} printed a line that is not JSON: ${line}`));
    }
  }

  /** The next JSON line, or an error with the reader's stderr when it exits or times out first. */
  next(timeoutMs: number): Promise<unknown> {
    const line = this.pending.shift();
    if (line !== undefined) return new Promise((resolve, reject) => this.settle({ resolve, reject }, line));
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(new Error(`${this.label} sent no reply within ${timeoutMs} ms\n--- stderr ---\n${this.stderr}`));
      }, timeoutMs);
      const waiter: Waiter = {
        resolve: (value) => (clearTimeout(timer), resolve(value)),
        reject: (err) => (clearTimeout(timer), reject(err)),
      };
      this.waiters.push(waiter);
    });
  }

  /** Sends one command line and waits for its reply. */
  ask(command: string, timeoutMs: number): Promise<unknown> {
    if (this.ended) return Promise.reject(this.ended);
    this.child.stdin!.write(`${command}\n`);
    return this.next(timeoutMs);
  }

  /** Asks the reader to quit and waits for it; SIGKILL after graceMs. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.ended && this.child.stdin!.writable) this.child.stdin!.end('quit\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      await this.closed;
    } finally {
      clearTimeout(timer);
    }
  }
}
