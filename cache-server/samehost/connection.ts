/**
 * One same-host connection: `hello` (the gRPC credentials), then `get` requests answered with a
 * ticket's read steps (node/share-stream.ts planTicket) as references into shared memory, and
 * `release`. Requests run one at a time in arrival order. Which segments the reader has received is
 * kept per connection, so their bytes count as held by readers until it closes or releases them.
 */
import { closeSync, openSync } from 'node:fs';
import type { Socket } from 'node:net';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { encapsulate } from '../../client/src/flight/protocol/ipc-message.js';
import type { Identity, TokenAuth } from '../auth/token-auth.js';
import { requireScope } from '../auth/authorize.js';
import type { DatasetStore } from '../storage/dataset-store.js';
import type { SegmentUse, SharedMemoryAllocator, SharedRef } from '../storage/shared-memory-allocator.js';
import type { StoredMessage } from '../storage/stored-message.js';
import { decodeTicket } from '../node/ticket.js';
import { planTicket, ticketDataset, type ReadStep } from '../node/share-stream.js';
import { MAX_PASSED_DESCRIPTORS } from '../../native/lib/shared-memory.js';
import { encodeFrame, FrameDecoder, type Frame } from './frames.js';
import { FrameWriter } from './frame-writer.js';
import { spilledSegment } from '../storage/spill.js';

/** Opens a spill file to pass its descriptor (recorded in `opened`); gone means its dataset was dropped since the read began. */
function openSpill(path: string, opened: number[]): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new FlightError(Code.ABORTED, `the dataset was dropped while it was read (its spill file ${path}: ${(err as Error).message})`);
  }
  opened.push(fd);
  return fd;
}

/** What a connection needs from its node. */
export interface ConnectionContext {
  readonly store: DatasetStore;
  readonly allocator: SharedMemoryAllocator;
  readonly auth: TokenAuth | undefined;
  /** How failed hellos are counted for rate limiting: the socket path (every reader shares the host). */
  readonly peer: string;
  /** The `hello` reply's fields other than type and version. */
  readonly hello: () => Record<string, unknown>;
}

/** The protocol version this node speaks. */
export const PROTOCOL_VERSION = 1;

const REQUESTS = ['hello', 'get', 'release'];
/** Requests a reader may have waiting; past it the node stops reading its socket until some are done. */
const MAX_PENDING = 64;

/** Serves one connected reader until it closes. */
export class SameHostConnection {
  readonly #decoder = new FrameDecoder(0);
  readonly #writer: FrameWriter;
  /** Segments the reader has received, with their use (for held bytes). */
  readonly held = new Map<number, SegmentUse>();
  #authenticated = false;
  /** Who the hello proved to be, when the node has auth: each get is checked against its read scope. */
  #identity: Identity | undefined;
  /** Set once the node hangs up: nothing more is read or answered. */
  #closing = false;
  #queue: Promise<void> = Promise.resolve();
  #pending = 0;

  constructor(
    private readonly socket: Socket,
    private readonly context: ConnectionContext,
  ) {
    this.#writer = new FrameWriter(socket);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    // A reader that vanishes is not an error of the node's.
    socket.on('error', () => socket.destroy());
  }

