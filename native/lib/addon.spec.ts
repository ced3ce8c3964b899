import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REGION_ALIGNMENT, alignmentOf, allocate, discard, gatherRuns, load, mapFile, stats } from './addon.js';
import { collectGarbage } from './testing/collect-garbage.js';

// The raw addon, called with arguments its TypeScript signature forbids.
const untyped = load() as unknown as Record<string, (...args: unknown[]) => unknown>;

describe('native allocate', () => {
  it('returns an ArrayBuffer of exactly the requested length for small, large and empty requests', () => {
    for (const bytes of [0, 1, 63, 100, 4096, 300_000, 1 << 20]) {
      const buffer = allocate(bytes);
      assert.ok(buffer instanceof ArrayBuffer);
      assert.equal(buffer.byteLength, bytes);
    }
  });

  it('starts every region on a 64-byte boundary, and large mapped ones on a page boundary', () => {
    for (let bytes = 1; bytes <= 2000; bytes += 37) {
      assert.ok(alignmentOf(new Uint8Array(allocate(bytes))) >= REGION_ALIGNMENT, `region of ${bytes} bytes`);
    }
    assert.equal(alignmentOf(new Uint8Array(allocate(1 << 20))), 4096);
  });

  it('gives memory that can be written and read back in full', () => {
    const bytes = new Uint8Array(allocate(1 << 20));
    bytes.fill(0x5a);
    assert.ok(bytes.every((byte) => byte === 0x5a));
  });

  it('counts live bytes and regions while the ArrayBuffer is reachable', () => {
    const before = stats();
    const held = [allocate(1000), allocate(24)];
    assert.deepEqual(stats(), { liveBytes: before.liveBytes + 1024, liveRegions: before.liveRegions + 2 });
    assert.equal(held.length, 2);
  });

  it('frees the region when its ArrayBuffer is collected', async () => {
    await collectGarbage();
    const before = stats();
    (() => {
      for (let i = 0; i < 16; i++) new Uint8Array(allocate(1 << 20)).fill(1);
    })();
    assert.equal(stats().liveRegions, before.liveRegions + 16);
    await collectGarbage();
    assert.deepEqual(stats(), before);
  });

  it('rejects a missing or extra argument with a TypeError naming the count', () => {
    assert.throws(() => untyped.allocate!(), { name: 'TypeError', message: 'allocate(bytes) expects 1 argument, got 0' });
    assert.throws(() => untyped.allocate!(1, 2), { name: 'TypeError', message: 'allocate(bytes) expects 1 argument, got 2' });
  });

  it('rejects a non-number with a TypeError naming its type', () => {
    assert.throws(() => untyped.allocate!('8'), { name: 'TypeError', message: 'allocate(bytes): bytes must be a number, got string' });
    assert.throws(() => untyped.allocate!(8n), { name: 'TypeError', message: 'allocate(bytes): bytes must be a number, got bigint' });
    assert.throws(() => untyped.allocate!(null), { name: 'TypeError', message: 'allocate(bytes): bytes must be a number, got null' });
  });

  it('rejects negative, fractional, non-finite and unsafe sizes with a RangeError', () => {
    for (const [bytes, shown] of [[-1, '-1'], [1.5, '1.5'], [NaN, 'NaN'], [Infinity, 'Infinity'], [2 ** 53, '9007199254740992']] as const) {
      assert.throws(() => allocate(bytes), {
        name: 'RangeError',
        message: `allocate(bytes): bytes must be an integer from 0 to 2^53-1, got ${shown}`,
      });
    }
  });

  it('reports a size the system cannot provide as an ENOMEM error and allocates nothing', () => {
    const before = stats();
    assert.throws(() => allocate(2 ** 50), { code: 'ENOMEM', message: 'allocate(bytes): out of memory allocating 1125899906842624 bytes' });
    assert.deepEqual(stats(), before);
  });
});

describe('native discard', () => {
  it('empties every view at once and frees the region on the next event-loop turn, without a collection', async () => {
    await collectGarbage();
    const before = stats();
    const buffer = allocate(1 << 20);
    const view = new Uint8Array(buffer, 64, 128);
    discard(buffer);
    assert.deepEqual([buffer.byteLength, view.byteLength, view.length], [0, 0, 0]);
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(stats(), before);
  });

  it('frees empty regions too, and does nothing more for a buffer already discarded', async () => {
    await collectGarbage();
    const before = stats();
    const empty = allocate(0);
    const full = allocate(4096);
    discard(empty);
    discard(full);
    discard(full);
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(stats(), before);
  });

  it('rejects anything but one ArrayBuffer with a TypeError', () => {
    assert.throws(() => untyped.discard!(), { name: 'TypeError', message: 'discard(buffer) expects 1 argument, got 0' });
    assert.throws(() => untyped.discard!(new Uint8Array(8)), { name: 'TypeError', message: 'discard(buffer): buffer must be an ArrayBuffer, got object' });
    assert.throws(() => untyped.discard!(8), { name: 'TypeError', message: 'discard(buffer): buffer must be an ArrayBuffer, got number' });
  });

  it('refuses ArrayBuffers it did not allocate, leaving them whole', () => {
    const pooled = Buffer.from('shared slab');
    for (const buffer of [new ArrayBuffer(16), pooled.buffer as ArrayBuffer]) {
      const length = buffer.byteLength;
      assert.throws(() => discard(buffer), { name: 'TypeError', message: 'discard(buffer): buffer was not made by allocate()' });
      assert.equal(buffer.byteLength, length);
    }
    assert.equal(pooled.toString(), 'shared slab');
  });
});

