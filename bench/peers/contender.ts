/** What the epoch suite knows about a contender before starting it, and how its worker is started. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

import { repoRoot } from '../../test/helpers/python.js';
import type { WorkerCommand } from './worker.js';

/** A contender: a data source plus the client that reads it, run as a worker process. */
export interface ContenderPlan {
  /** Stable id used in the JSON output and by --only, e.g. "flightcache-pyarrow". */
  name: string;
  /** One line for the report: the source and the client. */
  description: string;
  command: WorkerCommand;
}

/** Worker option values, rendered as `--key value` pairs in insertion order. */
export type WorkerOptions = Record<string, string | number>;

function optionArgs(options: WorkerOptions): string[] {
  return Object.entries(options).flatMap(([key, value]) => [`--${key}`, String(value)]);
}

/** The command of a bench/py/epoch_worker.py worker of one kind. */
export function pythonWorker(python: string, kind: string, options: WorkerOptions, env?: NodeJS.ProcessEnv): WorkerCommand {
  const command: WorkerCommand = {
    command: python,
    args: [join(repoRoot(), 'bench', 'py', 'epoch_worker.py'), kind, ...optionArgs(options)],
  };
  if (env) command.env = env;
  return command;
}

/** The command of a compiled bench/peers/node-worker.js worker of one kind. */
export function nodeWorker(kind: string, options: WorkerOptions): WorkerCommand {
  return {
    command: process.execPath,
    args: [join(repoRoot(), 'dist', 'bench', 'peers', 'node-worker.js'), kind, ...optionArgs(options)],
  };
}

/**
 * Why `python` cannot import `modules` (the last line of its error), or undefined when it can.
 * Optional peers are skipped with this reason instead of failing the suite.
 */
export function pythonImportProblem(python: string, modules: readonly string[], timeoutMs = 120_000): Promise<string | undefined> {
  const code = modules.map((name) => `import ${name}`).join('; ');
  return new Promise((resolve) => {
    execFile(python, ['-c', code], { timeout: timeoutMs }, (err, _stdout, stderr) => {
      if (!err) return resolve(undefined);
      const lines = stderr.trim().split('\n');
      resolve(`${python} cannot ${code}: ${lines[lines.length - 1] || err.message}`);
    });
  });
}
