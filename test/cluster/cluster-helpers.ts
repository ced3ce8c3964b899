/** Shared pieces of the cluster tests: starting clusters as real processes, data with an id column, stats. */
import { join } from 'node:path';
import { Table, vectorFromArray, type RecordBatch } from 'apache-arrow';
import { startProcess, type StartedProcess } from '../helpers/process.js';
import { repoRoot } from '../helpers/python.js';
import type { FlightClient } from '../../client/src/flight-client.js';
import type { ClusterStats } from '../../cache-server/cluster/cluster-actions.js';

export const CLI = join(repoRoot(), 'dist', 'cache-server', 'cli', 'main.js');
const READY = /^flightcache ready (grpc:\/\/\S+)$/;

/** Starts `flightcache ARGS...` and waits for its ready line. */
export function startCli(args: readonly string[]): Promise<StartedProcess> {
  return startProcess(process.execPath, [CLI, ...args], READY, { env: { ...process.env, FLIGHTCACHE_LOG_LEVEL: 'warn' }, timeoutMs: 60_000 });
}

/** `batches` batches of `rows` rows: id = global row number, value = id * 0.5. */
export function idBatches(batches: number, rows: number): RecordBatch[] {
  return Array.from({ length: batches }, (_, b) => {
    const ids = Int32Array.from({ length: rows }, (_, i) => b * rows + i);
    return new Table({ id: vectorFromArray(ids), value: vectorFromArray(Float64Array.from(ids, (id) => id * 0.5)) }).batches[0]!;
  });
}

/** The coordinator's stats. */
export function clusterStats(client: FlightClient): Promise<ClusterStats> {
  return client.action<ClusterStats>('stats');
}

/** Polls `check` every 100 ms until it returns a value, or throws after `timeoutMs` with the last state. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Sorted ids of a list of batches. */
export function sortedIds(batches: readonly RecordBatch[]): number[] {
  return batches.flatMap((b) => Array.from(b.getChild('id')!, Number)).sort((a, b) => a - b);
}
