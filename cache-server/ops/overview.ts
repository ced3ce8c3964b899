/**
 * The JSON the dashboard page polls (`/overview`): members, datasets with their tier, replication
 * and load progress, memory, gRPC traffic totals (the page turns them into rates) and recent errors.
 * A node describes itself; a coordinator adds what its members say of themselves (cluster-overview.ts).
 */
import type { NodeStats } from '../node/node-actions.js';
import type { RecentError, Traffic } from './metrics.js';

/** Where a process keeps stored data: shared-memory segments (same-host readers) or private memory. */
export type Tier = 'shared' | 'private';

/** One member of a cluster as the dashboard shows it; the fields from its own stats are absent while it does not answer. */
export interface MemberOverview {
  id: string;
  location: string;
  state: 'up' | 'down';
  live: boolean;
  tier?: Tier;
  usedBytes?: number;
  limitBytes?: number | null;
  datasets?: number;
}

/** One dataset as the dashboard shows it. */
export interface DatasetOverview {
  name: string;
  rows: number;
  bytes: number;
  /** The tiers of the processes holding it. */
  tiers: Tier[];
  /** stored (a node), or healthy, degraded or lost (a coordinator). */
  status: string;
  partitions: number;
  degraded: number;
  lost: number;
  /** The latest load of this name, running or finished. */
  load?: { state: string; rows: number; bytes: number; bytesTotal: number; files: number; filesTotal: number };
}

/** What the dashboard page polls. */
export interface Overview {
  role: 'node' | 'coordinator';
  /** Milliseconds since the epoch, when it was taken. */
  time: number;
  members: MemberOverview[];
  datasets: DatasetOverview[];
  /** Memory of every process answering (a coordinator: itself and its members). */
  memory: { usedBytes: number; limitBytes: number | null; rssBytes: number };
  /** gRPC bytes since start, summed over the processes answering. */
  traffic: Traffic;
  errors: RecentError[];
}

/** The tier a node stores in. */
export function tierOf(stats: NodeStats): Tier {
  return stats.sameHost ? 'shared' : 'private';
}

/** The latest load of each dataset name (stats list running loads first, then the newest finished). */
export function latestLoads(stats: NodeStats): Map<string, DatasetOverview['load']> {
  const loads = new Map<string, DatasetOverview['load']>();
  for (const { name, state, rows, bytes, bytesTotal, files, filesTotal } of stats.loads) {
    if (!loads.has(name)) loads.set(name, { state, rows, bytes, bytesTotal, files, filesTotal });
  }
  return loads;
}

/** A single node's overview. */
export function nodeOverview(stats: NodeStats, traffic: Traffic, errors: RecentError[]): Overview {
  const loads = latestLoads(stats);
  const names = new Set([...stats.datasets.map((d) => d.name), ...loads.keys()]);
  const stored = new Map(stats.datasets.map((d) => [d.name, d]));
  return {
    role: 'node',
    time: Date.now(),
    members: [],
    datasets: [...names].sort().map((name) => {
      const dataset = stored.get(name);
      const load = loads.get(name);
      return {
        name,
        rows: dataset?.rows ?? 0,
        bytes: dataset?.bytes ?? 0,
        tiers: dataset ? [tierOf(stats)] : [],
        status: dataset ? 'stored' : 'loading',
        partitions: dataset ? 1 : 0,
        degraded: 0,
        lost: 0,
        ...(load ? { load } : {}),
      };
    }),
    memory: { usedBytes: stats.memory.usedBytes, limitBytes: stats.memory.limitBytes, rssBytes: stats.memory.rssBytes },
    traffic,
    errors,
  };
}
