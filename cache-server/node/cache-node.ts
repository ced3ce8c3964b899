/** Assembles a cache node: storage, the Flight service on gRPC/http2, auth, and the ops HTTP server. */
import { GrpcServer } from '../flight/http2/server.js';
import { bindFlightService } from '../flight/service.js';
import { join } from 'node:path';
import { NativeAllocator } from '../storage/allocator.js';
import { SharedMemoryAllocator } from '../storage/shared-memory-allocator.js';
import { SameHostServer } from '../samehost/same-host-server.js';
import { DatasetStore } from '../storage/dataset-store.js';
import { TokenAuth, type Credentials } from '../auth/token-auth.js';
import { silentLogger, type Logger } from '../logger.js';
import { startOpsServer } from '../ops/http-server.js';
import { NodeService } from './node-service.js';
import type { PeerClient } from './fetch-action.js';

/** How to start a node. */
export interface CacheNodeOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Memory limit for stored data in bytes (default: unlimited). */
  memoryBytes?: number;
  credentials?: Credentials;
  /** Port of the ops HTTP server; undefined starts none. */
  httpPort?: number;
  /** Host advertised in FlightInfo locations (default: the listen host, or 127.0.0.1 for wildcards). */
  advertiseHost?: string;
  /** The dataset path [RANK, WORLD] reads when the node holds several (Kubeflow compatibility). */
  defaultDataset?: string;
  /** Clients to peers, for the shard's `fetch` action. */
  peer?: PeerClient;
  /** Directory (a tmpfs) for shared-memory storage and the same-host service; undefined: private memory. */
  shmDir?: string;
  /** The same-host service's Unix socket (default: <shmDir>/flightcache-<port>.sock). */
  shmSocket?: string;
  logger?: Logger;
}

/** A running cache node. */
export interface CacheNode {
  /** grpc://host:port clients connect to. */
  readonly url: string;
  readonly port: number;
  readonly httpPort: number | undefined;
  readonly store: DatasetStore;
  /** The same-host socket path, when the node keeps its data in shared memory. */
  readonly shmSocket: string | undefined;
  close(): Promise<void>;
}

/** Formats a host for a URL (IPv6 in brackets). */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Starts a cache node and resolves once it accepts calls. */
export async function startCacheNode(options: CacheNodeOptions = {}): Promise<CacheNode> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? silentLogger;
  const memoryBytes = options.memoryBytes ?? Infinity;
  const shared = options.shmDir === undefined ? undefined : new SharedMemoryAllocator(options.shmDir, memoryBytes);
  const store = new DatasetStore({ allocator: shared ?? new NativeAllocator(memoryBytes) });
  const auth = options.credentials ? new TokenAuth(options.credentials) : undefined;
  const advertise = options.advertiseHost ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
  let url = '';
  let sameHost: SameHostServer | undefined;
  const service = new NodeService({
    store,
    location: () => url,
    ...(auth ? { auth } : {}),
    ...(options.defaultDataset !== undefined ? { defaultDataset: options.defaultDataset } : {}),
    ...(options.peer ? { peer: options.peer } : {}),
    sameHost: () => sameHost,
  });
  const server = new GrpcServer({
    methods: bindFlightService(service),
    interceptors: auth ? [auth.interceptor()] : [],
    logger,
  });
  const address = await server.listen({ host, port: options.port ?? 8815 });
  url = `grpc://${urlHost(advertise)}:${address.port}`;
  if (shared) {
    const socketPath = options.shmSocket ?? join(shared.directory, `flightcache-${address.port}.sock`);
    try {
      sameHost = await SameHostServer.start({ socketPath, store, allocator: shared, auth, instance: service.actions.instance, location: url });
    } catch (err) {
      await server.close(0);
      throw err;
    }
  }
  let ready = true;
  const ops =
    options.httpPort === undefined
      ? undefined
      : await startOpsServer({ ready: () => ready, stats: () => service.actions.stats() }, host, options.httpPort);
  logger.info({ url, httpPort: ops?.port, memoryBytes: options.memoryBytes, auth: Boolean(auth), shmSocket: sameHost?.describe().socket }, 'cache node listening');
  return {
    url,
    port: address.port,
    httpPort: ops?.port,
    store,
    shmSocket: sameHost?.describe().socket,
    async close() {
      ready = false;
      await sameHost?.close();
      await server.close(2000);
      await ops?.close();
    },
  };
}
