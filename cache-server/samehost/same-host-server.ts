/**
 * The same-host service of a node with shared-memory storage: a Unix socket where readers on this
 * host authenticate and read tickets as references into the node's segments (docs/same-host.md).
 * It keeps the connections, so it can say how many bytes of dropped datasets readers still hold.
 */
import { lstatSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { TokenAuth } from '../auth/token-auth.js';
import type { DatasetStore } from '../storage/dataset-store.js';
import type { SegmentUse, SharedMemoryAllocator } from '../storage/shared-memory-allocator.js';
import { SameHostConnection } from './connection.js';
import { hostId } from '../../client/src/host-id.js';

/** How to start the service. */
export interface SameHostOptions {
  readonly socketPath: string;
  readonly store: DatasetStore;
  readonly allocator: SharedMemoryAllocator;
  readonly auth: TokenAuth | undefined;
  /** The node's instance id (as in the health action). */
  readonly instance: string;
  /** The node's gRPC location. */
  readonly location: string;
}

/** What the `same-host` action answers: where to connect and how to check it is this node. */
export interface SameHostDescription {
  readonly socket: string;
  readonly instance: string;
  readonly hostId: string;
  readonly shmDir: string;
}

/** The `sameHost` part of node stats. */
export interface SameHostStats {
  readonly shmDir: string;
  readonly socket: string;
  /** Bytes of stored regions in shared memory (charged to the budget). */
  readonly shmBytes: number;
  /** Bytes released from the budget (dropped datasets) that open connections still hold. */
  readonly heldBytes: number;
  /** Bytes of the segments open connections hold mapped. */
  readonly mappedBytes: number;
  readonly connections: number;
}

/** A listening same-host service. */
export class SameHostServer {
  readonly #connections = new Map<Socket, SameHostConnection>();

  private constructor(
    private readonly server: Server,
    private readonly options: SameHostOptions,
  ) {}

  /** Listens on the socket path, replacing a stale socket file a dead process left; FAILED_PRECONDITION when a live one answers there. */
  static async start(options: SameHostOptions): Promise<SameHostServer> {
    await removeStaleSocket(options.socketPath);
    const server = createServer();
    const service = new SameHostServer(server, options);
    server.on('connection', (socket) => service.#accept(socket));
    server.listen(options.socketPath);
    await once(server, 'listening');
    return service;
  }

  /** The answer of the `same-host` action. */
  describe(): SameHostDescription {
    return { socket: this.options.socketPath, instance: this.options.instance, hostId: hostId(), shmDir: this.options.allocator.directory };
  }

  stats(): SameHostStats {
    const held = new Set<SegmentUse>();
    for (const connection of this.#connections.values()) for (const use of connection.held.values()) held.add(use);
    let heldBytes = 0;
    let mappedBytes = 0;
    for (const use of held) {
      heldBytes += use.releasedBytes;
      mappedBytes += use.capacity;
    }
    return {
      shmDir: this.options.allocator.directory,
      socket: this.options.socketPath,
      shmBytes: this.options.allocator.usedBytes,
      heldBytes,
      mappedBytes,
      connections: this.#connections.size,
    };
  }

  /** Stops listening, closes every connection and removes the socket file. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.#connections.keys()) socket.destroy();
    await closed;
  }

  #accept(socket: Socket): void {
    const connection = new SameHostConnection(socket, {
      store: this.options.store,
      allocator: this.options.allocator,
      auth: this.options.auth,
      peer: `unix:${this.options.socketPath}`,
      hello: () => ({ instance: this.options.instance, location: this.options.location, hostId: hostId(), shmDir: this.options.allocator.directory }),
    });
    this.#connections.set(socket, connection);
    socket.on('close', () => this.#connections.delete(socket));
  }
}

/** Removes a socket file nobody listens on; refuses to take over a path where a live service answers. */
async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) throw new FlightError(Code.FAILED_PRECONDITION, `--shm-socket ${path} exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new FlightError(Code.FAILED_PRECONDITION, `--shm-socket ${path} is in use by a running process`);
  unlinkSync(path);
}
