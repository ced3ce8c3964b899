/**
 * Request bytes count against --memory: a small message is received into charged memory from its
 * length prefix on, FlightData's header fields too, and the charge ends when the message is decoded
 * or the call stops part-way. Sent over real connections; the node keeps serving exact data.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { constants } from 'node:http2';
import { startCacheNode, type CacheNode } from '../../cache-server/node/cache-node.js';
import { DescriptorType } from '../../client/src/flight/protocol/messages.js';
import { Code } from '../../client/src/flight/errors.js';
import { FlightClient } from '../../client/src/flight-client.js';
import { assertServesExactly, putReference, referenceMessages, referenceTable } from '../helpers/exact-data.js';
import { rejectsWith } from '../helpers/flight.js';
import { waitFor } from '../cluster/cluster-helpers.js';
import { announce, rawSession } from '../helpers/raw-grpc.js';

const MEMORY = 1024 * 1024;

describe('request bytes charged to the memory limit', () => {
  let node: CacheNode;
  let client: FlightClient;
  let stored: number;
  const reference = referenceMessages(referenceTable(1000));

  before(async () => {
    node = await startCacheNode({ port: 0, memoryBytes: MEMORY });
    client = new FlightClient(node.url);
    await putReference(node.url, 'reference', reference);
    stored = node.store.stats().usedBytes;
  });
  after(async () => {
    client.close();
    await node.close();
  });

  test('a GetFlightInfo command larger than the memory left is RESOURCE_EXHAUSTED naming --memory', async () => {
    const cmd = new Uint8Array(MEMORY);
    await rejectsWith(
      client.getFlightInfo({ type: DescriptorType.CMD, cmd, path: [] }),
      Code.RESOURCE_EXHAUSTED,
      `memory limit exceeded: need ${MEMORY + 6} bytes, ${stored} of ${MEMORY} in use (raise it with --memory / FLIGHTCACHE_MEMORY)`,
    );
    assert.equal(node.store.stats().usedBytes, stored);
    await assertServesExactly(node.url, 'reference', reference);
  });

  /** Starts `method` with a prefix of `length` bytes and `partial`, waits for `charge` bytes charged, cancels, waits for the release. */
  async function chargedUntilCancelled(method: string, length: number, partial: Uint8Array, charge: number): Promise<void> {
    const session = rawSession(node.url);
    try {
      const stream = announce(session, method, length, partial);
      await waitFor(`${charge} bytes charged`, async () => (node.store.stats().usedBytes === stored + charge ? true : undefined));
      stream.close(constants.NGHTTP2_CANCEL);
      await waitFor('the charge released', async () => (node.store.stats().usedBytes === stored ? true : undefined));
    } finally {
      session.close();
    }
    await assertServesExactly(node.url, 'reference', reference);
  }

  test('a small message is charged from its prefix while it trickles in, and released when the call is cancelled', async () => {
    await chargedUntilCancelled('GetFlightInfo', 200_000, new Uint8Array(1000), 200_000);
  });

  test("a DoPut FlightData's data_header is charged from its length on, and released when the call is cancelled", async () => {
    // data_header (field 2), length 300000 as a varint, then only 10 of its bytes.
    await chargedUntilCancelled('DoPut', 400_000, Buffer.from([0x12, 0xe0, 0xa7, 0x12, ...new Uint8Array(10)]), 300_000);
  });

  test('completed small requests leave nothing charged', async () => {
    for (let i = 0; i < 20; i++) await client.getFlightInfo({ type: DescriptorType.PATH, cmd: new Uint8Array(), path: ['reference'] });
    assert.equal(node.store.stats().usedBytes, stored);
    await assertServesExactly(node.url, 'reference', reference);
    assert.equal(node.store.stats().usedBytes, stored);
  });
});
