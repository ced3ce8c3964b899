/**
 * Test support: real Arrow IPC messages from apache-arrow tables, split the way a DoPut delivers
 * them, and the reverse (a stored snapshot read back as a table).
 */
import { Dictionary, Int32, Message, Table, Utf8, tableFromArrays, tableFromIPC, tableToIPC, vectorFromArray } from 'apache-arrow';
import type { DatasetSnapshot } from '../dataset-store.js';
import type { MessageKind } from '../stored-message.js';

/** One dictionary or record batch message as separate flatbuffer and body. */
export interface FixtureMessage {
  readonly flatbuffer: Uint8Array;
  readonly body: Uint8Array;
  readonly kind: MessageKind;
  readonly rows: number;
}

/**
 * A table with an int32, a float64 and a dictionary-encoded utf8 column, in `batches` record batches
 * each with its own dictionary. The dictionary id is 0 in every sample (apache-arrow would take a
 * new one from its global counter each time), so samples append to one another as the store requires.
 */
export function sampleTable(batches = 2, rowsPerBatch = 3, idColumn = 'id'): Table {
  let table: Table | undefined;
  for (let b = 0; b < batches; b++) {
    const ids = Int32Array.from({ length: rowsPerBatch }, (_, i) => b * rowsPerBatch + i);
    const numbers = tableFromArrays({ [idColumn]: ids, score: Float64Array.from(ids, (id) => id / 2) });
    const labels = vectorFromArray(
      Array.from(ids, (id) => (id % 2 === 0 ? 'even' : 'odd')),
      new Dictionary(new Utf8(), new Int32(), 0),
    );
    const batch = new Table({ [idColumn]: numbers.getChild(idColumn)!, score: numbers.getChild('score')!, label: labels });
    table = table ? table.concat(batch) : batch;
  }
  return table as Table;
}

/** Splits the table's IPC stream into its Schema flatbuffer and the messages after it. */
export function ipcMessages(table: Table): { schema: Uint8Array; messages: FixtureMessage[] } {
  const bytes = tableToIPC(table, 'stream');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let schema: Uint8Array | undefined;
  const messages: FixtureMessage[] = [];
  for (let offset = 0; offset < bytes.length; ) {
    const length = view.getInt32(offset + 4, true);
    if (length === 0) break;
    const flatbuffer = bytes.subarray(offset + 8, offset + 8 + length);
    const message = Message.decode(flatbuffer);
    const bodyStart = offset + 8 + length;
    const body = bytes.subarray(bodyStart, bodyStart + Number(message.bodyLength));
    if (message.isSchema()) schema = flatbuffer;
    else if (message.isRecordBatch()) messages.push({ flatbuffer, body, kind: 'record_batch', rows: message.header().length });
    else if (message.isDictionaryBatch()) messages.push({ flatbuffer, body, kind: 'dictionary_batch', rows: message.header().data.length });
    offset = bodyStart + body.length;
  }
  if (!schema) throw new Error('the IPC stream has no Schema message');
  return { schema, messages };
}

/** Reads a snapshot back as a table from its stored encapsulated messages plus an end-of-stream marker. */
export function tableFromSnapshot(snapshot: DatasetSnapshot): Table {
  const parts = [snapshot.schema.encapsulated, ...snapshot.messages.map((m) => m.encapsulated), Uint8Array.of(255, 255, 255, 255, 0, 0, 0, 0)];
  const stream = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    stream.set(part, offset);
    offset += part.length;
  }
  return tableFromIPC(stream);
}

/** The table's rows as plain objects, for exact comparison. */
export function rowsOf(table: Table): unknown[] {
  return table.toArray().map((row) => ({ ...row.toJSON() }));
}
