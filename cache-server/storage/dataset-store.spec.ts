import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Dictionary, Int32, Message, Schema, Utf8, type Table } from 'apache-arrow';
import { alignmentOf } from '../../native/lib/addon.js';
import { Code } from '../../client/src/flight/errors.js';
import { firstSchemaDifference } from '../../client/src/flight/protocol/schema-compare.js';
import { NativeAllocator } from './allocator.js';
import { DatasetStore, type DatasetSnapshot } from './dataset-store.js';
import { ipcMessages, rowsOf, sampleTable, tableFromSnapshot } from './testing/arrow-fixtures.js';

/** The Schema message of sampleTable with its dictionary numbered `id` instead of 0. */
function sampleSchemaWithDictionaryId(id: number): Uint8Array {
  const fields = sampleTable(1, 1).schema.fields.map((f) => (f.name === 'label' ? f.clone({ type: new Dictionary(new Utf8(), new Int32(), id) }) : f));
  return Message.encode(Message.from(new Schema(fields)));
}

const DICTIONARY_ID_5 =
  'dictionary ids differ: field "label" uses id 5 in the new data, 0 in the dataset; ' +
  "send the dictionary ids of the dataset's schema (GetSchema) or number dictionaries 0..n-1 in field order as Arrow C++ does";

function putTable(store: DatasetStore, name: string, table: Table): DatasetSnapshot {
  const { schema, messages } = ipcMessages(table);
  const tx = store.beginPut(name, schema);
  for (const m of messages) tx.appendMessage(m.flatbuffer, m.body, { kind: m.kind, rows: m.rows });
  return tx.commit();
}

