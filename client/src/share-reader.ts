/**
 * Reading a rank's share of a dataset from a cluster (or a single node) with failover: each
 * endpoint is read from the first of its locations that works; when a stream breaks, the read is
 * planned again at the head with `start_after` set to the last cursor received, so it continues at
 * the exact row where it stopped, on another replica. The head is the server that answers
 * GetFlightInfo (a coordinator or a node); endpoints without locations are read from it.
 */
import type { RecordBatch } from 'apache-arrow';
import { Code, FlightError } from './flight/errors.js';
import type { FlightData } from './flight/protocol/messages.js';
import { ArrowStreamDecoder } from './flight/protocol/arrow-codec.js';
import { FlightClient, cmdDescriptor } from './flight-client.js';

/** What to read: the JSON command of docs/cluster.md, in camelCase. */
export interface ShareOptions {
  rank?: number;
  worldSize?: number;
  columns?: string[];
  /** A SQL predicate: only the rows where it is TRUE are read (README, "Queries"). */
  filter?: string;
  shuffle?: boolean;
  seed?: number;
  epoch?: number;
  batchRows?: number;
  /** Continue after this cursor. */
  startAfter?: string;
  /** Re-split what an interrupted epoch of `worldSize` ranks left, given each rank's last cursor (and the old ranks' hosts when it was read with `hosts`). */
  resume?: { worldSize: number; cursors: (string | null)[]; hosts?: string[] };
  /** Where this rank runs (`hostId()`): endpoints list the replicas on this host first (docs/cluster.md, "Locality"). */
  host?: string;
  /** Where every rank runs, the same list on every rank: shares prefer the partitions placed on their rank's host. */
  hosts?: string[];
}

/** How long and how to retry. */
export interface FailoverOptions {
  /** Give up when no progress was made for this long (default 15 s: a dead shard is noticed within 3 s). */
  retryForMs?: number;
  /** Per-call deadline (default none). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** One FlightData of the share and where it came from; `restart` marks the first message of a new stream. */
export interface ShareMessage {
  readonly data: FlightData;
  readonly location: string;
  readonly restart: boolean;
  /** The resume cursor of a record batch. */
  readonly cursor?: string;
}

/** One record batch of the share. */
export interface ShareBatch {
  readonly batch: RecordBatch;
  readonly cursor: string | undefined;
  readonly location: string;
}

/** Authenticated clients of the locations a head sends readers to, sharing its token and TLS material. */
export class LocationClients {
  readonly #clients = new Map<string, FlightClient>();

  constructor(
    readonly head: FlightClient,
    private readonly token: () => string | undefined,
  ) {}

  /** The client of a location ('' or the head's own URL: the head). */
  get(location: string): FlightClient {
    if (location === '' || location === this.head.url) return this.head;
    let client = this.#clients.get(location);
    if (!client) {
      const token = this.token();
      const tls = this.head.tls;
      client = new FlightClient(location, { ...(token !== undefined ? { token } : {}), ...(tls !== undefined ? { tls } : {}) });
      this.#clients.set(location, client);
    }
    return client;
  }

  /** Closes the location clients (not the head). */
  close(): void {
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }
}

/** Errors after which another replica may succeed: the shard is gone, unreachable, or no longer holds the data. */
export function isFailover(err: unknown): boolean {
  if (!(err instanceof FlightError)) return true;
  return err.code === Code.UNAVAILABLE || err.code === Code.INTERNAL || err.code === Code.UNKNOWN || err.code === Code.CANCELLED;
}

/** The JSON command of a share read. */
export function shareCommand(dataset: string, options: ShareOptions, startAfter?: string): Uint8Array {
  const body: Record<string, unknown> = { dataset, rank: options.rank ?? 0, world_size: options.worldSize ?? 1 };
  if (options.columns) body.columns = options.columns;
  if (options.filter !== undefined) body.filter = options.filter;
  if (options.shuffle) {
    body.shuffle = true;
    body.seed = options.seed ?? 0;
    body.epoch = options.epoch ?? 0;
  }
  if (options.batchRows !== undefined) body.batch_rows = options.batchRows;
  const after = startAfter ?? options.startAfter;
  if (after !== undefined) body.start_after = after;
  if (options.resume) {
    body.resume = { world_size: options.resume.worldSize, cursors: options.resume.cursors, ...(options.resume.hosts ? { hosts: options.resume.hosts } : {}) };
  }
  if (options.host !== undefined) body.host = options.host;
  if (options.hosts) body.hosts = options.hosts;
  return new TextEncoder().encode(JSON.stringify(body));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Streams the FlightData of a share, failing over between replicas without losing or repeating a row. */
export async function* readShareMessages(
  clients: LocationClients,
  dataset: string,
  options: ShareOptions = {},
  failover: FailoverOptions = {},
): AsyncIterable<ShareMessage> {
  const retryForMs = failover.retryForMs ?? 15_000;
  const call = { ...(failover.timeoutMs !== undefined ? { timeoutMs: failover.timeoutMs } : {}), ...(failover.signal ? { signal: failover.signal } : {}) };
  const failed = new Set<string>();
  let cursor: string | undefined;
  let stalledSince: number | undefined;
  let lastError: unknown;
  for (;;) {
    const info = await clients.head.getFlightInfo(cmdDescriptor(shareCommand(dataset, options, cursor)), call);
    let replan = false;
    for (const endpoint of info.endpoints) {
      const uris = endpoint.locations.map((l) => l.uri);
      const order = uris.length === 0 ? [''] : [...uris.filter((u) => !failed.has(u)), ...uris.filter((u) => failed.has(u))];
      let done = false;
      for (const location of order) {
        let received = false;
        try {
          let restart = true;
          for await (const data of clients.get(location).doGetRaw(endpoint.ticket, call)) {
            const meta = data.appMetadata.length > 0 ? new TextDecoder().decode(data.appMetadata) : undefined;
            if (meta !== undefined) {
              cursor = meta;
              received = true;
              stalledSince = undefined;
            }
            yield { data, location, restart, ...(meta !== undefined ? { cursor: meta } : {}) };
            restart = false;
          }
          failed.delete(location);
          done = true;
          break;
        } catch (err) {
          if (failover.signal?.aborted || !isFailover(err)) throw err;
          lastError = err;
          failed.add(location);
          // Rows came from this stream: only a fresh plan after the cursor avoids repeating them.
          if (received) break;
        }
      }
      if (!done) {
        replan = true;
        break;
      }
    }
    if (!replan) return;
    stalledSince ??= Date.now();
    if (Date.now() - stalledSince > retryForMs) throw lastError;
    await sleep(200);
  }
}

/** Streams the record batches of a share with failover (see readShareMessages). */
export async function* readShare(
  clients: LocationClients,
  dataset: string,
  options: ShareOptions = {},
  failover: FailoverOptions = {},
): AsyncIterable<ShareBatch> {
  let decoder = new ArrowStreamDecoder();
  for await (const message of readShareMessages(clients, dataset, options, failover)) {
    if (message.restart) decoder = new ArrowStreamDecoder();
    const decoded = decoder.decode(message.data.dataHeader, message.data.dataBody);
    if (decoded.kind === 'batch') yield { batch: decoded.batch, cursor: message.cursor, location: message.location };
  }
}
