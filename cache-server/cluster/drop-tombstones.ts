/**
 * The coordinator's side of drop tombstones (node/tombstones.ts): a dataset drop records the
 * dataset's puts on every live shard; a member brought in line first trades tombstones with the
 * coordinator (learns what the member was told, gives it what it lacks), so a restarted coordinator
 * never adopts copies of a dropped put back from a shard that was down when the drop happened.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { logEvent } from '../logger.js';
import { putOfStoredName, type CatalogPartition } from './catalog.js';
import type { ClusterState } from './cluster-state.js';
import type { Member } from './membership.js';
import { dropCopies } from './partition-copies.js';

/** The puts ("dataset#nonce") a dataset's (or a put's) partitions belong to. */
export function putsOf(dataset: { readonly partitions: readonly CatalogPartition[] }): string[] {
  const puts = new Set<string>();
  for (const partition of dataset.partitions) {
    const put = putOfStoredName(partition.storedName);
    if (put) puts.add(`${put.dataset}#${put.nonce}`);
  }
  return [...puts].sort();
}

/** Records `puts` on the member at `location`; a shard too old to keep tombstones is skipped. */
async function tell(state: ClusterState, location: string, puts: readonly string[]): Promise<void> {
  if (puts.length === 0) return;
  try {
    await (await state.peers.get(location)).action('tombstone', JSON.stringify({ puts }), { timeoutMs: 5000 });
  } catch (err) {
    if (!(err instanceof FlightError) || err.code !== Code.UNIMPLEMENTED) throw err;
  }
}

/** Records a dropped dataset's puts here and on every live member (best effort: members that are down get them when they return). */
export async function recordDrop(state: ClusterState, puts: readonly string[]): Promise<void> {
  for (const put of puts) state.tombstones.add(put);
  await Promise.allSettled(state.liveIds().map((id) => tell(state, state.live(id)!, puts)));
}

/** The tombstones the member at `location` holds; none from a shard too old to keep them. */
async function heldBy(state: ClusterState, location: string): Promise<string[]> {
  try {
    const { puts } = await (await state.peers.get(location)).action<{ puts?: unknown }>('tombstones', '', { timeoutMs: 5000 });
    if (!Array.isArray(puts) || !puts.every((p) => typeof p === 'string')) throw new FlightError(Code.INTERNAL, `${location} answered tombstones with a malformed result`);
    return puts as string[];
  } catch (err) {
    if (err instanceof FlightError && err.code === Code.UNIMPLEMENTED) return [];
    throw err;
  }
}

/**
 * Trades tombstones with a member coming up: learns the ones it holds and gives it the ones it
 * lacks. A dataset the catalog already adopted whose every put turns out dropped (adopted from
 * another member before this one told of the drop) is dropped again.
 */
export async function tradeTombstones(state: ClusterState, member: Member): Promise<void> {
  const held = await heldBy(state, member.location);
  const learned = held.filter((put) => !state.tombstones.has(put));
  for (const put of learned) state.tombstones.add(put);
  const have = new Set(held);
  await tell(state, member.location, [...state.tombstones].filter((put) => !have.has(put)).sort());
  if (learned.length === 0) return;
  for (const dataset of state.catalog.list()) {
    const puts = putsOf(dataset);
    if (puts.length === 0 || !puts.every((put) => state.tombstones.has(put))) continue;
    state.catalog.drop(dataset.name);
    for (const partition of dataset.partitions) state.dropped.add(partition.storedName);
    logEvent(state.logger, 'info', 'drop', { dataset: dataset.name, partitions: dataset.partitions.length, tombstonedBy: member.id }, 'adopted dataset was dropped while a shard was down: dropped again');
    await dropCopies(state, dataset.partitions);
  }
}