describe('DatasetStore puts', () => {
  it('commits a dataset whose stored messages read back as the same table', () => {
    const store = new DatasetStore();
    const table = sampleTable(2, 3);
    const snapshot = putTable(store, 'train', table);
    // Each batch of the sample table has its own dictionary, sent just before it.
    assert.deepEqual(snapshot.messages.map((m) => m.kind), ['dictionary_batch', 'record_batch', 'dictionary_batch', 'record_batch']);
    assert.equal(snapshot.rows, 6);
    assert.equal(snapshot.batchCount, 2);
    assert.deepEqual(rowsOf(tableFromSnapshot(snapshot)), rowsOf(table));
    assert.equal(store.get('train'), snapshot);
  });

  it('stores every body 64-byte aligned in memory', () => {
    const snapshot = putTable(new DatasetStore(), 'train', sampleTable(3, 5));
    for (const message of snapshot.messages) assert.ok(alignmentOf(message.body) >= 64);
  });

  it('charges the dataset its regions exactly, schema included', () => {
    const allocator = new NativeAllocator();
    const snapshot = putTable(new DatasetStore({ allocator }), 'train', sampleTable());
    const regions = [snapshot.schema, ...snapshot.messages].reduce((sum, m) => sum + m.encapsulated.length, 0);
    assert.equal(snapshot.bytes, regions);
    assert.equal(allocator.usedBytes, regions);
  });

  it('appends a second put after the messages already stored', () => {
    const store = new DatasetStore();
    const first = sampleTable(1, 4);
    const second = sampleTable(2, 2);
    putTable(store, 'train', first);
    const snapshot = putTable(store, 'train', second);
    assert.equal(snapshot.rows, 8);
    assert.equal(snapshot.batchCount, 3);
    assert.deepEqual(snapshot.messages.map((m) => m.kind), [
      'dictionary_batch', 'record_batch',
      'dictionary_batch', 'record_batch', 'dictionary_batch', 'record_batch',
    ]);
  });

  it('lands a body allocated by allocateMessage without copying it', () => {
    const store = new DatasetStore();
    const { schema, messages } = ipcMessages(sampleTable(1, 3));
    const tx = store.beginPut('train', schema);
    const bodies = messages.map((m) => {
      const body = tx.allocateMessage(m.flatbuffer, m.body.length);
      body.set(m.body);
      return body;
    });
    messages.forEach((m, i) => tx.append(bodies[i]!, { kind: m.kind, rows: m.rows }));
    const snapshot = tx.commit();
    snapshot.messages.forEach((m, i) => assert.equal(m.body, bodies[i]));
  });

  it('refuses a put whose schema differs at beginPut with the comparator message unchanged', () => {
    const store = new DatasetStore();
    putTable(store, 'train', sampleTable());
    const other = ipcMessages(sampleTable(1, 1, 'key')).schema;
    const expected = firstSchemaDifference(store.get('train')!.schema.header, other);
    assert.equal(typeof expected, 'string');
    assert.throws(() => store.beginPut('train', other), { code: Code.INVALID_ARGUMENT, message: expected });
  });

  it('asks an injected comparator with the stored and the incoming schema', () => {
    const calls: [Uint8Array, Uint8Array][] = [];
    const store = new DatasetStore({
      compareSchemas: (existing, incoming) => {
        calls.push([existing, incoming]);
        return 'field #1 differs: injected';
      },
    });
    const snapshot = putTable(store, 'train', sampleTable());
    const incoming = Uint8Array.of(1, 2, 3, 4);
    assert.throws(() => store.beginPut('train', incoming), { code: Code.INVALID_ARGUMENT, message: 'field #1 differs: injected' });
    assert.deepEqual(calls, [[snapshot.schema.header, incoming]]);
  });

  it('refuses a put whose dictionary ids differ from the dataset\'s at beginPut, leaving the dataset as it was', () => {
    const store = new DatasetStore();
    const stored = putTable(store, 'train', sampleTable());
    assert.throws(() => store.beginPut('train', sampleSchemaWithDictionaryId(5)), { code: Code.INVALID_ARGUMENT, message: DICTIONARY_ID_5 });
    assert.equal(store.get('train'), stored);
  });

  it('fails the second of two puts to a new name at commit when the dictionary ids differ, releasing its memory', () => {
    const allocator = new NativeAllocator();
    const store = new DatasetStore({ allocator });
    const a = ipcMessages(sampleTable(1, 2));
    const txA = store.beginPut('new', a.schema);
    const txB = store.beginPut('new', sampleSchemaWithDictionaryId(5));
    for (const m of a.messages) txA.appendMessage(m.flatbuffer, m.body, { kind: m.kind, rows: m.rows });
    const first = txA.commit();
    assert.throws(() => txB.commit(), { code: Code.INVALID_ARGUMENT, message: DICTIONARY_ID_5 });
    assert.equal(allocator.usedBytes, first.bytes);
    assert.equal(store.get('new'), first);
  });

  it('asks an injected dictionary id comparator only once the schema comparator accepts', () => {
    const calls: [Uint8Array, Uint8Array][] = [];
    let schemasMatch = false;
    const store = new DatasetStore({
      compareSchemas: () => (schemasMatch ? undefined : 'field #1 differs: injected'),
      compareDictionaryIds: (existing, incoming) => {
        calls.push([existing, incoming]);
        return 'dictionary ids differ: injected';
      },
    });
    const snapshot = putTable(store, 'train', sampleTable());
    const incoming = Uint8Array.of(1, 2, 3, 4);
    assert.throws(() => store.beginPut('train', incoming), { code: Code.INVALID_ARGUMENT, message: 'field #1 differs: injected' });
    assert.deepEqual(calls, []);
    schemasMatch = true;
    assert.throws(() => store.beginPut('train', incoming), { code: Code.INVALID_ARGUMENT, message: 'dictionary ids differ: injected' });
    assert.deepEqual(calls, [[snapshot.schema.header, incoming]]);
  });

  it('lets the second of two puts to a new name append when the schemas match', () => {
    const store = new DatasetStore();
    const a = ipcMessages(sampleTable(1, 2));
    const b = ipcMessages(sampleTable(1, 5));
    const txA = store.beginPut('new', a.schema);
    const txB = store.beginPut('new', b.schema);
    for (const m of b.messages) txB.appendMessage(m.flatbuffer, m.body, { kind: m.kind, rows: m.rows });
    for (const m of a.messages) txA.appendMessage(m.flatbuffer, m.body, { kind: m.kind, rows: m.rows });
    txB.commit();
    const snapshot = txA.commit();
    assert.equal(snapshot.rows, 7);
    assert.equal(snapshot.schema.header.length, b.schema.length);
  });

  it('fails the second of two puts to a new name at commit when the schemas differ, releasing its memory', () => {
    const allocator = new NativeAllocator();
    const store = new DatasetStore({ allocator });
    const a = ipcMessages(sampleTable(1, 2));
    const b = ipcMessages(sampleTable(1, 2, 'key'));
    const txA = store.beginPut('new', a.schema);
    const txB = store.beginPut('new', b.schema);
    for (const m of b.messages) txB.appendMessage(m.flatbuffer, m.body, { kind: m.kind, rows: m.rows });
    const first = txA.commit();
    const expected = firstSchemaDifference(a.schema, b.schema);
    assert.throws(() => txB.commit(), { code: Code.INVALID_ARGUMENT, message: expected });
    assert.equal(allocator.usedBytes, first.bytes);
    assert.equal(store.get('new'), first);
  });
});

