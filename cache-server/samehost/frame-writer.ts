/**
 * Writes frames on one same-host connection in order. Ordinary frames go through the Node socket
 * (libuv queues them and `drain` gives backpressure); a frame that carries descriptors waits until
 * everything before it has reached the kernel, then goes out with one native sendmsg (SCM_RIGHTS),
 * its unsent tail, if any, through the socket again. So descriptors always arrive with their frame.
 */
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { sendWithDescriptors } from '../../native/lib/shared-memory.js';

/** The longest pause between tries while a full socket refuses a frame with descriptors. */
const MAX_RETRY_MS = 20;

/** The descriptor of a connected Node socket (Node exposes it only on its internal handle). */
function descriptorOf(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new FlightError(Code.INTERNAL, 'same-host connection has no socket descriptor');
  return fd;
}

/** Sequential frame writer of one connection; every method rejects once the connection is gone. */
export class FrameWriter {
  readonly #fd: number;
  /** Settles when the last chunk written so far has been handed to the kernel. */
  #flushed: Promise<void> = Promise.resolve();
  /** While the socket is full: settles on its next `drain` or `close` (one listener pair for every waiting writer). */
  #drained: Promise<void> | undefined;

  constructor(private readonly socket: Socket) {
    this.#fd = descriptorOf(socket);
  }

  /** Queues a frame's chunks; resolves when the socket can take more (backpressure). */
  async write(chunks: readonly Uint8Array[]): Promise<void> {
    this.#checkOpen();
    let full = false;
    chunks.forEach((chunk, i) => {
      if (i < chunks.length - 1) full = !this.socket.write(chunk) || full;
      else {
        this.#flushed = new Promise((resolve) => {
          full = !this.socket.write(chunk, () => resolve()) || full;
        });
      }
    });
    if (full) await this.#drain();
  }

  /** Sends one frame (in one buffer) with `fds` attached to its first byte, after everything queued before it. */
  async writeWithDescriptors(frame: Uint8Array, fds: readonly number[]): Promise<void> {
    this.#checkOpen();
    await this.#flushed;
    for (let wait = 1; ; wait = Math.min(wait * 2, MAX_RETRY_MS)) {
      this.#checkOpen();
      const sent = this.#send(frame, fds);
      if (sent >= 0) {
        if (sent < frame.length) await this.write([frame.subarray(sent)]);
        return;
      }
      // The kernel buffer is full and libuv does not watch this fd for us: try again shortly.
      await sleep(wait);
    }
  }

  #send(frame: Uint8Array, fds: readonly number[]): number {
    try {
      return sendWithDescriptors(this.#fd, frame, fds);
    } catch (err) {
      this.socket.destroy();
      throw new FlightError(Code.UNAVAILABLE, `same-host reader went away: ${(err as Error).message}`, { cause: err });
    }
  }

  async #drain(): Promise<void> {
    this.#drained ??= new Promise<void>((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        this.#drained = undefined;
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
    await this.#drained;
    this.#checkOpen();
  }

  #checkOpen(): void {
    if (this.socket.destroyed || !this.socket.writable) throw new FlightError(Code.UNAVAILABLE, 'same-host reader went away');
  }
}
