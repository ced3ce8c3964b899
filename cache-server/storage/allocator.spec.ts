import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { alignmentOf, stats } from '../../native/lib/addon.js';
import { collectGarbage } from '../../native/lib/testing/collect-garbage.js';
import { Code } from '../../client/src/flight/errors.js';
import { NativeAllocator, type Region } from './allocator.js';

describe('NativeAllocator', () => {
  it('hands out 64-byte-aligned regions of exactly the requested size and charges them', () => {
    const allocator = new NativeAllocator(10_000);
    const a = allocator.allocate(1000);
    const b = allocator.allocate(0);
    assert.equal(a.bytes.length, 1000);
    assert.equal(b.bytes.length, 0);
    assert.ok(alignmentOf(a.bytes) >= 64);
    assert.equal(allocator.usedBytes, 1000);
    assert.equal(allocator.limitBytes, 10_000);
  });

  it('returns bytes to the budget once, however often a region is released', () => {
    const allocator = new NativeAllocator();
    const region = allocator.allocate(4096);
    allocator.allocate(10);
    region.release();
    region.release();
    assert.equal(allocator.usedBytes, 10);
  });

  it('keeps a released region readable: only the budget is returned', () => {
    const allocator = new NativeAllocator();
    const region = allocator.allocate(64);
    region.bytes.fill(7);
    region.release();
    assert.ok(region.bytes.every((byte) => byte === 7));
  });

  it('frees a region at once: its budget returns, its views empty, its native memory goes on the next turn', async () => {
    const allocator = new NativeAllocator();
    const kept = allocator.allocate(100);
    const region = allocator.allocate(1 << 20);
    // Collected first, so that no other test's garbage is freed while this one waits.
    await collectGarbage();
    const before = stats();
    region.free();
    region.free();
    region.release();
    assert.equal(allocator.usedBytes, 100);
    assert.equal(region.bytes.byteLength, 0);
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(stats(), { liveBytes: before.liveBytes - (1 << 20), liveRegions: before.liveRegions - 1 });
    assert.equal(kept.bytes.length, 100);
  });

  it('frees a region that was released before without returning its bytes twice', () => {
    const allocator = new NativeAllocator();
    allocator.allocate(10);
    const region = allocator.allocate(64);
    region.release();
    region.free();
    assert.equal(allocator.usedBytes, 10);
  });

  it('refuses a request past the limit with RESOURCE_EXHAUSTED and allocates nothing', () => {
    const allocator = new NativeAllocator(1000);
    allocator.allocate(600);
    const before = stats();
    assert.throws(() => allocator.allocate(401), {
      code: Code.RESOURCE_EXHAUSTED,
      message: 'memory limit exceeded: need 401 bytes, 600 of 1000 in use (raise it with --memory / FLIGHTCACHE_MEMORY)',
    });
    assert.deepEqual(stats(), before);
    assert.equal(allocator.usedBytes, 600);
    assert.equal(allocator.allocate(400).bytes.length, 400);
  });

  it('charges bytes held outside regions against the same limit and gives them back once', () => {
    const allocator = new NativeAllocator(1000);
    allocator.allocate(600);
    const before = stats();
    const release = allocator.charge(300);
    assert.equal(allocator.usedBytes, 900);
    assert.deepEqual(stats(), before);
    assert.throws(() => allocator.charge(101), {
      code: Code.RESOURCE_EXHAUSTED,
      message: 'memory limit exceeded: need 101 bytes, 900 of 1000 in use (raise it with --memory / FLIGHTCACHE_MEMORY)',
    });
    release();
    release();
    assert.equal(allocator.usedBytes, 600);
  });

  it('reports memory the system refuses as RESOURCE_EXHAUSTED', () => {
    assert.throws(() => new NativeAllocator().allocate(2 ** 50), {
      code: Code.RESOURCE_EXHAUSTED,
      message: 'out of memory: the system refused 1125899906842624 bytes',
    });
  });

  it('rejects sizes that are not non-negative integers with INVALID_ARGUMENT', () => {
    const allocator = new NativeAllocator();
    for (const bytes of [-1, 0.5, NaN, 2 ** 53]) {
      assert.throws(() => allocator.allocate(bytes), {
        code: Code.INVALID_ARGUMENT,
        message: `region size must be a non-negative integer, got ${bytes}`,
      });
    }
  });

  it('rejects a negative or NaN limit with INVALID_ARGUMENT', () => {
    assert.throws(() => new NativeAllocator(-1), { code: Code.INVALID_ARGUMENT, message: 'memory limit must be a non-negative number of bytes, got -1' });
    assert.throws(() => new NativeAllocator(NaN), { code: Code.INVALID_ARGUMENT, message: 'memory limit must be a non-negative number of bytes, got NaN' });
  });

  it('grants a request exactly when it fits, over any sequence of allocations and releases', () => {
    const step = fc.oneof(
      fc.record({ allocate: fc.integer({ min: 0, max: 5000 }) }),
      fc.record({ release: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000 }), fc.array(step, { maxLength: 40 }), (limit, steps) => {
        const allocator = new NativeAllocator(limit);
        const held: Region[] = [];
        let used = 0;
        for (const s of steps) {
          if ('allocate' in s) {
            const fits = used + s.allocate <= limit;
            if (fits) {
              held.push(allocator.allocate(s.allocate));
              used += s.allocate;
            } else {
              assert.throws(() => allocator.allocate(s.allocate), { code: Code.RESOURCE_EXHAUSTED });
            }
          } else if (held.length > 0) {
            const [region] = held.splice(s.release % held.length, 1);
            region!.release();
            used -= region!.bytes.length;
          }
          assert.equal(allocator.usedBytes, used);
        }
      }),
    );
  });
});