describe('DatasetStore memory', () => {
  it('returns every byte of an aborted put to the budget', () => {
    const allocator = new NativeAllocator();
    const store = new DatasetStore({ allocator });
    putTable(store, 'kept', sampleTable());
    const before = allocator.usedBytes;
    const { schema, messages } = ipcMessages(sampleTable(4, 100));
    const tx = store.beginPut('aborted', schema);
    for (const m of messages) tx.appendMessage(m.flatbuffer, m.body, { kind: m.kind, rows: m.rows });
    assert.ok(allocator.usedBytes > before);
    tx.abort();
    assert.equal(allocator.usedBytes, before);
    assert.equal(store.get('aborted'), undefined);
  });

  it('refuses a message past the limit with RESOURCE_EXHAUSTED and leaves stored data and the put intact', () => {
    const probe = new DatasetStore();
    const existing = putTable(probe, 'train', sampleTable(1, 3));
    const allocator = new NativeAllocator(existing.bytes + 1000);
    const store = new DatasetStore({ allocator });
    const stored = putTable(store, 'train', sampleTable(1, 3));
    const tx = store.beginPut('train', stored.schema.header);
    const used = allocator.usedBytes;
    const flatbuffer = stored.messages[1]!.header;
    assert.throws(() => tx.allocateMessage(flatbuffer, 100_000), {
      code: Code.RESOURCE_EXHAUSTED,
      message: `memory limit exceeded: need ${100_000 + 64 * Math.ceil((8 + flatbuffer.length) / 64)} bytes, ${used} of ${allocator.limitBytes} in use (raise it with --memory / FLIGHTCACHE_MEMORY)`,
    });
    assert.equal(allocator.usedBytes, used);
    assert.equal(store.get('train'), stored);
    assert.deepEqual(rowsOf(tableFromSnapshot(stored)), rowsOf(sampleTable(1, 3)));
    const body = tx.allocateMessage(flatbuffer, 8);
    tx.append(body, { kind: 'record_batch', rows: 0 });
    assert.equal(tx.commit().messages.length, stored.messages.length + 1);
  });

  it('gives snapshots that later appends and drops do not change', () => {
    const store = new DatasetStore();
    const before = putTable(store, 'train', sampleTable(1, 3));
    const messages = before.messages.slice();
    putTable(store, 'train', sampleTable(1, 3));
    store.drop('train');
    assert.ok(Object.isFrozen(before) && Object.isFrozen(before.messages) && Object.isFrozen(before.messages[0]));
    assert.deepEqual(before.messages, messages);
    assert.equal(before.rows, 3);
    assert.deepEqual(rowsOf(tableFromSnapshot(before)), rowsOf(sampleTable(1, 3)));
  });

  it('returns a dropped dataset bytes to the budget', () => {
    const allocator = new NativeAllocator();
    const store = new DatasetStore({ allocator });
    const kept = putTable(store, 'kept', sampleTable());
    putTable(store, 'dropped', sampleTable(3, 50));
    assert.equal(store.drop('dropped'), true);
    assert.equal(store.drop('dropped'), false);
    assert.equal(store.get('dropped'), undefined);
    assert.equal(allocator.usedBytes, kept.bytes);
  });

  it('frees a dataset now: gone, its bytes back in the budget, its snapshot views empty, others untouched', () => {
    const allocator = new NativeAllocator();
    const store = new DatasetStore({ allocator });
    const kept = putTable(store, 'kept', sampleTable());
    const freed = putTable(store, 'staged', sampleTable(3, 50));
    assert.equal(store.free('staged'), true);
    assert.equal(store.free('staged'), false);
    assert.equal(store.get('staged'), undefined);
    assert.equal(allocator.usedBytes, kept.bytes);
    assert.equal(freed.schema.header.byteLength, 0);
    assert.ok(freed.messages.every((m) => m.header.byteLength === 0 && m.body.byteLength === 0));
    assert.deepEqual(rowsOf(tableFromSnapshot(store.get('kept')!)), rowsOf(sampleTable()));
  });
});

describe('DatasetStore catalogue', () => {
  it('lists datasets sorted by name', () => {
    const store = new DatasetStore();
    for (const name of ['b', 'a', 'C', 'ä']) putTable(store, name, sampleTable(1, 1));
    assert.deepEqual(store.list().map((s) => s.name), ['C', 'a', 'b', 'ä']);
  });

  it('totals rows and bytes and counts uncommitted puts in usedBytes', () => {
    const allocator = new NativeAllocator(1 << 30);
    const store = new DatasetStore({ allocator });
    const a = putTable(store, 'a', sampleTable(2, 3));
    const b = putTable(store, 'b', sampleTable(1, 4));
    const pending = store.beginPut('c', a.schema.header);
    const stats = store.stats();
    assert.deepEqual({ ...stats, liveNativeBytes: 0 }, {
      datasets: 2,
      rows: 10,
      bytes: a.bytes + b.bytes,
      usedBytes: a.bytes + b.bytes + a.schema.encapsulated.length,
      limitBytes: 1 << 30,
      liveNativeBytes: 0,
    });
    assert.ok(stats.liveNativeBytes >= stats.usedBytes);
    pending.abort();
  });

  it('rejects invalid dataset names with INVALID_ARGUMENT', () => {
    const store = new DatasetStore();
    const schema = Uint8Array.of(1);
    const cases: [string, string][] = [
      ['', 'dataset name must be a non-empty string'],
      ['x'.repeat(256), 'dataset name is 256 characters long; the limit is 255'],
      ['a\u0001b', 'dataset name "a\\u0001b" contains a control character at index 1'],
      ['a\u0085', 'dataset name "a\u0085" contains a control character at index 1'],
      ['a/b', `dataset name "a/b" must not contain '/'`],
    ];
    for (const [name, message] of cases) {
      assert.throws(() => store.beginPut(name, schema), { code: Code.INVALID_ARGUMENT, message });
    }
  });

  it('counts name length in characters, not UTF-16 units', () => {
    const tx = new DatasetStore().beginPut('😀'.repeat(255), ipcMessages(sampleTable(1, 1)).schema);
    assert.equal(tx.commit().name.length, 510);
  });
});
