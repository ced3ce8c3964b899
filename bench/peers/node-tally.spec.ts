import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Field, Float32, Int32, Int64, makeData, RecordBatch, Schema, Struct } from 'apache-arrow';

import { NodeTally, valueBytes, wordChecksum } from './node-tally.js';

function batchOf(ints: BigInt64Array, floats: Float32Array): RecordBatch {
  const fields = [new Field('i0', new Int64(), false), new Field('f0', new Float32(), false)];
  const children = [
    makeData({ type: new Int64(), length: ints.length, data: ints }),
    makeData({ type: new Float32(), length: floats.length, data: floats }),
  ];
  return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: ints.length, children }));
}

test('wordChecksum sums little-endian uint32 words modulo 2**32', () => {
  assert.equal(wordChecksum(new Uint8Array(Uint32Array.of(1, 2, 3).buffer)), 6);
  assert.equal(wordChecksum(new Uint8Array(Uint32Array.of(0xffffffff, 2).buffer)), 1);
  assert.equal(wordChecksum(new Uint8Array(Uint32Array.of(0x80000000, 0x80000000, 0x7fffffff).buffer)), 0x7fffffff);
  assert.equal(wordChecksum(new Uint8Array(0)), 0);
});

test('wordChecksum rejects views that are not whole aligned words', () => {
  const bytes = new Uint8Array(16);
  assert.throws(() => wordChecksum(bytes.subarray(2, 10)), /cannot checksum 8 bytes at offset 2/);
  assert.throws(() => wordChecksum(bytes.subarray(0, 6)), /cannot checksum 6 bytes at offset 0/);
});

test('valueBytes of a sliced column covers exactly the slice', () => {
  const data = makeData({ type: new Int32(), length: 4, data: Int32Array.of(10, 20, 30, 40) }).slice(1, 2);
  assert.deepEqual([...new Int32Array(valueBytes(data).slice().buffer)], [20, 30]);
});

test('valueBytes rejects a column with nulls', () => {
  const data = makeData({ type: new Int32(), length: 2, nullCount: 1, nullBitmap: Uint8Array.of(0b01), data: Int32Array.of(1, 2) });
  assert.throws(() => valueBytes(data), /a column has 1/);
});

test('NodeTally counts rows, value bytes and batches and folds every column into the checksum', () => {
  const tally = new NodeTally();
  // -1n is two 0xffffffff words; 2n is words 2 and 0; 1.0f is 0x3f800000.
  tally.addBatch(batchOf(BigInt64Array.of(-1n, 2n), Float32Array.of(1, 0)));
  tally.addBatch(batchOf(BigInt64Array.of(5n), Float32Array.of(0)));
  assert.equal(tally.rows, 3);
  assert.equal(tally.batches, 2);
  assert.equal(tally.bytes, 2 * 12 + 12);
  assert.equal(tally.checksum, (0xffffffff * 2 + 2 + 0x3f800000 + 5) % 2 ** 32);
});
