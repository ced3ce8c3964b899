import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PARTITION_NAME, parseStoredName, putOfStoredName, statusOf, storedNameOf, type CatalogDataset, type CatalogPartition } from './catalog.js';

test('a stored name records dataset, index, put and batch range, and parses back to them for any dataset name', () => {
  const names = fc.string({ minLength: 1, maxLength: 40 }).filter((name) => !/[\u0000-\u001f\u007f-\u009f/]/.test(name));
  fc.assert(
    fc.property(names, fc.nat(10_000), fc.stringMatching(/^[0-9a-f]{1,8}$/), fc.nat(1e6), fc.integer({ min: 1, max: 1e6 }), fc.nat(1e6), (dataset, index, nonce, from, count, more) => {
      const range = { from, to: from + count, end: from + count + more };
      const stored = storedNameOf(dataset, index, nonce, range);
      assert.match(stored, PARTITION_NAME);
      assert.deepEqual(parseStoredName(stored), { dataset, index, nonce, ...range });
      assert.deepEqual(putOfStoredName(stored), { dataset, nonce });
    }),
  );
});

test('the stored name of partition 3 of put 1a2b3c4d holding batches [10, 15) of 40 reads like one', () => {
  assert.equal(storedNameOf('train#v2', 3, '1a2b3c4d', { from: 10, to: 15, end: 40 }), 'train#v2#p3.1a2b3c4d.b10-15of40');
});

test('names written before batch ranges were recorded are partition names that parse to their put only; other names are neither', () => {
  assert.match('d#p3.1a2b3c4d', PARTITION_NAME);
  assert.equal(parseStoredName('d#p3.1a2b3c4d'), undefined);
  assert.deepEqual(putOfStoredName('a#p1.ff#p3.1a2b3c4d'), { dataset: 'a#p1.ff', nonce: '1a2b3c4d' });
  for (const other of ['d', 'd#p3', 'd#p3.xyz', 'd#p1.missing.b2-4', 'd#p3.1a2b.b10-15']) {
    assert.doesNotMatch(other, PARTITION_NAME);
    assert.equal(parseStoredName(other), undefined);
    assert.equal(putOfStoredName(other), undefined);
  }
});

test('a stored name with an empty or inverted batch range, or one past its put, parses to nothing', () => {
  for (const name of ['d#p0.ab.b5-5of9', 'd#p0.ab.b6-5of9', 'd#p0.ab.b0-10of9']) assert.equal(parseStoredName(name), undefined);
});

/** A dataset with the given partitions (per-batch arrays do not matter to its status). */
function datasetWith(partitions: CatalogPartition[]): CatalogDataset {
  return { name: 'd', schemaHeader: new Uint8Array(), schemaEncapsulated: new Uint8Array(), batchRows: [], batchHeaders: [], batchBytes: [], rows: 0, bytes: 0, dictionariesChange: false, partitions };
}

function partition(index: number, placement: string[], stored: string[], missing = false): CatalogPartition {
  return { index, storedName: `d#p${index}`, from: index, to: index + 1, rows: 1, bytes: 1, placement, stored: new Set(stored), ...(missing ? { missing: true as const } : {}) };
}

const everyoneLive = (id: string): string => `grpc://${id}:1`;

test('a partition with fewer live copies than min(R, max(placement, members)) is degraded, one with none lost', () => {
  const dataset = datasetWith([partition(0, ['a', 'b'], ['a', 'b']), partition(1, ['a'], ['a']), partition(2, [], [], true)]);
  assert.deepEqual(statusOf(dataset, everyoneLive, 2, 2), { status: 'lost', degraded: [1], lost: [2] });
  const onlyA = (id: string): string | undefined => (id === 'a' ? everyoneLive(id) : undefined);
  assert.deepEqual(statusOf(datasetWith([partition(0, ['a', 'b'], ['a', 'b'])]), onlyA, 2, 2), { status: 'degraded', degraded: [0], lost: [] });
});

test('a partition placed on as many members as are known is healthy although R is larger', () => {
  assert.deepEqual(statusOf(datasetWith([partition(0, ['a'], ['a'])]), everyoneLive, 2, 1), { status: 'healthy', degraded: [], lost: [] });
  assert.deepEqual(statusOf(datasetWith([partition(0, ['a', 'b'], ['a', 'b'])]), everyoneLive, 3, 2), { status: 'healthy', degraded: [], lost: [] });
});
