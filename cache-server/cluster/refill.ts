/**
 * Brings a member that has (re)joined in line with the catalog: partitions it should hold and has
 * are marked stored, missing ones are copied to it from a live replica (the shard pulls them with
 * the `fetch` action, so no data passes through the coordinator), and copies that went stale while
 * it was away (dropped, or moved elsewhere) are dropped. Only then does the member serve reads.
 */
import { PARTITION_NAME, liveLocations } from './catalog.js';
import type { ClusterState } from './cluster-state.js';
import type { Member } from './membership.js';
import { copyPartition, dropCopy } from './partition-copies.js';

/** Names of the datasets a shard holds (ListFlights). */
export async function storedOn(state: ClusterState, location: string): Promise<Set<string>> {
  const client = await state.peers.get(location);
  const names = new Set<string>();
  for await (const info of client.listFlights('', { timeoutMs: 5000 })) {
    const name = info.flightDescriptor?.path[0];
    if (name !== undefined) names.add(name);
  }
  return names;
}

/** Refills and cleans one member, then marks it in line; rejects (leaving it out of reads) on failure. */
export async function refill(state: ClusterState, member: Member): Promise<void> {
  const held = await storedOn(state, member.location);
  let copied = 0;
  for (const partition of state.catalog.placedOn(member.id)) {
    if (held.has(partition.storedName)) {
      partition.stored.add(member.id);
      continue;
    }
    partition.stored.delete(member.id);
    if (liveLocations(partition, state.live).length === 0) {
      state.logger.warn({ member: member.id, partition: partition.storedName }, 'no live replica to refill from');
      continue;
    }
    await copyPartition(state, partition, member.location);
    partition.stored.add(member.id);
    copied++;
  }
  let kept = 0;
  for (const name of held) {
    if (!PARTITION_NAME.test(name)) continue;
    const known = state.catalog.partition(name);
    // A copy is stale when the partition was dropped here, or moved off this member while it was away
    // and is live elsewhere. An unknown partition is kept: it may predate this coordinator.
    const stale = known
      ? !known.placement.includes(member.id) && liveLocations(known, state.live).length > 0
      : state.dropped.has(name);
    if (stale) await dropCopy(state, member.location, name);
    else if (!known) kept++;
  }
  state.synced.add(member.id);
  if (kept > 0) state.logger.warn({ member: member.id, kept }, 'member holds partitions this coordinator does not know; kept them');
  state.logger.info({ member: member.id, copied }, 'member in line with the catalog');
}