describe('native stats', () => {
  it('rejects arguments', () => {
    assert.throws(() => untyped.stats!(1), { name: 'TypeError', message: 'stats() expects 0 arguments, got 1' });
  });
});

describe('native alignmentOf', () => {
  it('measures the address of the view, including its byte offset', () => {
    const buffer = allocate(8192);
    assert.equal(alignmentOf(new Uint8Array(buffer, 1)), 1);
    assert.equal(alignmentOf(new Uint8Array(buffer, 8)), 8);
    assert.equal(alignmentOf(new DataView(buffer, 96)), 32);
    // The region is only promised to be 64-aligned, so an offset of 64 lands on 64 or better.
    assert.ok(alignmentOf(new Float64Array(buffer, 64, 2)) >= 64);
    assert.equal(alignmentOf(new Float64Array(buffer, 64 + 8, 2)), 8);
  });

  it('caps the answer at 4096', () => {
    assert.equal(alignmentOf(new Uint8Array(allocate(1 << 20), 8192)), 4096);
  });

  it('rejects values that are not ArrayBuffer views with a TypeError', () => {
    assert.throws(() => untyped.alignmentOf!(new ArrayBuffer(8)), {
      name: 'TypeError',
      message: 'alignmentOf(view): view must be a TypedArray or DataView, got object',
    });
    assert.throws(() => untyped.alignmentOf!(3), {
      name: 'TypeError',
      message: 'alignmentOf(view): view must be a TypedArray or DataView, got number',
    });
    assert.throws(() => untyped.alignmentOf!(), { name: 'TypeError', message: 'alignmentOf(view) expects 1 argument, got 0' });
  });
});

describe('native gatherRuns', () => {
  it('copies runs of fixed-width elements in order and refuses runs outside the buffers', () => {
    const source = Uint8Array.from({ length: 32 }, (_, i) => i);
    const target = new Uint8Array(12);
    // Elements of 4 bytes: element 5, then elements 0-1.
    gatherRuns(target, source, Float64Array.of(5, 0), Float64Array.of(1, 2), 2, 4);
    assert.deepEqual([...target], [20, 21, 22, 23, 0, 1, 2, 3, 4, 5, 6, 7]);
    assert.throws(() => gatherRuns(target, source, Float64Array.of(7), Float64Array.of(2), 1, 4), { name: 'RangeError', message: /a run reads past the source/ });
    assert.throws(() => gatherRuns(target, source, Float64Array.of(0), Float64Array.of(4), 1, 4), { name: 'RangeError', message: /do not fit the target/ });
    assert.throws(() => gatherRuns(target, source, Float64Array.of(0.5), Float64Array.of(1), 1, 4), { name: 'RangeError', message: /non-negative integers/ });
    assert.throws(() => gatherRuns(target, source, Float64Array.of(0), Float64Array.of(1), 2, 4), { name: 'RangeError', message: /count exceeds the run arrays/ });
  });
});

describe('native mapFile', () => {
  it('maps a whole file page-aligned and copy-on-write, and names the errno when it cannot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flightcache-map-'));
    try {
      const path = join(dir, 'data');
      writeFileSync(path, Uint8Array.from({ length: 5000 }, (_, i) => i % 251));
      const mapped = new Uint8Array(mapFile(path));
      assert.equal(mapped.byteLength, 5000);
      assert.equal(alignmentOf(mapped), 4096);
      assert.deepEqual([mapped[0], mapped[251], mapped[4999]], [0, 0, 4999 % 251]);
      mapped[0] = 77;
      assert.equal(readFileSync(path)[0], 0);
      writeFileSync(join(dir, 'empty'), '');
      assert.equal(mapFile(join(dir, 'empty')).byteLength, 0);
      assert.throws(() => mapFile(join(dir, 'missing')), { code: 'ENOENT', message: `mapFile(${join(dir, 'missing')}): open: No such file or directory` });
      assert.throws(() => (load() as unknown as { mapFile(p: unknown): ArrayBuffer }).mapFile(1), { name: 'TypeError', message: 'mapFile(path): path must be a string, got number' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
