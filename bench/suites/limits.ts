/**
 * Physical limits of the machine, measured by bench/py/limits.py: one loopback TCP stream and a
 * single-threaded memcpy, as GB/s. They bound what any contender of the epoch suite can reach.
 */
import { join } from 'node:path';

import { repoRoot, runPython } from '../../test/helpers/python.js';
import { spread, type Spread } from './epoch-results.js';

/** One limit's throughput. */
export interface LimitResult {
  name: string;
  description: string;
  gbps: Spread;
}

/** The limits limits.py measures, in report order, with what each one is. */
export const LIMITS: Readonly<Record<string, string>> = {
  'tcp-loopback': 'one TCP connection over 127.0.0.1, Python sendall -> recv_into (kernel copies only)',
  memcpy: 'numpy.copyto between preallocated arrays, one thread (bytes copied)',
};

interface LimitRun {
  name: string;
  seconds: number;
  bytes: number;
}

/** Groups limits.py runs by limit; GB/s is bytes over seconds in units of 1e9. */
export function aggregateLimits(runs: readonly LimitRun[]): LimitResult[] {
  return Object.entries(LIMITS).flatMap(([name, description]) => {
    const own = runs.filter((run) => run.name === name);
    return own.length > 0 ? [{ name, description, gbps: spread(own.map((run) => run.bytes / run.seconds / 1e9)) }] : [];
  });
}

/** Measures the limits with `mib` MiB per run. */
export async function measureLimits(mib: number, runs: number, warmup: number): Promise<LimitResult[]> {
  const script = join(repoRoot(), 'bench', 'py', 'limits.py');
  const args = ['--mib', String(mib), '--runs', String(runs), '--warmup', String(warmup)];
  const result = await runPython<{ runs: LimitRun[] }>(script, args, { timeoutMs: 10 * 60_000 });
  return aggregateLimits(result.runs);
}
