/** A reference dataset put over the wire and the check that a node still serves it byte for byte. */
import assert from 'node:assert/strict';
import { Table, Utf8, vectorFromArray } from 'apache-arrow';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { encodeTable } from '../../client/src/flight/protocol/arrow-codec.js';
import type { OutgoingFlightData } from '../../client/src/flight/protocol/messages.js';

/** A table of n rows with a fixed-width and a variable-width column. */
export function referenceTable(n: number, offset = 0): Table {
  return new Table({
    id: vectorFromArray(Int32Array.from({ length: n }, (_, i) => i + offset)),
    name: vectorFromArray(Array.from({ length: n }, (_, i) => `row-${i + offset}`), new Utf8()),
  });
}

/** The FlightData messages (schema first) a table is put as. */
export function referenceMessages(table: Table): OutgoingFlightData[] {
  return [...encodeTable(table)];
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const bodyHex = (m: OutgoingFlightData): string => m.body.map(hex).join('');

/** Puts `messages` as dataset `name` over a real connection (with a bearer token when given). */
export async function putReference(url: string, name: string, messages: readonly OutgoingFlightData[], token?: string): Promise<void> {
  const client = new FlightClient(url, token === undefined ? {} : { token });
  try {
    await client.doPutRaw(pathDescriptor(name), messages);
  } finally {
    client.close();
  }
}

/**
 * Reads dataset `name` as a client does (GetFlightInfo at `url`, DoGet of each endpoint at its first
 * location, over fresh connections, with a bearer token when given) and asserts every header and
 * body is the one put.
 */
export async function assertServesExactly(url: string, name: string, messages: readonly OutgoingFlightData[], token?: string): Promise<void> {
  const options = token === undefined ? {} : { token };
  const client = new FlightClient(url, options);
  const clients: FlightClient[] = [];
  try {
    const got: [string, string][] = [];
    const info = await client.getFlightInfo(pathDescriptor(name));
    for (const endpoint of info.endpoints) {
      const reader = new FlightClient(endpoint.locations[0]!.uri, options);
      clients.push(reader);
      let first = true;
      for await (const data of reader.doGetRaw(endpoint.ticket)) {
        // Each endpoint's stream starts with the schema: keep the first endpoint's only.
        if (!first || got.length === 0) got.push([hex(data.dataHeader), hex(data.dataBody)]);
        first = false;
      }
    }
    assert.deepEqual(got, messages.map((m) => [hex(m.dataHeader), bodyHex(m)]));
  } finally {
    client.close();
    for (const reader of clients) reader.close();
  }
}
