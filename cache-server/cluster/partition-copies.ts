/**
 * Copies of partitions on shards, made and removed by the coordinator's requests: a shard pulls a
 * copy from the live replicas (`fetch`, so no data passes through the coordinator) and drops one
 * with `drop`. Shared by refill, rebalance, dataset drops and failed puts.
 */
import { encodeTicket } from '../node/ticket.js';
import { liveLocations, type CatalogPartition } from './catalog.js';
import type { ClusterState } from './cluster-state.js';

/** Has the shard at `location` copy `partition` from the partition's live replicas. */
export async function copyPartition(state: ClusterState, partition: CatalogPartition, location: string): Promise<void> {
  const body = JSON.stringify({
    name: partition.storedName,
    sources: liveLocations(partition, state.live),
    ticket: Buffer.from(encodeTicket({ dataset: partition.storedName })).toString('base64'),
  });
  await (await state.peers.get(location)).action('fetch', body, { timeoutMs: 600_000 });
}

/** Has the shard at `location` drop its copy stored as `storedName`. */
export async function dropCopy(state: ClusterState, location: string, storedName: string): Promise<void> {
  await (await state.peers.get(location)).action('drop', storedName, { timeoutMs: 5000 });
}

/** Drops every stored copy of these partitions on live members, best effort (others are cleaned when they return). */
export async function dropCopies(state: ClusterState, partitions: readonly CatalogPartition[]): Promise<void> {
  await Promise.allSettled(
    partitions.flatMap((p) =>
      [...p.stored].map(async (id) => {
        const location = state.live(id);
        if (location !== undefined) await dropCopy(state, location, p.storedName);
      }),
    ),
  );
}
