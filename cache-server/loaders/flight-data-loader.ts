/** Loads datasets into a node's store in-process, from Arrow IPC bytes or from outgoing FlightData. */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { parseMessageHeader, readIpcMessages } from '../../client/src/flight/protocol/ipc-message.js';
import type { OutgoingFlightData } from '../../client/src/flight/protocol/messages.js';
import type { DatasetSnapshot, DatasetStore } from '../storage/dataset-store.js';

/**
 * Stores a stream of FlightData (schema first) as dataset `name`, all or nothing. Multi-chunk bodies
 * are gathered straight into the stored region.
 */
export function loadFlightData(store: DatasetStore, name: string, messages: Iterable<OutgoingFlightData>): DatasetSnapshot {
  let tx: ReturnType<DatasetStore['beginPut']> | undefined;
  try {
    for (const message of messages) {
      const info = parseMessageHeader(message.dataHeader);
      if (!tx) {
        if (info.kind !== 'schema') throw new FlightError(Code.INVALID_ARGUMENT, `expected a Schema message first, got ${info.kind}`);
        tx = store.beginPut(name, message.dataHeader);
        continue;
      }
      if (info.kind !== 'record_batch' && info.kind !== 'dictionary_batch') {
        throw new FlightError(Code.INVALID_ARGUMENT, `cannot store ${info.kind} messages`);
      }
      const body = tx.allocateMessage(message.dataHeader, message.bodyLength);
      let offset = 0;
      for (const chunk of message.body) {
        body.set(chunk, offset);
        offset += chunk.length;
      }
      tx.append(body, { kind: info.kind, rows: info.rows });
    }
    if (!tx) throw new FlightError(Code.INVALID_ARGUMENT, 'no Schema message');
    tx.commit();
    return store.get(name)!;
  } catch (err) {
    tx?.abort();
    throw err;
  }
}

/** Stores an Arrow IPC file or stream held in memory as dataset `name`. */
export function loadIpcBytes(store: DatasetStore, name: string, bytes: Uint8Array): DatasetSnapshot {
  const ipc = readIpcMessages(bytes);
  return loadFlightData(store, name, [
    { dataHeader: ipc.schema, body: [], bodyLength: 0 },
    ...ipc.messages.map((m) => ({ dataHeader: m.header, body: [m.body], bodyLength: m.body.length })),
  ]);
}
