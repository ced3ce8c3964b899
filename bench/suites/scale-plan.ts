/**
 * Planning for the scale suite: which CPUs may be used, which (servers, readers) configurations
 * to run, and which core each process is pinned to.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { delimiter, join } from 'node:path';

/** One configuration: N servers read by M readers. */
export interface ScaleShape {
  servers: number;
  readers: number;
}

/** Where the processes of one configuration run; null cores mean unpinned. */
export interface Placement {
  serverCores: number[] | null;
  readerCores: number[] | null;
  /** More processes than CPUs: some share a core. */
  oversubscribed: boolean;
}

/** Parses a Linux CPU list such as "0-3,8,10-11" into sorted, distinct CPU numbers. */
export function parseCpuList(text: string): number[] {
  const cpusSeen = new Set<number>();
  for (const part of text.trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) throw new Error(`bad CPU list ${JSON.stringify(text)}: expected items like 3 or 0-7`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) throw new Error(`bad CPU list ${JSON.stringify(text)}: range ${part} runs backwards`);
    for (let cpu = first; cpu <= last; cpu++) cpusSeen.add(cpu);
  }
  return [...cpusSeen].sort((a, b) => a - b);
}

/** The CPUs this process may run on (Cpus_allowed_list), else 0..cores-1 as Node counts them. */
export function allowedCpus(): number[] {
  try {
    const match = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return parseCpuList(match[1]!);
  } catch {
    // Not Linux, or no /proc: fall back to the core count below.
  }
  return cpus().map((_, i) => i);
}

/** The absolute path of an executable on pathEnv (a PATH value), or null. */
export function findExecutable(name: string, pathEnv: string | undefined): string | null {
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return null;
}

/** Parses a comma-separated list of positive integers (an env override) into sorted distinct values. */
export function parseCounts(text: string, what: string): number[] {
  const values = text.split(',').map((item) => item.trim());
  const counts = values.map(Number);
  if (values.some((item) => !/^\d+$/.test(item)) || counts.some((n) => n < 1)) {
    throw new Error(`${what} must be a comma-separated list of positive integers, got ${JSON.stringify(text)}`);
  }
  return [...new Set(counts)].sort((a, b) => a - b);
}

/** 1, 2, 4, ... below max, then max itself: the range 1..max sampled by doubling. */
export function doublingUpTo(max: number): number[] {
  const out: number[] = [];
  for (let n = 1; n < max; n *= 2) out.push(n);
  out.push(Math.max(1, max));
  return out;
}

/**
 * The configurations to run on `cores` CPUs: N in 1..floor(cores/2) and, for each N, M in
 * 1..cores-N (both sampled by doubling), so every process can have its own core. Explicit
 * counts replace either range. One CPU still runs N=1, M=1, sharing the core.
 */
export function planShapes(cores: number, servers?: readonly number[], readers?: readonly number[]): ScaleShape[] {
  const serverCounts = servers ?? doublingUpTo(Math.floor(cores / 2));
  return serverCounts.flatMap((n) => (readers ?? doublingUpTo(cores - n)).map((m) => ({ servers: n, readers: m })));
}

/** Servers on the first N CPUs, readers on the next M, wrapping around when there are too few. */
export function place(shape: ScaleShape, cpuList: readonly number[], pinned: boolean): Placement {
  const oversubscribed = shape.servers + shape.readers > cpuList.length;
  if (!pinned) return { serverCores: null, readerCores: null, oversubscribed };
  const at = (i: number): number => cpuList[i % cpuList.length]!;
  return {
    serverCores: Array.from({ length: shape.servers }, (_, i) => at(i)),
    readerCores: Array.from({ length: shape.readers }, (_, j) => at(shape.servers + j)),
    oversubscribed,
  };
}
