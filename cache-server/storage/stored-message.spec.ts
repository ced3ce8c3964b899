import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { alignmentOf } from '../../native/lib/addon.js';
import { Code } from '../../client/src/flight/errors.js';
import { NativeAllocator } from './allocator.js';
import { BODY_ALIGNMENT, allocateEncapsulated } from './stored-message.js';

describe('allocateEncapsulated', () => {
  it('lays out marker, padded length, flatbuffer, zero padding and a 64-byte-aligned body in one region', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.integer({ min: 0, max: 500 }), (flatbuffer, bodyLength) => {
        const allocator = new NativeAllocator();
        const { region, message } = allocateEncapsulated(allocator, flatbuffer, bodyLength, 'message');
        const bytes = region.bytes;
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const bodyOffset = Math.ceil((8 + flatbuffer.length) / BODY_ALIGNMENT) * BODY_ALIGNMENT;
        assert.equal(bytes.length, bodyOffset + bodyLength);
        assert.equal(allocator.usedBytes, bytes.length);
        assert.equal(view.getUint32(0, true), 0xffffffff);
        assert.equal(view.getInt32(4, true), bodyOffset - 8);
        assert.deepEqual(message.header, flatbuffer);
        assert.ok(bytes.subarray(8 + flatbuffer.length, bodyOffset).every((byte) => byte === 0));
        assert.equal(message.body.byteOffset, bodyOffset);
        assert.equal(message.body.length, bodyLength);
        assert.equal(message.body.buffer, bytes.buffer);
        assert.equal(message.encapsulated, bytes);
        assert.ok(alignmentOf(message.body) >= BODY_ALIGNMENT);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects an empty flatbuffer and a bad body length without allocating', () => {
    const allocator = new NativeAllocator();
    assert.throws(() => allocateEncapsulated(allocator, new Uint8Array(0), 8, 'schema'), {
      code: Code.INVALID_ARGUMENT,
      message: 'schema flatbuffer must be a non-empty Uint8Array',
    });
    assert.throws(() => allocateEncapsulated(allocator, Uint8Array.of(1), -8, 'message'), {
      code: Code.INVALID_ARGUMENT,
      message: 'message body length must be a non-negative integer, got -8',
    });
    assert.equal(allocator.usedBytes, 0);
  });
});
