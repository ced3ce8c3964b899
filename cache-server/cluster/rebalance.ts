/**
 * Moves partitions when the membership grows: each partition's placement is recomputed by
 * rendezvous hashing over every known member, so a new member takes about 1/N of them. A moved
 * partition is copied to its new holders first (the shard pulls it with `fetch`), then the catalog
 * switches to the new placement, and only after a grace period is the old copy dropped, so readers
 * that were streaming it finish or fail over. Partitions whose new holders are not live are left
 * where they are and tried again on the next rebalance.
 */
import { liveLocations } from './catalog.js';
import type { ClusterState } from './cluster-state.js';
import { copyPartition, dropCopy } from './partition-copies.js';
import { placeReplicas } from './placement.js';

/** How long an old copy keeps serving readers after its partition moved. */
const DROP_GRACE_MS = 5000;

/** Whether two placements name the same members. */
function samePlacement(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}

/** Rebalances every partition over the current members; resolves with how many moved. */
export async function rebalance(state: ClusterState): Promise<number> {
  const members = state.membership.list().map((m) => m.id);
  let moved = 0;
  for (const dataset of state.catalog.list()) {
    for (const partition of dataset.partitions) {
      const wanted = placeReplicas(`${dataset.name}/${partition.storedName}`, members, Math.min(state.replicas, members.length));
      if (samePlacement(wanted, partition.placement)) continue;
      const added = wanted.filter((id) => !partition.stored.has(id));
      if (added.some((id) => state.live(id) === undefined) || liveLocations(partition, state.live).length === 0) continue;
      for (const id of added) {
        await copyPartition(state, partition, state.live(id)!);
        partition.stored.add(id);
      }
      const removed = partition.placement.filter((id) => !wanted.includes(id));
      partition.placement = wanted;
      for (const id of removed) {
        partition.stored.delete(id);
        const location = state.live(id);
        if (location === undefined) continue;
        setTimeout(() => {
          // A rebalance back to this member in the meantime keeps the copy.
          if (partition.placement.includes(id) || state.catalog.get(dataset.name)?.partitions.includes(partition) !== true) return;
          dropCopy(state, location, partition.storedName).catch((err: unknown) => state.logger.warn({ member: id, partition: partition.storedName, err: String(err) }, 'drop after move failed'));
        }, DROP_GRACE_MS).unref();
      }
      moved++;
    }
  }
  if (moved > 0) state.logger.info({ moved, members: members.length }, 'partitions rebalanced');
  return moved;
}
