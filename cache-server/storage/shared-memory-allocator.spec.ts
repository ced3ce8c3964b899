import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { Code } from '../../client/src/flight/errors.js';
import { collectGarbage } from '../../native/lib/testing/collect-garbage.js';
import { SharedMemoryAllocator } from './shared-memory-allocator.js';

describe('SharedMemoryAllocator', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync('/dev/shm/flightcache-allocator-');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('places an arena\'s regions one after another, 64-byte aligned, in one segment, and locates views of them', () => {
    const allocator = new SharedMemoryAllocator(dir);
    const arena = allocator.openArena();
    const regions = [100, 1, 64, 0].map((bytes) => arena.allocate(bytes));
    arena.close();
    const placed = regions.map((region) => allocator.locate(region.bytes)!.ref);
    assert.deepEqual(placed.map((ref) => ref.offset), [0, 128, 192, 256]);
    assert.deepEqual(placed.map((ref) => ref.length), [100, 1, 64, 0]);
    assert.equal(new Set(placed.map((ref) => ref.segment)).size, 1);
    assert.deepEqual(allocator.locate(regions[0]!.bytes.subarray(8, 24))!.ref, { segment: placed[0]!.segment, offset: 8, length: 16 });
    assert.equal(allocator.locate(new Uint8Array(8)), undefined);
    assert.equal(allocator.locate(regions[0]!.bytes)!.use.capacity, 1024 * 1024);
  });

  it('gives each arena, and each region allocated outside one, segments of its own', () => {
    const allocator = new SharedMemoryAllocator(dir);
    const a = allocator.openArena();
    const b = allocator.openArena();
    const segments = [a.allocate(8), b.allocate(8), allocator.allocate(8), allocator.allocate(8)].map((region) => allocator.locate(region.bytes)!.ref.segment);
    assert.equal(new Set(segments).size, 4);
  });

  it('charges the budget, refuses past the limit, and counts released bytes per segment', () => {
    const allocator = new SharedMemoryAllocator(dir, 1000);
    const arena = allocator.openArena();
    const first = arena.allocate(600);
    assert.throws(() => arena.allocate(500), { code: Code.RESOURCE_EXHAUSTED, message: 'memory limit exceeded: need 500 bytes, 600 of 1000 in use (raise it with --memory / FLIGHTCACHE_MEMORY)' });
    const second = arena.allocate(400);
    const use = allocator.locate(first.bytes)!.use;
    assert.deepEqual([use.bytes, use.releasedBytes, allocator.usedBytes], [1000, 0, 1000]);
    first.release();
    first.release();
    assert.deepEqual([use.releasedBytes, allocator.usedBytes], [600, 400]);
    second.free();
    assert.deepEqual([use.releasedBytes, allocator.usedBytes, second.bytes.byteLength], [1000, 0, 0]);
  });

  it('frees a segment when its arena is closed and its regions are gone, and never shows one in the directory', async () => {
    await collectGarbage();
    const allocator = new SharedMemoryAllocator(dir);
    const arena = allocator.openArena();
    const region = arena.allocate(4096);
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(allocator.segmentStats().segments, 1);
    arena.close();
    assert.equal(allocator.segmentStats().segments, 1);
    region.free();
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(allocator.segmentStats(), { segments: 0, capacityBytes: 0 });
  });

  it('refuses a directory where no segment can be created with INVALID_ARGUMENT naming it', () => {
    assert.throws(() => new SharedMemoryAllocator(`${dir}/missing`), {
      code: Code.INVALID_ARGUMENT,
      message: `--shm-dir ${dir}/missing: cannot create shared-memory segments in "${dir}/missing": No such file or directory`,
    });
  });
});
