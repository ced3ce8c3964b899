/** Assembles a cache node: storage, the Flight service on gRPC/http2, auth, and the ops HTTP server. */
import { GrpcServer } from '../flight/http2/server.js';
import type { TlsCredentials } from '../../client/src/flight/http2/tls.js';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { RequestMemory } from '../../client/src/flight/grpc/method.js';
import { bindFlightService, type FlightRequestLimits } from '../../client/src/flight/service.js';
import { defaultMemoryBytes, requestLimits } from '../config.js';
import { join } from 'node:path';
import { NativeAllocator, type BudgetedAllocator } from '../storage/allocator.js';
import { SharedMemoryAllocator } from '../storage/shared-memory-allocator.js';
import { SameHostServer } from '../samehost/same-host-server.js';
import { DatasetStore } from '../storage/dataset-store.js';
import type { TokenAuth } from '../auth/token-auth.js';
import { authorizeService } from '../auth/authorize.js';
import { withFlightSql } from '../flightsql/flight-sql-service.js';
import { silentLogger, type Logger } from '../logger.js';
import { startOpsServer, type OpsSource } from '../ops/http-server.js';
import { ProcessMetrics } from '../ops/metrics.js';
import { nodeOverview } from '../ops/overview.js';
import { NodeService } from './node-service.js';
import type { PeerClient } from './fetch-action.js';

/** How to start a node. */
export interface CacheNodeOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Memory limit for stored data and buffered requests in bytes (default: config.ts's defaultMemoryBytes). */
  memoryBytes?: number;
  /** Authentication and per-dataset authorization of every call; absent: the node is open. */
  auth?: TokenAuth;
  /** Port of the ops HTTP server; undefined starts none. */
  httpPort?: number;
  /** Host of the ops HTTP server (default: host). On a host of its own, /stats and /metrics need no token. */
  httpHost?: string;
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
  /** The disk tier's directory: past the memory budget, least recently read datasets spill there. */
  spillDir?: string;
  /** Request message limits (default: config.ts's defaults). */
  requestLimits?: FlightRequestLimits;
  /** Calls one connection may have open at once (default: the transport's DEFAULT_MAX_STREAMS). */
  maxStreams?: number;
  /** Serve TLS (mTLS when it has a CA) and advertise grpc+tls:// locations; absent: plaintext. */
  tls?: TlsCredentials;
  logger?: Logger;
}

/** A running cache node. */
export interface CacheNode {
  /** grpc://host:port (grpc+tls:// with TLS) clients connect to. */
  readonly url: string;
  readonly port: number;
  readonly httpPort: number | undefined;
  readonly store: DatasetStore;
  /** The same-host socket path, when the node keeps its data in shared memory. */
  readonly shmSocket: string | undefined;
  close(): Promise<void>;
}

/** Request buffers in JS memory, charged to `allocator`'s budget while held. */
export function requestMemory(allocator: BudgetedAllocator): RequestMemory {
  return (bytes) => {
    const release = allocator.charge(bytes);
    try {
      return { bytes: new Uint8Array(bytes), release };
    } catch (err) {
      release();
      throw new FlightError(Code.RESOURCE_EXHAUSTED, `cannot allocate ${bytes} bytes for a request`, { cause: err });
    }
  };
}

/** The ops server's token check: with auth, unless the ops server has a host of its own (--http-host). */
export function opsAuthorization(auth: TokenAuth | undefined, httpHost: string | undefined): Pick<OpsSource, 'authorize'> {
  return auth && httpHost === undefined ? { authorize: (header, peer) => void auth.authenticate(header, peer) } : {};
}

/** Formats a host for a URL (IPv6 in brackets). */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The location a server advertises: grpc+tls:// when it serves TLS. */
export function serverLocation(host: string, port: number, tls: TlsCredentials | undefined): string {
  return `${tls ? 'grpc+tls' : 'grpc'}://${urlHost(host)}:${port}`;
}

/** Starts a cache node and resolves once it accepts calls. */
export async function startCacheNode(options: CacheNodeOptions = {}): Promise<CacheNode> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? silentLogger;
  const memoryBytes = options.memoryBytes ?? defaultMemoryBytes();
  const shared = options.shmDir === undefined ? undefined : new SharedMemoryAllocator(options.shmDir, memoryBytes);
  const allocator = shared ?? new NativeAllocator(memoryBytes);
  const store = new DatasetStore({ allocator, ...(options.spillDir !== undefined ? { spillDir: options.spillDir } : {}) });
  const auth = options.auth;
  const advertise = options.advertiseHost ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
  let url = '';
  let sameHost: SameHostServer | undefined;
  const metrics: ProcessMetrics = new ProcessMetrics(() => service.actions.stats());
  const service: NodeService = new NodeService({
    store,
    location: () => url,
    ...(auth ? { auth } : {}),
    ...(options.defaultDataset !== undefined ? { defaultDataset: options.defaultDataset } : {}),
    ...(options.peer ? { peer: options.peer } : {}),
    sameHost: () => sameHost,
    logger,
    traffic: () => metrics.traffic(),
  });
  const server = new GrpcServer({
    // Requests are buffered in memory charged to the same limit as stored data.
    methods: bindFlightService(withFlightSql(auth ? authorizeService(service) : service), options.requestLimits ?? requestLimits(), requestMemory(allocator)),
    interceptors: auth ? [auth.interceptor()] : [],
    logger,
    onCallFinished: (call) => metrics.observeCall(call),
    ...(options.maxStreams !== undefined ? { maxConcurrentStreams: options.maxStreams } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
  });
  const address = await server.listen({ host, port: options.port ?? 8815 });
  url = serverLocation(advertise, address.port, options.tls);
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
      : await startOpsServer(
          {
            ready: () => ready,
            logger,
            stats: () => service.actions.stats(),
            metrics,
            overview: async () => nodeOverview(service.actions.stats(), metrics.traffic(), metrics.recentErrors()),
            ...opsAuthorization(auth, options.httpHost),
          },
          options.httpHost ?? host,
          options.httpPort,
        );
  logger.info({ url, httpPort: ops?.port, memoryBytes: options.memoryBytes, auth: Boolean(auth), mtls: options.tls?.verifiesClients, shmSocket: sameHost?.describe().socket }, 'cache node listening');
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
