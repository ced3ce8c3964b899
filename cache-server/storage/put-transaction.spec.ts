import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../../client/src/flight/errors.js';
import { NativeAllocator } from './allocator.js';
import { DatasetStore } from './dataset-store.js';
import { ipcMessages, sampleTable } from './testing/arrow-fixtures.js';

function setup() {
  const allocator = new NativeAllocator();
  const store = new DatasetStore({ allocator });
  const { schema, messages } = ipcMessages(sampleTable(1, 3));
  const batch = messages.find((m) => m.kind === 'record_batch')!;
  return { allocator, store, schema, batch, tx: store.beginPut('train', schema) };
}

const notOurs = { code: Code.INVALID_ARGUMENT, message: 'append: body is not a view returned by allocateMessage of this put' };

describe('PutTransaction', () => {
  it('exposes the schema flatbuffer as stored', () => {
    const { schema, tx } = setup();
    assert.deepEqual(tx.schema, schema);
    tx.abort();
  });

  it('refuses to append a body it did not allocate, or only part of one', () => {
    const { store, batch, tx } = setup();
    const other = store.beginPut('other', ipcMessages(sampleTable(1, 1)).schema);
    const foreign = other.allocateMessage(batch.flatbuffer, 64);
    assert.throws(() => tx.append(foreign, { kind: 'record_batch', rows: 1 }), notOurs);
    assert.throws(() => tx.append(new Uint8Array(64), { kind: 'record_batch', rows: 1 }), notOurs);
    const body = tx.allocateMessage(batch.flatbuffer, 64);
    assert.throws(() => tx.append(body.subarray(8), { kind: 'record_batch', rows: 1 }), notOurs);
    other.abort();
    tx.abort();
  });

  it('refuses to append the same body twice', () => {
    const { batch, tx } = setup();
    const body = tx.allocateMessage(batch.flatbuffer, batch.body.length);
    tx.append(body, { kind: 'record_batch', rows: 3 });
    assert.throws(() => tx.append(body, { kind: 'record_batch', rows: 3 }), {
      code: Code.INVALID_ARGUMENT,
      message: 'append: this message was already appended',
    });
    tx.abort();
  });

  it('refuses an unknown kind and a bad row count', () => {
    const { batch, tx } = setup();
    const body = tx.allocateMessage(batch.flatbuffer, batch.body.length);
    const badKind = { kind: 'schema', rows: 1 } as unknown as { kind: 'record_batch'; rows: number };
    assert.throws(() => tx.append(body, badKind), {
      code: Code.INVALID_ARGUMENT,
      message: 'append: kind must be record_batch or dictionary_batch, got schema',
    });
    assert.throws(() => tx.append(body, { kind: 'record_batch', rows: -2 }), {
      code: Code.INVALID_ARGUMENT,
      message: 'append: rows must be a non-negative integer, got -2',
    });
    tx.abort();
  });

  it('releases messages that were allocated but never appended when it commits', () => {
    const { allocator, batch, tx } = setup();
    tx.appendMessage(batch.flatbuffer, batch.body, { kind: 'record_batch', rows: batch.rows });
    tx.allocateMessage(batch.flatbuffer, 1 << 20);
    const snapshot = tx.commit();
    assert.equal(snapshot.messages.length, 1);
    assert.equal(allocator.usedBytes, snapshot.bytes);
  });

  it('commits with no messages to create an empty dataset', () => {
    const { store, tx } = setup();
    const snapshot = tx.commit();
    assert.deepEqual({ rows: snapshot.rows, batchCount: snapshot.batchCount, messages: snapshot.messages }, { rows: 0, batchCount: 0, messages: [] });
    assert.equal(store.get('train'), snapshot);
  });

  it('refuses every operation after commit with FAILED_PRECONDITION, while abort does nothing', () => {
    const { allocator, batch, tx } = setup();
    tx.commit();
    const used = allocator.usedBytes;
    const already = (operation: string) => ({
      code: Code.FAILED_PRECONDITION,
      message: `${operation}: the put to dataset "train" is already committed`,
    });
    assert.throws(() => tx.allocateMessage(batch.flatbuffer, 8), already('allocateMessage'));
    assert.throws(() => tx.appendMessage(batch.flatbuffer, batch.body, { kind: 'record_batch', rows: 3 }), already('allocateMessage'));
    assert.throws(() => tx.append(new Uint8Array(8), { kind: 'record_batch', rows: 3 }), already('append'));
    assert.throws(() => tx.commit(), already('commit'));
    tx.abort();
    assert.equal(allocator.usedBytes, used);
  });

  it('refuses commit after abort and can be aborted twice', () => {
    const { allocator, tx } = setup();
    tx.abort();
    tx.abort();
    assert.equal(allocator.usedBytes, 0);
    assert.throws(() => tx.commit(), { code: Code.FAILED_PRECONDITION, message: 'commit: the put to dataset "train" is already aborted' });
  });
});
