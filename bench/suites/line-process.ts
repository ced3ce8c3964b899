/**
 * A child process spoken to one command line at a time, answering each with one JSON line on
 * stdout: the parent's side of the Python readers of the scale and cluster suites.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

interface Waiter {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

const STDERR_LIMIT = 16 * 1024;

/** A running line-protocol process. */
export class LineProcess {
  private readonly waiters: Waiter[] = [];
  private readonly pending: string[] = [];
  private stderr = '';
  private ended: Error | null = null;
  private readonly closed: Promise<void>;

  protected constructor(
    private readonly child: ChildProcess,
    readonly label: string,
  ) {
    // A write to a process that has died fails with EPIPE; its exit is reported through 'close' instead.
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

  /** Spawns argv with piped stdio. */
  protected static spawnArgv(argv: readonly string[]): ChildProcess {
    return spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  }

  private settle(waiter: Waiter, line: string): void {
    try {
      waiter.resolve(JSON.parse(line));
    } catch {
      waiter.reject(new Error(`${this.label} printed a line that is not JSON: ${line}`));
    }
  }

  /** The next JSON line, or an error with the process's stderr when it exits or times out first. */
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

  /** Sends one command line and waits for its reply. */
  ask(command: string, timeoutMs: number): Promise<unknown> {
    if (this.ended) return Promise.reject(this.ended);
    this.child.stdin!.write(`${command}\n`);
    return this.next(timeoutMs);
  }

  /** Asks the process to quit and waits for it; SIGKILL after graceMs. */
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
