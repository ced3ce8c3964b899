/**
 * A long-lived contender process of the epoch suite. It speaks a line protocol: after its set-up it
 * prints {"ready": true, ...}; each `run` line on its stdin makes it read one full epoch and print
 * {"seconds", "rows", "bytes", "batches", "checksum"}; `exit` (or end of stdin) stops it.
 * Implemented by bench/py/epoch_worker.py and bench/peers/node-worker.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** How to start a worker process. */
export interface WorkerCommand {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** One epoch as a worker measured it. */
export interface EpochRun {
  seconds: number;
  rows: number;
  /** Arrow buffer bytes the consumer counted. */
  bytes: number;
  batches: number;
  /** Sum of every column's values as uint32 words, mod 2**32. */
  checksum: number;
  /** CPU seconds of the worker's process tree during the epoch, when the worker measures it. */
  cpuSeconds?: number;
}

/** A parsed protocol line. */
export type WorkerMessage = { kind: 'ready' } | { kind: 'run'; run: EpochRun } | { kind: 'error'; message: string };

const RUN_FIELDS = ['seconds', 'rows', 'bytes', 'batches', 'checksum'] as const;
const STDERR_LIMIT = 64 * 1024;

/** Parses one protocol line; throws on anything that is not a ready, run or error message. */
export function parseWorkerLine(line: string): WorkerMessage {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error(`worker printed a line that is not JSON: ${line.slice(0, 200)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`worker printed a non-object: ${line.slice(0, 200)}`);
  const record = value as Record<string, unknown>;
  if (record['ready'] === true) return { kind: 'ready' };
  if (typeof record['error'] === 'string') return { kind: 'error', message: record['error'] };
  const run: Partial<Record<(typeof RUN_FIELDS)[number], number>> = {};
  for (const field of RUN_FIELDS) {
    const n = record[field];
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new Error(`worker result has no valid "${field}": ${line.slice(0, 200)}`);
    run[field] = n;
  }
  const cpu = record['cpuSeconds'];
  if (cpu === undefined) return { kind: 'run', run: run as EpochRun };
  if (typeof cpu !== 'number' || !Number.isFinite(cpu) || cpu < 0) throw new Error(`worker result has an invalid "cpuSeconds": ${line.slice(0, 200)}`);
  return { kind: 'run', run: { ...(run as EpochRun), cpuSeconds: cpu } };
}

interface Waiter {
  resolve(message: WorkerMessage): void;
  reject(err: Error): void;
}

/** A started worker whose ready line has been seen. */
export class EpochWorker {
  private readonly waiters: Waiter[] = [];
  private stderr = '';
  private failure: Error | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_LIMIT);
    });
    // A worker that dies mid-epoch must not crash the harness on EPIPE; the exit below reports it.
    child.stdin!.on('error', () => {});
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const waiter = this.waiters.shift();
      if (!waiter) return;
      try {
        waiter.resolve(parseWorkerLine(line));
      } catch (err) {
        waiter.reject(err as Error);
      }
    });
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.failure = new Error(`${name} exited (code ${code}, signal ${signal})\n--- stderr ---\n${this.stderr}`);
        for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
        resolve();
      });
    });
    child.once('error', (err) => {
      this.failure = new Error(`${name} could not start: ${err.message}`);
      for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
    });
  }

  /** Spawns the worker and waits for its ready line (set-up time is never measured). */
  static async start(name: string, command: WorkerCommand, readyTimeoutMs: number): Promise<EpochWorker> {
    const child = spawn(command.command, command.args, { stdio: ['pipe', 'pipe', 'pipe'], env: command.env ?? process.env });
    const worker = new EpochWorker(name, child);
    try {
      const message = await worker.next(readyTimeoutMs, 'its ready line');
      if (message.kind !== 'ready') throw new Error(`${name} answered ${JSON.stringify(message)} instead of its ready line`);
      return worker;
    } catch (err) {
      await worker.close(1_000);
      throw err;
    }
  }

  /** Reads one epoch; rejects with the worker's stderr when it fails or dies. */
  async run(timeoutMs: number): Promise<EpochRun> {
    if (this.failure) throw this.failure;
    const answer = this.next(timeoutMs, 'an epoch');
    this.child.stdin!.write('run\n');
    const message = await answer;
    if (message.kind === 'error') throw new Error(`${this.name}: ${message.message}`);
    if (message.kind !== 'run') throw new Error(`${this.name} answered ${message.kind} to run`);
    return message.run;
  }

  /** Asks the worker to exit, then SIGTERM and SIGKILL if it takes longer than graceMs each. */
  async close(graceMs = 15_000): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.stdin!.end('exit\n');
      const term = setTimeout(() => this.child.kill('SIGTERM'), graceMs);
      const kill = setTimeout(() => this.child.kill('SIGKILL'), 2 * graceMs);
      try {
        await this.exited;
      } finally {
        clearTimeout(term);
        clearTimeout(kill);
      }
    }
  }

  private next(timeoutMs: number, what: string): Promise<WorkerMessage> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${this.name} sent no ${what} within ${timeoutMs} ms\n--- stderr ---\n${this.stderr}`));
        this.child.kill('SIGKILL');
      }, timeoutMs);
      this.waiters.push({
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
    });
  }
}
