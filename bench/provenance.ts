/**
 * What a record needs to be trusted later: the commit it measured, whether tracked files had
 * uncommitted changes, and the machine's load average before and after the run.
 */
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The commit of a working tree and whether its tracked files differ from it; null when not a git checkout. */
export interface SourceState {
  commit: string;
  dirty: boolean;
}

/** The 1, 5 and 15 minute load averages (runnable + uninterruptible tasks, from the kernel). */
export interface LoadAverage {
  one: number;
  five: number;
  fifteen: number;
}

/** The load average now. */
export function currentLoad(): LoadAverage {
  const [one, five, fifteen] = loadavg() as [number, number, number];
  return { one, five, fifteen };
}

/**
 * HEAD of the git checkout at dir, and whether tracked files have uncommitted changes (untracked
 * files do not count: they are not part of what HEAD builds). Null when dir is not in a checkout or
 * git is missing, so a record says "no commit" instead of failing the run.
 */
export async function sourceState(dir: string): Promise<SourceState | null> {
  try {
    const { stdout: head } = await run('git', ['rev-parse', 'HEAD'], { cwd: dir });
    const { stdout: changes } = await run('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: dir });
    return { commit: head.trim(), dirty: changes.trim() !== '' };
  } catch {
    return null;
  }
}
