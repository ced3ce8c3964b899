/**
 * Starts a server process for a test, waits for its ready line on stdout and stops it again.
 * Stderr is kept so that a failed start or a crash explains itself in the assertion message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';

/** How a process ended: its exit code, or the signal that killed it. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A started process whose ready line has been seen. */
export interface StartedProcess {
  /** The ready regex's first capture group (the whole match when it has none). */
  url: string;
  child: ChildProcess;
  pid: number;
  /** Resolves when the process exits, however that happens. */
  exited: Promise<ExitStatus>;
  /** Everything written to stderr so far (the last 64 KiB). */
  stderr(): string;
  /** SIGTERM, then SIGKILL after graceMs; resolves with how the process ended. */
  stop(graceMs?: number): Promise<ExitStatus>;
}

/** Options for startProcess. */
export interface StartOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const STDERR_LIMIT = 64 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_GRACE_MS = 5_000;

/** Spawns cmd and resolves once a stdout line matches readyRegex; rejects on early exit or timeout. */
export function startProcess(
  cmd: string,
  args: readonly string[],
  readyRegex: RegExp,
  options: StartOptions = {},
): Promise<StartedProcess> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env, cwd: options.cwd });
  let stderr = '';
  const stdoutLines: string[] = [];
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_LIMIT);
  });
  // 'close' rather than 'exit': it waits for stdio to drain, so stderr is complete by then.
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const describe = (what: string): string =>
    `${cmd} ${args.join(' ')}: ${what}\n--- stdout ---\n${stdoutLines.join('\n')}\n--- stderr ---\n${stderr}`;

  const stop = async (graceMs = DEFAULT_GRACE_MS): Promise<ExitStatus> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return exited;
  };

  return new Promise<StartedProcess>((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(describe(`no line matching ${readyRegex} within ${timeoutMs} ms`)));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(describe(`could not start: ${err.message}`)));
    });
    void exited.then(({ code, signal }) => {
      if (ready) return;
      clearTimeout(timer);
      reject(new Error(describe(`exited (code ${code}, signal ${signal}) before it was ready`)));
    });
    // Keep reading stdout after the ready line so a chatty child never blocks on a full pipe.
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (stdoutLines.length < 200) stdoutLines.push(line);
      if (ready) return;
      const match = readyRegex.exec(line);
      if (!match) return;
      ready = true;
      clearTimeout(timer);
      resolve({ url: match[1] ?? match[0], child, pid: child.pid!, exited, stderr: () => stderr, stop });
    });
  });
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
