/**
 * The parent's side of bench/py/scale_reader.py: starts one reader process (pinned to a core when
 * asked), and exchanges one command line for one JSON reply line with it.
 */
import { join } from 'node:path';
import { LineProcess } from './line-process.js';

import { repoRoot, venvPython } from '../../test/helpers/python.js';

/** What a reader reports for one timed window. */
export interface WindowResult {
  bytes: number;
  rows: number;
  seconds: number;
  reads: number;
}

/** A running scale_reader.py. */
export class ReaderProcess extends LineProcess {
  /** Starts a reader of dataset `name` on url, under `taskset -c core` when core is not null. */
  static start(url: string, name: string, core: number | null, taskset: string | null, label: string): ReaderProcess {
    const script = join(repoRoot(), 'bench', 'py', 'scale_reader.py');
    const command = [venvPython(), script, '--url', url, '--name', name];
    const argv = core === null || taskset === null ? command : [taskset, '-c', String(core), ...command];
    return new ReaderProcess(LineProcess.spawnArgv(argv), label);
  }
}

/** Checks a window reply's shape; the message names the reader and what it sent. */
export function asWindowResult(value: unknown, label: string): WindowResult {
  const v = value as Partial<Record<keyof WindowResult, unknown>> | null;
  const ok = v !== null && typeof v === 'object' && (['bytes', 'rows', 'seconds', 'reads'] as const).every((k) => typeof v[k] === 'number');
  if (!ok || !((v.seconds as number) > 0)) throw new Error(`${label} sent a malformed window result: ${JSON.stringify(value)}`);
  return v as WindowResult;
}
