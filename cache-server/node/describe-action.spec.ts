import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../../client/src/flight/errors.js';
import { DatasetStore } from '../storage/dataset-store.js';
import { ipcMessages, sampleTable } from '../storage/testing/arrow-fixtures.js';
import { NodeActions } from './node-actions.js';

/** A store holding `name` as `batches` batches of the sample table (each batch with its own dictionary). */
function storeWith(name: string, batches: number): DatasetStore {
  const store = new DatasetStore();
  const { schema, messages } = ipcMessages(sampleTable(batches, 4));
  const tx = store.beginPut(name, schema);
  for (const m of messages) tx.appendMessage(m.flatbuffer, m.body, { kind: m.kind, rows: m.rows });
  tx.commit();
  return store;
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

test('describe reports each named dataset held, in the order named, with the shape of every record batch and no data', () => {
  const store = storeWith('part', 3);
  const { schema, messages } = ipcMessages(sampleTable(1, 4));
  const tx = store.beginPut('single', schema);
  for (const m of messages) tx.appendMessage(m.flatbuffer, m.body, { kind: m.kind, rows: m.rows });
  tx.commit();
  const results = [...new NodeActions(store).run({ type: 'describe', body: Buffer.from(JSON.stringify(['single', 'absent', 'part'])) })].map((r) =>
    JSON.parse(Buffer.from(r.body).toString('utf8')),
  );
  const part = store.get('part')!;
  const batches = part.messages.filter((m) => m.kind === 'record_batch');
  assert.deepEqual(results.map((r) => r.name), ['single', 'part']);
  assert.deepEqual(results[1], {
    name: 'part',
    schemaHeader: b64(part.schema.header),
    schemaEncapsulated: b64(part.schema.encapsulated),
    batchRows: [4, 4, 4],
    batchHeaders: batches.map((m) => b64(m.header)),
    batchBytes: batches.map((m) => m.header.byteLength + m.body.byteLength),
    dictionariesChange: true,
  });
  // One dictionary batch for its one record batch: nothing replaced.
  assert.equal(results[0].dictionariesChange, false);
});

test('describe without a JSON array of names is refused with INVALID_ARGUMENT', () => {
  const actions = new NodeActions(storeWith('part', 1));
  for (const body of ['', 'part', '{"names": ["part"]}', '[1]']) {
    assert.throws(() => [...actions.run({ type: 'describe', body: Buffer.from(body) })], {
      code: Code.INVALID_ARGUMENT,
      message: 'describe needs a JSON array of dataset names as its body, e.g. ["a", "b"]',
    });
  }
});
