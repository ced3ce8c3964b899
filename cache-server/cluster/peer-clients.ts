/**
 * Flight clients for the other processes of a cluster (coordinator to shards, shard to shard), one
 * per location, carrying the cluster token (minted with the cluster's signing key) when it has one.
 */
import { FlightClient } from '../../client/src/flight-client.js';

/** A cache of clients by location. */
export class PeerClients {
  readonly #clients = new Map<string, { client: FlightClient; token: string | undefined }>();
  /** Clients whose token was renewed: a caller may still be about to use one, so they close with the rest. */
  readonly #retired: FlightClient[] = [];

  /** `token` returns the current cluster token (renewed before it expires); absent: the cluster is open. */
  constructor(private readonly token?: () => string) {}

  /** A client for `location` carrying the current token; a renewed token gets a new client. */
  async get(location: string): Promise<FlightClient> {
    const token = this.token?.();
    let entry = this.#clients.get(location);
    if (entry && entry.token !== token) {
      this.#retired.push(entry.client);
      entry = undefined;
    }
    if (!entry) {
      entry = { client: new FlightClient(location, token === undefined ? {} : { token }), token };
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
