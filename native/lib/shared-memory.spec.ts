import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { descriptorOf, unixSocketPair } from './testing/unix-socket-pair.js';
import { load } from './addon.js';
import { MAX_PASSED_DESCRIPTORS, ShmArena, ShmSpace, sendWithDescriptors } from './shared-memory.js';

// The raw addon, called with arguments its TypeScript signature forbids.
const untyped = load() as unknown as Record<string, (...args: unknown[]) => unknown>;


describe('native shared memory', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync('/dev/shm/flightcache-native-');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('allocates regions with their segment, offset and segment size, and reports the live segments', () => {
    const space = new ShmSpace(dir);
    const arena = new ShmArena(space);
    const a = arena.allocate(10);
    const b = arena.allocate(10);
    assert.deepEqual([a.offset, b.offset, a.segment === b.segment, a.segmentBytes, a.buffer.byteLength], [0, 64, true, 1 << 20, 10]);
    assert.deepEqual(space.stats(), { segments: 1, capacityBytes: 1 << 20 });
    assert.ok(space.descriptor(a.segment) > 2);
    assert.throws(() => space.descriptor(a.segment + 1000), { name: 'RangeError', message: `shmSegmentDescriptor(space, id): no live segment ${a.segment + 1000}` });
  });

  it('names the errno when segments cannot be created, and rejects wrong handles and sizes', () => {
    assert.throws(() => new ShmSpace(`${dir}/nope`), { code: 'ENOENT' });
    assert.throws(() => untyped.shmOpenArena!({}), { name: 'TypeError', message: 'shmOpenArena(space): space must be a handle from shmOpenSpace, got object' });
    const space = new ShmSpace(dir);
    assert.throws(() => untyped.shmAllocate!(space.handle, 8), { name: 'TypeError', message: 'shmAllocate(arena, bytes): arena must be a handle from shmOpenArena, got external' });
    assert.throws(() => new ShmArena(space).allocate(-1), { name: 'RangeError', message: 'shmAllocate(arena, bytes): bytes must be an integer from 0 to 2^53-1, got -1' });
  });

  it('sends bytes on a Node Unix socket, refuses more descriptors than fit one message, and reports a closed peer', async () => {
    const { server, client, close } = await unixSocketPair(`${dir}/pair.sock`);
    try {
      const space = new ShmSpace(dir);
      const { segment } = new ShmArena(space).allocate(8);
      const received = once(client, 'data');
      assert.equal(sendWithDescriptors(descriptorOf(server), Buffer.from('frame'), [space.descriptor(segment)]), 5);
      assert.equal(String((await received)[0]), 'frame');
      const tooMany = Array.from({ length: MAX_PASSED_DESCRIPTORS + 1 }, () => space.descriptor(segment));
      assert.throws(() => sendWithDescriptors(descriptorOf(server), Buffer.from('x'), tooMany), {
        name: 'RangeError',
        message: `sendWithDescriptors(socket, data, fds): at most ${MAX_PASSED_DESCRIPTORS} descriptors per call, got ${MAX_PASSED_DESCRIPTORS + 1}`,
      });
      client.destroy();
      await once(server, 'end').catch(() => undefined);
      assert.throws(() => sendWithDescriptors(descriptorOf(server), Buffer.from('x'), []), (err: Error & { code?: string }) => err.code === 'EPIPE' || err.code === 'ECONNRESET');
    } finally {
      server.destroy();
      client.destroy();
      await close();
    }
  });

  it('answers -1 without sending anything while the peer does not read and the socket is full', async () => {
    const { server, client, close } = await unixSocketPair(`${dir}/full.sock`);
    try {
      client.pause();
      const chunk = new Uint8Array(64 * 1024);
      let sent = 0;
      for (let i = 0; i < 1000 && sent >= 0; i++) sent = sendWithDescriptors(descriptorOf(server), chunk, []);
      assert.equal(sent, -1);
    } finally {
      server.destroy();
      client.destroy();
      await close();
    }
  });
});
