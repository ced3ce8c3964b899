/**
 * A coordinator's dashboard overview (ops/overview.ts): its catalog and members, with what each live
 * member says of itself (`stats` action: tier, memory, traffic) gathered at each poll. A member that
 * does not answer within a second is shown without those.
 */
import type { NodeStats } from '../node/node-actions.js';
import type { ClusterStats } from './cluster-actions.js';
import type { ClusterState } from './cluster-state.js';
import type { RecentError, Traffic } from '../ops/metrics.js';
import { latestLoads, tierOf, type DatasetOverview, type Overview, type Tier } from '../ops/overview.js';

/** How long a poll waits for a member's stats. */
const MEMBER_TIMEOUT_MS = 1000;

/** The member's own stats, or undefined when it is down or does not answer in time. */
async function memberStats(state: ClusterState, location: string): Promise<NodeStats | undefined> {
  try {
    return await (await state.peers.get(location)).action<NodeStats>('stats', '', { timeoutMs: MEMBER_TIMEOUT_MS });
  } catch {
    return undefined;
  }
}

/** The cluster's overview, from the coordinator's stats and its own traffic and errors. */
export async function clusterOverview(state: ClusterState, stats: ClusterStats, traffic: Traffic, errors: RecentError[]): Promise<Overview> {
  const answers = await Promise.all(stats.members.map((m) => (m.state === 'up' ? memberStats(state, m.location) : Promise.resolve(undefined))));
  const tiers = new Map<string, Tier>();
  const memory = { ...stats.memory };
  const total = { ...traffic };
  const members = stats.members.map((m, i) => {
    const own = answers[i];
    if (!own) return { id: m.id, location: m.location, state: m.state, live: m.live };
    tiers.set(m.id, tierOf(own));
    memory.usedBytes += own.memory.usedBytes;
    memory.rssBytes += own.memory.rssBytes;
    memory.limitBytes = memory.limitBytes === null || own.memory.limitBytes === null ? null : memory.limitBytes + own.memory.limitBytes;
    total.sentBytes += own.traffic?.sentBytes ?? 0;
    total.receivedBytes += own.traffic?.receivedBytes ?? 0;
    return { id: m.id, location: m.location, state: m.state, live: m.live, tier: tierOf(own), usedBytes: own.memory.usedBytes, limitBytes: own.memory.limitBytes, datasets: own.datasets.length };
  });
  const loads = latestLoads(stats);
  const datasets = stats.datasets.map((d): DatasetOverview => {
    const holders = new Set(state.catalog.get(d.name)?.partitions.flatMap((p) => p.placement) ?? []);
    const load = loads.get(d.name);
    return {
      name: d.name,
      rows: d.rows,
      bytes: d.bytes,
      tiers: [...new Set([...holders].flatMap((id) => tiers.get(id) ?? []))].sort(),
      status: d.status,
      partitions: d.partitions,
      degraded: d.degraded.length,
      lost: d.lost.length,
      ...(load ? { load } : {}),
    };
  });
  const listed = new Set(datasets.map((d) => d.name));
  for (const [name, load] of loads) {
    if (!listed.has(name) && load) datasets.push({ name, rows: 0, bytes: 0, tiers: [], status: 'loading', partitions: 0, degraded: 0, lost: 0, load });
  }
  return { role: 'coordinator', time: Date.now(), members, datasets, memory, traffic: total, errors };
}