  #receive(chunk: Uint8Array): void {
    if (this.#closing) return;
    let frames: Frame[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (err) {
      // The framing is lost: answer once, then hang up.
      this.#closing = true;
      this.socket.pause();
      this.#enqueue(async () => {
        await this.#sendError(err);
        this.socket.end();
      });
      return;
    }
    for (const frame of frames) this.#enqueue(() => this.#handle(frame));
  }

  #enqueue(task: () => Promise<void>): void {
    if (++this.#pending > MAX_PENDING) this.socket.pause();
    this.#queue = this.#queue
      .then(task)
      .catch(() => {
        this.socket.destroy();
      })
      .finally(() => {
        if (--this.#pending === MAX_PENDING && !this.#closing) this.socket.resume();
      });
  }

  async #handle(frame: Frame): Promise<void> {
    if (this.socket.destroyed || this.#closing) return;
    try {
      if (!this.#authenticated && frame.json.type !== 'hello') {
        throw new FlightError(Code.UNAUTHENTICATED, `send hello first: "${frame.json.type}" before a successful hello`);
      }
      switch (frame.json.type) {
        case 'hello':
          return await this.#hello(frame.json);
        case 'get':
          return await this.#get(frame.json);
        case 'release':
          return this.#release(frame.json);
        default:
          throw new FlightError(Code.INVALID_ARGUMENT, `unknown request type "${frame.json.type}"; known: ${REQUESTS.join(', ')}`);
      }
    } catch (err) {
      const error = FlightError.from(err);
      await this.#sendError(error);
      if (error.code === Code.UNAUTHENTICATED) {
        this.#closing = true;
        this.socket.end();
      }
    }
  }

  async #hello(request: Frame['json']): Promise<void> {
    if (this.#authenticated) throw new FlightError(Code.INVALID_ARGUMENT, 'hello was already sent on this connection');
    if (request.version !== undefined && request.version !== PROTOCOL_VERSION) {
      throw new FlightError(Code.INVALID_ARGUMENT, `hello asks for protocol version ${JSON.stringify(request.version)}; this node speaks ${PROTOCOL_VERSION}`);
    }
    const authorization = request.authorization;
    if (authorization !== undefined && typeof authorization !== 'string') {
      throw new FlightError(Code.UNAUTHENTICATED, 'hello "authorization" must be a string ("Bearer <token>" or "Basic <base64>")');
    }
    this.#identity = this.context.auth?.authenticate(authorization, this.context.peer);
    this.#authenticated = true;
    await this.#writer.write(encodeFrame({ type: 'hello', version: PROTOCOL_VERSION, ...this.context.hello() }));
  }

  async #get(request: Frame['json']): Promise<void> {
    const ticket = request.ticket;
    if (typeof ticket !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(ticket) || ticket.length % 4 !== 0) {
      throw new FlightError(Code.INVALID_ARGUMENT, 'get "ticket" must be the Flight ticket in padded standard base64');
    }
    const ticketRequest = decodeTicket(Buffer.from(ticket, 'base64'));
    // The same rule as DoGet's (auth/authorize.ts): a partition ticket is read under its dataset's name.
    if (this.#identity) requireScope(this.#identity, 'read', ticketRequest.global ?? ticketRequest.dataset);
    const dataset = ticketDataset(this.context.store, ticketRequest);
    for (const step of planTicket(dataset, ticketRequest, { dictionariesPerSource: true })) {
      if (step.kind === 'schema') {
        // The reader builds batches from stored buffers; computed columns exist only in DoGet's batches.
        if (step.select) throw new FlightError(Code.UNIMPLEMENTED, 'the same-host path does not compute select-list expressions: read this query with DoGet');
        const output = step.projection ? encapsulate(step.header) : dataset.schema.encapsulated;
        const source = dataset.schema.encapsulated;
        const payload = new Uint8Array(source.length + output.length);
        payload.set(source);
        payload.set(output, source.length);
        await this.#writer.write(encodeFrame({ type: 'schema', columns: ticketRequest.columns ?? null, sourceLength: source.length }, payload));
      } else {
        await this.#writer.write(await this.#stepFrame(step));
      }
    }
    await this.#writer.write(encodeFrame({ type: 'end' }));
  }

  /** The frame of a dictionary or batch step, after sending the segments it refers to that the reader lacks. */
  async #stepFrame(step: Exclude<ReadStep, { kind: 'schema' }>): Promise<Uint8Array[]> {
    const dictionaries = step.kind === 'batch' ? step.dictionaries ?? [] : [];
    const refs = await this.#refs([...(step.kind === 'dictionary' ? [step.message] : step.sources), ...dictionaries.flat()]);
    if (step.kind === 'dictionary') return encodeFrame({ type: 'dictionary', ref: refs[0] });
    let at = step.sources.length;
    const base = {
      type: 'batch',
      rows: step.rows,
      cursor: step.cursor,
      sources: refs.slice(0, at),
      ...(step.dictionaries ? { dictionaries: step.dictionaries.map((list) => refs.slice(at, (at += list.length))) } : {}),
    };
    if (!step.picks) return encodeFrame({ ...base, picks: null });
    const count = step.picks.row.length;
    const payload = new Uint8Array(count * 8);
    // Host order, which is little-endian on every platform Node runs this on (x86-64, arm64).
    const words = new Uint32Array(payload.buffer);
    words.set(step.picks.source, 0);
    words.set(step.picks.row, count);
    return encodeFrame({ ...base, picks: count }, payload);
  }

  /** The messages' locations; first sends the reader the segments among them it has not received (spill files too). */
  async #refs(messages: readonly StoredMessage[]): Promise<SharedRef[]> {
    const missing = new Map<number, { use: SegmentUse; spillPath?: string }>();
    const refs = messages.map((message) => {
      const shared = this.context.allocator.locate(message.encapsulated);
      const spilled = shared ? undefined : spilledSegment(message.encapsulated);
      const placement = shared ?? spilled;
      if (!placement) throw new FlightError(Code.INTERNAL, 'a stored message is neither in shared memory nor in a spill file');
      if (!this.held.has(placement.ref.segment)) missing.set(placement.ref.segment, { use: placement.use, ...(spilled ? { spillPath: spilled.path } : {}) });
      return placement.ref;
    });
    const uses = [...missing.values()];
    for (let i = 0; i < uses.length; i += MAX_PASSED_DESCRIPTORS) {
      const batch = uses.slice(i, i + MAX_PASSED_DESCRIPTORS);
      const opened: number[] = [];
      try {
        // A spill file's descriptor is opened for the send only: the kernel hands the reader its own.
        const fds = batch.map(({ use, spillPath }) => (spillPath === undefined ? this.context.allocator.descriptor(use.id) : openSpill(spillPath, opened)));
        const [frame] = encodeFrame({ type: 'segments', segments: batch.map(({ use }) => ({ id: use.id, bytes: use.capacity })) });
        await this.#writer.writeWithDescriptors(frame!, fds);
      } finally {
        for (const fd of opened) closeSync(fd);
      }
      for (const { use } of batch) this.held.set(use.id, use);
    }
    return refs;
  }

  #release(request: Frame['json']): void {
    const segments = request.segments;
    if (!Array.isArray(segments) || !segments.every((id) => Number.isSafeInteger(id))) {
      throw new FlightError(Code.INVALID_ARGUMENT, 'release "segments" must be an array of segment ids');
    }
    for (const id of segments as number[]) this.held.delete(id);
  }

  async #sendError(err: unknown): Promise<void> {
    const error = FlightError.from(err);
    await this.#writer.write(encodeFrame({ type: 'error', code: error.codeName, status: error.code, message: error.message })).catch(() => undefined);
  }
}
