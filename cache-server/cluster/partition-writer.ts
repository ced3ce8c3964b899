/**
 * Writes one partition of a staged dataset to a shard with DoPut: the schema, the dictionaries its
 * batches need (every dictionary batch stored before its last batch, in order, so replacements and
 * deltas keep their meaning), and its record batches, bodies sent from staging memory as they are.
 */
import { pathDescriptor, type FlightClient } from '../../client/src/flight-client.js';
import type { OutgoingFlightData } from '../../client/src/flight/protocol/messages.js';
import type { DatasetSnapshot } from '../storage/dataset-store.js';

/** The messages of global batches [from, to) of a staged dataset, as DoPut sends them. */
export function* partitionMessages(staged: DatasetSnapshot, from: number, to: number): Generator<OutgoingFlightData> {
  yield { dataHeader: staged.schema.header, body: [], bodyLength: 0 };
  let batch = 0;
  for (const message of staged.messages) {
    if (batch >= to) return;
    if (message.kind === 'record_batch') {
      if (batch >= from) yield { dataHeader: message.header, body: [message.body], bodyLength: message.body.length };
      batch++;
    } else {
      yield { dataHeader: message.header, body: [message.body], bodyLength: message.body.length };
    }
  }
}

/** Stores batches [from, to) of `staged` on a shard as dataset `storedName`; resolves once the shard committed it. */
export async function writePartition(client: FlightClient, storedName: string, staged: DatasetSnapshot, from: number, to: number): Promise<void> {
  await client.doPutRaw(pathDescriptor(storedName), partitionMessages(staged, from, to));
}
