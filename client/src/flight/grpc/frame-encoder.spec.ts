import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { frameMessage, MERGE_LIMIT_BYTES } from './frame-encoder.js';

describe('frameMessage', () => {
  it('frames an empty message as a bare 5-byte prefix', () => {
    assert.deepEqual(frameMessage([]), [new Uint8Array([0, 0, 0, 0, 0])]);
  });

  it('merges small leading chunks into the prefix', () => {
    const framed = frameMessage([new Uint8Array([1, 2]), new Uint8Array([3])]);
    assert.deepEqual(framed, [new Uint8Array([0, 0, 0, 0, 3, 1, 2, 3])]);
  });

  it('passes large chunks through as the same objects, without copying', () => {
    const head = new Uint8Array([7, 7, 7]);
    const big = new Uint8Array(MERGE_LIMIT_BYTES);
    const pad = new Uint8Array(3);
    const framed = frameMessage([head, big, pad]);
    assert.equal(framed.length, 3);
    assert.deepEqual(framed[0], new Uint8Array([0, 0, 0, 0x10, 0x06, 7, 7, 7]));
    assert.equal(framed[1], big);
    assert.equal(framed[2], pad);
  });

  it('writes the total length big-endian in the prefix when no chunk is merged', () => {
    const big = new Uint8Array(0x012345);
    const framed = frameMessage([big]);
    assert.deepEqual(framed[0], new Uint8Array([0, 0, 0x01, 0x23, 0x45]));
    assert.equal(framed[1], big);
  });

  it('drops empty chunks after the merged head', () => {
    const big = new Uint8Array(MERGE_LIMIT_BYTES + 1);
    assert.deepEqual(frameMessage([big, new Uint8Array(0)]).length, 2);
  });

  it('produces the prefix followed by exactly the message bytes for any chunking', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 6000 }), { maxLength: 6 }), (chunks) => {
        const framed = Buffer.concat(frameMessage(chunks));
        const message = Buffer.concat(chunks);
        assert.equal(framed.readUInt8(0), 0);
        assert.equal(framed.readUInt32BE(1), message.length);
        assert.deepEqual(framed.subarray(5), message);
      }),
    );
  });
});
