/**
 * How the operator reaches a DataCache's coordinator: its addresses from templates (in a cluster the
 * coordinator Service's DNS name), readiness and statistics over its HTTP ops port (/readyz, /stats),
 * and the `load` and `drop` actions over Flight with the TypeScript client.
 */
import type { ClusterStats } from '../cache-server/cluster/cluster-actions.js';
import type { LoadResult } from '../cache-server/loaders/dataset-loader.js';
import { FlightClient } from '../client/src/flight-client.js';
import { Code, FlightError } from '../client/src/flight/errors.js';
import { GRPC_PORT, HTTP_PORT, type DataCache } from './datacache.js';

/** The coordinator Service's gRPC address; `{name}` is the DataCache's name, `{namespace}` its namespace. */
export const DEFAULT_GRPC_ADDRESS = `{name}-coordinator.{namespace}.svc:${GRPC_PORT}`;
/** The coordinator Service's HTTP ops address. */
export const DEFAULT_HTTP_ADDRESS = `{name}-coordinator.{namespace}.svc:${HTTP_PORT}`;

/** host:port templates of a coordinator's gRPC and HTTP ops ports. */
export interface CoordinatorAddresses {
  grpc: string;
  http: string;
}

/** How long a /readyz or /stats request may take: a reconcile must not hang on an unreachable coordinator. */
const HTTP_TIMEOUT_MS = 5000;
/** A load runs as long as its files take; the action's deadline only bounds a stuck coordinator. */
const LOAD_TIMEOUT_MS = 24 * 3600_000;

/** Fills `{name}` and `{namespace}` of an address template with the DataCache's. */
export function expandAddress(template: string, cache: DataCache): string {
  return template.replaceAll('{name}', cache.metadata.name).replaceAll('{namespace}', cache.metadata.namespace);
}

/** What the coordinator's HTTP port said: whether /readyz answered 200, and /stats when it answered. */
export interface CoordinatorView {
  ready: boolean;
  stats?: ClusterStats;
  /** Why it could not be read (unreachable, not ready). */
  error?: string;
}

/** One DataCache's coordinator. */
export class CoordinatorClient {
  private readonly grpcUrl: string;
  private readonly httpUrl: string;

  /** `token`: a bearer token for a coordinator with authentication on. */
  constructor(
    addresses: CoordinatorAddresses,
    cache: DataCache,
    private readonly token?: string,
  ) {
    this.grpcUrl = `grpc://${expandAddress(addresses.grpc, cache)}`;
    this.httpUrl = `http://${expandAddress(addresses.http, cache)}`;
  }

  /** Reads /readyz, then /stats once it is ready; never throws (an unreachable coordinator is a view without stats). */
  async observe(): Promise<CoordinatorView> {
    try {
      const readyz = await fetch(`${this.httpUrl}/readyz`, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
      const text = await readyz.text();
      if (readyz.status !== 200) return { ready: false, error: `${this.httpUrl}/readyz answered ${readyz.status}: ${text.trim()}` };
      const headers: Record<string, string> = this.token === undefined ? {} : { authorization: `Bearer ${this.token}` };
      const stats = await fetch(`${this.httpUrl}/stats`, { headers, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
      if (stats.status !== 200) return { ready: true, error: `${this.httpUrl}/stats answered ${stats.status}: ${(await stats.text()).trim()}` };
      return { ready: true, stats: (await stats.json()) as ClusterStats };
    } catch (err) {
      return { ready: false, error: `${this.httpUrl} unreachable: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}` };
    }
  }

  /** Runs the `load` action (body as parseLoadRequest reads it) until the coordinator finished it. */
  async load(body: string): Promise<LoadResult> {
    const client = this.client();
    try {
      return await client.action<LoadResult>('load', body, { timeoutMs: LOAD_TIMEOUT_MS });
    } finally {
      client.close();
    }
  }

  /** Drops a dataset (cancelling its load); one that does not exist is already dropped. */
  async drop(name: string): Promise<void> {
    const client = this.client();
    try {
      await client.action('drop', name, { timeoutMs: HTTP_TIMEOUT_MS * 6 });
    } catch (err) {
      if (FlightError.from(err).code !== Code.NOT_FOUND) throw err;
    } finally {
      client.close();
    }
  }

  private client(): FlightClient {
    return new FlightClient(this.grpcUrl, this.token === undefined ? {} : { token: this.token });
  }
}
