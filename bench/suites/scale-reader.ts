/**
 * The parent's side of bench/py/scale_reader.py: starts one reader process (pinned to a core when
 * asked), and exchanges one command line for one JSON reply line with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { repoRoot, venvPython } from '../../test/helpers/python.js';

/** What a reader reports for one timed window. */
export interface WindowResult {
  bytes: number;
  rows: number;
  seconds: number;
  reads: number;
}

interface Waiter {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

const STDERR_LIMIT = 16 * 1024;

/** A running scale_reader.py with a line-per-command protocol on stdin/stdout. */
export class ReaderProcess {
  private readonly waiters: Waiter[] = [];
  private readonly pending: string[] = [];
  private stderr = '';
  private ended: Error | null = null;
  private readonly closed: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly label: string,
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
    this.closed = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.ended = new Error(`${label} exited (code ${code}, signal ${signal})\n--- stderr ---\n${this.stderr}`);
        for (const waiter of this.waiters.splice(0)) waiter.reject(this.ended);
        resolve();
      });
    });
    child.once('error', (err) => {
      this.ended = new Error(`${label} could not start: ${err.message}`);
      for (const waiter of this.waiters.splice(0)) waiter.reject(this.ended);
    });
  }

  /** Starts a reader of dataset `name` on url, under `taskset -c core` when core is not null. */
  static start(url: string, name: string, core: number | null, taskset: string | null, label: string): ReaderProcess {
    const script = join(repoRoot(), 'bench', 'py', 'scale_reader.py');
    const command = [venvPython(), script, '--url', url, '--name', name];
    const argv = core === null || taskset === null ? command : [taskset, '-c', String(core), ...command];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    return new ReaderProcess(child, label);
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

  /** Sends one command line; the reply arrives through next(). */
  send(command: string): void {
    if (this.ended) throw this.ended;
    this.child.stdin!.write(`${command}\n`);
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

/** Checks a window reply's shape; the message names the reader and what it sent. */
export function asWindowResult(value: unknown, label: string): WindowResult {
  const v = value as Partial<Record<keyof WindowResult, unknown>> | null;
  const ok = v !== null && typeof v === 'object' && (['bytes', 'rows', 'seconds', 'reads'] as const).every((k) => typeof v[k] === 'number');
  if (!ok || !((v.seconds as number) > 0)) throw new Error(`${label} sent a malformed window result: ${JSON.stringify(value)}`);
  return v as WindowResult;
}
