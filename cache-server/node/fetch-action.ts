/**
 * The `fetch` action of a shard: copy a dataset from a peer that holds it (a live replica) into this
 * node's store, so a shard that came back empty is refilled without data passing through the
 * coordinator. The copy commits atomically, like a put.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { parseMessageHeader } from '../../client/src/flight/protocol/ipc-message.js';
import type { FlightClient } from '../../client/src/flight-client.js';
import type { DatasetStore } from '../storage/dataset-store.js';

/** Opens an authenticated client to a peer location. */
export type PeerClient = (location: string) => Promise<FlightClient>;

/** What `fetch` reports. */
export interface FetchResult {
  fetched: string;
  from: string;
  batches: number;
}

/** Parses {"name", "sources": [location...], "ticket": base64}. */
function parseFetch(text: string): { name: string; sources: string[]; ticket: Uint8Array } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const r = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const { name, sources, ticket } = r;
  if (typeof name !== 'string' || name === '' || !Array.isArray(sources) || sources.length === 0 || !sources.every((s) => typeof s === 'string') || typeof ticket !== 'string') {
    throw new FlightError(Code.INVALID_ARGUMENT, 'fetch needs a JSON body {"name": "...", "sources": ["grpc://host:port", ...], "ticket": "<base64>"}');
  }
  return { name, sources, ticket: Buffer.from(ticket, 'base64') };
}

/** Copies the dataset from the first source that serves it completely. */
export async function fetchDataset(store: DatasetStore, peer: PeerClient, text: string): Promise<FetchResult> {
  const { name, sources, ticket } = parseFetch(text);
  const errors: string[] = [];
  for (const source of sources) {
    let tx: ReturnType<DatasetStore['beginPut']> | undefined;
    try {
      const client = await peer(source);
      let batches = 0;
      for await (const data of client.doGetRaw({ ticket })) {
        const info = parseMessageHeader(data.dataHeader);
        if (!tx) {
          if (info.kind !== 'schema') throw new FlightError(Code.INTERNAL, `${source} did not start with a schema`);
          store.drop(name);
          tx = store.beginPut(name, data.dataHeader);
          continue;
        }
        if (info.kind !== 'record_batch' && info.kind !== 'dictionary_batch') continue;
        tx.appendMessage(data.dataHeader, data.dataBody, { kind: info.kind, rows: info.rows });
        if (info.kind === 'record_batch') batches++;
      }
      if (!tx) throw new FlightError(Code.INTERNAL, `${source} sent nothing`);
      tx.commit();
      return { fetched: name, from: source, batches };
    } catch (err) {
      tx?.abort();
      errors.push(`${source}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new FlightError(Code.UNAVAILABLE, `fetch of "${name}" failed from every source (${errors.join('; ')})`);
}
