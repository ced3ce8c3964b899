import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { descriptorOf, unixSocketPair } from '../../native/lib/testing/unix-socket-pair.js';
import { Code } from '../../client/src/flight/errors.js';
import { ShmArena, ShmSpace, sendWithDescriptors } from '../../native/lib/shared-memory.js';
import { FrameWriter } from './frame-writer.js';


describe('FrameWriter', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync('/dev/shm/flightcache-writer-');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps a frame with descriptors in order behind a backlog the reader has not read yet', async () => {
    const { server, client, close } = await unixSocketPair(`${dir}/order.sock`);
    try {
      const space = new ShmSpace(dir);
      // Held until the end: the segment (and its descriptor) lives as long as a region of it does.
      const region = new ShmArena(space).allocate(8);
      const writer = new FrameWriter(server);
      client.pause();
      // 8 MiB of 'a' cannot fit the socket buffers: most of it waits in libuv's queue.
      const backlog = Array.from({ length: 128 }, () => new Uint8Array(64 * 1024).fill(0x61));
      const queued = Promise.all(backlog.map((chunk) => writer.write([chunk])));
      const passed = writer.writeWithDescriptors(new Uint8Array(16).fill(0x62), [space.descriptor(region.segment)]);
      const after = passed.then(() => writer.write([new Uint8Array(4).fill(0x63)]));
      const received: Buffer[] = [];
      client.on('data', (chunk: Buffer) => received.push(chunk));
      client.resume();
      await Promise.all([queued, passed, after]);
      while (received.reduce((n, c) => n + c.length, 0) < 128 * 64 * 1024 + 20) await new Promise((resolve) => setTimeout(resolve, 5));
      const all = Buffer.concat(received);
      assert.equal(all.length, 128 * 64 * 1024 + 20);
      assert.ok(all.subarray(0, 128 * 64 * 1024).every((byte) => byte === 0x61));
      assert.equal(all.subarray(128 * 64 * 1024).toString(), 'b'.repeat(16) + 'c'.repeat(4));
      assert.equal(region.buffer.byteLength, 8);
    } finally {
      server.destroy();
      client.destroy();
      await close();
    }
  });

  it('waits while the kernel buffer is full and sends the frame whole once the reader reads again', async () => {
    const { server, client, close } = await unixSocketPair(`${dir}/full.sock`);
    try {
      const writer = new FrameWriter(server);
      client.pause();
      const fd = descriptorOf(server);
      // A paused Node socket still reads until its stream buffer is full: fill until a send after a pause is refused.
      let filled = 0;
      for (let round = 0, sent = 0; round < 100; round++) {
        for (sent = 0; sent >= 0; filled += Math.max(sent, 0)) sent = sendWithDescriptors(fd, new Uint8Array(4096).fill(0x61), []);
        await new Promise((resolve) => setTimeout(resolve, 10));
        sent = sendWithDescriptors(fd, new Uint8Array(4096).fill(0x61), []);
        if (sent < 0) break;
        filled += sent;
      }
      let done = false;
      const passed = writer.writeWithDescriptors(new Uint8Array(8).fill(0x62), []).then(() => (done = true));
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(done, false);
      const received: Buffer[] = [];
      client.on('data', (chunk: Buffer) => received.push(chunk));
      client.resume();
      await passed;
      while (received.reduce((n, c) => n + c.length, 0) < filled + 8) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(Buffer.concat(received).subarray(filled).toString(), 'bbbbbbbb');
    } finally {
      server.destroy();
      client.destroy();
      await close();
    }
  });

  it('fails UNAVAILABLE once the reader is gone', async () => {
    const { server, client, close } = await unixSocketPair(`${dir}/gone.sock`);
    try {
      const writer = new FrameWriter(server);
      client.destroy();
      await once(server, 'close');
      await assert.rejects(writer.write([Uint8Array.of(1)]), { code: Code.UNAVAILABLE, message: 'same-host reader went away' });
      await assert.rejects(writer.writeWithDescriptors(Uint8Array.of(1), []), { code: Code.UNAVAILABLE, message: 'same-host reader went away' });
    } finally {
      await close();
    }
  });
});
