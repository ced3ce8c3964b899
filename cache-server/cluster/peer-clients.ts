/**
 * Flight clients for the other processes of a cluster (coordinator to shards, shard to shard), one
 * per location, carrying the cluster token (minted with the cluster's signing key) when it has one,
 * and over grpc+tls:// presenting the process's own certificate (mTLS) and trusting its CA.
 */
import { FlightClient } from '../../client/src/flight-client.js';
import type { TlsCredentials, TlsMaterial } from '../../client/src/flight/http2/tls.js';

/** A cache of clients by location. */
export class PeerClients {
  readonly #clients = new Map<string, { client: FlightClient; token: string | undefined; tls: TlsMaterial | undefined }>();
  /** Clients whose token or certificate was renewed: a caller may still be about to use one, so they close with the rest. */
  readonly #retired: FlightClient[] = [];

  /**
   * `token` returns the current cluster token (renewed before it expires); absent: the cluster is open.
   * `tls`: the process's credentials, reloaded by its server; absent: plaintext peers only.
   */
  constructor(
    private readonly token?: () => string,
    private readonly tls?: TlsCredentials,
  ) {}

  /** A client for `location` carrying the current token and certificate; a renewed token or certificate gets a new client. */
  async get(location: string): Promise<FlightClient> {
    const token = this.token?.();
    const tls = this.tls?.current;
    let entry = this.#clients.get(location);
    if (entry && (entry.token !== token || entry.tls !== tls)) {
      this.#retired.push(entry.client);
      entry = undefined;
    }
    if (!entry) {
      // Peers fail fast: heartbeats time their answers, and the coordinator's jobs retry on their own.
      entry = { client: new FlightClient(location, { retryUnavailableMs: 0, ...(token === undefined ? {} : { token }), ...(tls === undefined ? {} : { tls }) }), token, tls };
      this.#clients.set(location, entry);
    }
    return entry.client;
  }

  /** Closes every client. */
  close(): void {
    for (const { client } of this.#clients.values()) client.close();
    for (const client of this.#retired.splice(0)) client.close();
    this.#clients.clear();
  }
}
