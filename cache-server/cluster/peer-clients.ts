/**
 * Flight clients for the other processes of a cluster (coordinator to shards, shard to shard), one
 * per location, authenticated with the cluster's credentials when it has them.
 */
import { FlightClient } from '../../client/src/flight-client.js';
import type { Credentials } from '../auth/token-auth.js';

/** A cache of clients by location. */
export class PeerClients {
  readonly #clients = new Map<string, { client: FlightClient; ready: Promise<void> }>();

  constructor(private readonly credentials?: Credentials) {}

  /** A client for `location`, authenticated (Handshake once) when the cluster has credentials. */
  async get(location: string): Promise<FlightClient> {
    let entry = this.#clients.get(location);
    if (!entry) {
      const client = new FlightClient(location);
      const ready = this.credentials ? client.handshake(this.credentials.user, this.credentials.password).then(() => undefined) : Promise.resolve();
      entry = { client, ready };
      this.#clients.set(location, entry);
      // A failed handshake is retried by the next caller rather than cached.
      ready.catch(() => {
        if (this.#clients.get(location) === entry) this.#clients.delete(location);
      });
    }
    await entry.ready;
    return entry.client;
  }

  /** Closes every client. */
  close(): void {
    for (const { client } of this.#clients.values()) client.close();
    this.#clients.clear();
  }
}
