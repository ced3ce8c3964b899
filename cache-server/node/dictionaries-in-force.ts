/**
 * Which dictionary batches each record batch of a stored dataset is decoded with: per record batch,
 * by dictionary id, the id's last replacement and the deltas after it, in stored order.
 */
import { parseMessageHeader } from '../../client/src/flight/protocol/ipc-message.js';
import type { DatasetSnapshot } from '../storage/dataset-store.js';
import type { StoredMessage } from '../storage/stored-message.js';

const inForce = new WeakMap<DatasetSnapshot, ReadonlyArray<ReadonlyMap<bigint, readonly StoredMessage[]>>>();

/**
 * For each record batch, the dictionary batches in force when it was stored, by id: the id's last
 * replacement and the deltas after it, in stored order. Computed once per snapshot.
 */
export function dictionariesInForce(dataset: DatasetSnapshot): ReadonlyArray<ReadonlyMap<bigint, readonly StoredMessage[]>> {
  let perBatch = inForce.get(dataset);
  if (!perBatch) {
    const out: Array<ReadonlyMap<bigint, readonly StoredMessage[]>> = [];
    let current = new Map<bigint, readonly StoredMessage[]>();
    let changed = false;
    for (const message of dataset.messages) {
      if (message.kind === 'record_batch') {
        out.push(current);
        changed = false;
        continue;
      }
      // Copy on the first change after a batch took the map, so batches share unchanged maps.
      if (!changed) current = new Map(current);
      changed = true;
      const { dictionaryId, isDelta } = parseMessageHeader(message.header);
      const id = dictionaryId ?? 0n;
      current.set(id, isDelta ? [...(current.get(id) ?? []), message] : [message]);
    }
    perBatch = out;
    inForce.set(dataset, perBatch);
  }
  return perBatch;
}
