import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stats } from '../../native/lib/addon.js';
import { collectGarbage } from '../../native/lib/testing/collect-garbage.js';
import { NativeAllocator } from './allocator.js';
import { DatasetStore, type DatasetSnapshot } from './dataset-store.js';

// Native memory is freed by the finalizers of external ArrayBuffers, so these tests force
// collections (collectGarbage) and compare the process-wide native counters.
const SCHEMA = Uint8Array.of(1, 2, 3, 4);
const MIB = 1 << 20;
const acceptAll = (): undefined => undefined;

function putMegabytes(store: DatasetStore, name: string, mebibytes: number): DatasetSnapshot {
  const tx = store.beginPut(name, SCHEMA);
  for (let i = 0; i < mebibytes; i++) {
    tx.allocateMessage(Uint8Array.of(i + 1), MIB).fill(i + 1);
  }
  return tx.commit();
}

function putAndAppendMegabytes(store: DatasetStore, name: string, mebibytes: number): DatasetSnapshot {
  const tx = store.beginPut(name, SCHEMA);
  for (let i = 0; i < mebibytes; i++) {
    const body = tx.allocateMessage(Uint8Array.of(i + 1), MIB);
    body.fill(i + 1);
    tx.append(body, { kind: 'record_batch', rows: 1 });
  }
  return tx.commit();
}

describe('native memory behind the store', () => {
  it('is freed after a drop once nothing references the dataset', async () => {
    await collectGarbage();
    const baseline = stats().liveBytes;
    const store = new DatasetStore({ compareSchemas: acceptAll });
    (() => {
      putAndAppendMegabytes(store, 'big', 16);
    })();
    assert.ok(stats().liveBytes >= baseline + 16 * MIB);
    store.drop('big');
    await collectGarbage();
    assert.equal(stats().liveBytes, baseline);
  });

  it('stays readable through a snapshot taken before the drop, and is freed when the snapshot goes', async () => {
    await collectGarbage();
    const baseline = stats().liveBytes;
    const store = new DatasetStore({ compareSchemas: acceptAll });
    // Only the holder lives in this async frame: a suspended async function keeps its temporaries alive.
    const holder: { snapshot?: DatasetSnapshot } = {};
    (() => {
      holder.snapshot = putAndAppendMegabytes(store, 'big', 8);
    })();
    store.drop('big');
    await collectGarbage();
    assert.ok(stats().liveBytes >= baseline + 8 * MIB);
    (() => {
      holder.snapshot!.messages.forEach((message, i) => assert.ok(message.body.every((byte) => byte === i + 1)));
    })();
    delete holder.snapshot;
    await collectGarbage();
    assert.equal(stats().liveBytes, baseline);
  });

  it('returns the budget of a put that was neither committed nor aborted once it is collected', async () => {
    const allocator = new NativeAllocator();
    const store = new DatasetStore({ allocator, compareSchemas: acceptAll });
    (() => {
      const tx = store.beginPut('forgotten', SCHEMA);
      tx.allocateMessage(Uint8Array.of(1), MIB);
    })();
    assert.ok(allocator.usedBytes > MIB);
    for (let round = 0; round < 20 && allocator.usedBytes > 0; round++) await collectGarbage();
    assert.equal(allocator.usedBytes, 0);
    assert.equal(store.get('forgotten'), undefined);
  });

  it('frees the memory of messages allocated but not appended after commit', async () => {
    await collectGarbage();
    const baseline = stats().liveBytes;
    const store = new DatasetStore({ compareSchemas: acceptAll });
    const snapshot = putMegabytes(store, 'empty', 4);
    await collectGarbage();
    assert.equal(stats().liveBytes, baseline + snapshot.bytes);
  });
});
