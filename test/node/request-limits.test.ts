/**
 * Request message limits, sent over real connections: each method's limit is checked on the gRPC
 * length prefix, the refusal names the limit and the setting that raises it, and the node goes on
 * serving exact data.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCacheNode, type CacheNode } from '../../cache-server/node/cache-node.js';
import { requestLimits } from '../../cache-server/config.js';
import { GrpcClient } from '../../client/src/flight/http2/client.js';
import { decodeGrpcMessage } from '../../client/src/flight/grpc/status.js';
import { flightClientMethods as rpc } from '../../client/src/flight/service.js';
import { DescriptorType } from '../../client/src/flight/protocol/messages.js';
import { Code } from '../../client/src/flight/errors.js';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { assertServesExactly, putReference, referenceMessages, referenceTable } from '../helpers/exact-data.js';
import { drain, rejectsWith } from '../helpers/flight.js';
import { announce, rawSession } from '../helpers/raw-grpc.js';

const MAX_MESSAGE = 1024 * 1024;
const MAX_REQUEST = 64 * 1024;
const REQUEST_NOTE = '--max-request (FLIGHTCACHE_MAX_REQUEST)';

/** The refusal of a message of `length` bytes to `method` whose limit is `limit`, raised by `raisedBy`. */
const tooLarge = (length: number, limit: number, method: string, raisedBy: string): string =>
  `gRPC message of ${length} bytes exceeds the maximum message size of ${limit} bytes: ${method} requests are limited by ${raisedBy}`;

/** Sends only a gRPC prefix announcing `length` bytes to `method` and returns the status it gets, body never sent. */
async function prefixOnly(url: string, method: string, length: number): Promise<[unknown, unknown]> {
  const session = rawSession(url);
  try {
    const stream = announce(session, method, length);
    const [headers] = (await Promise.race([
      new Promise((resolve) => stream.once('response', (h) => resolve([h]))),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no status within 10 s')), 10_000).unref()),
    ])) as [Record<string, unknown>];
    stream.close();
    return [headers['grpc-status'], decodeGrpcMessage(String(headers['grpc-message']))];
  } finally {
    session.close();
  }
}

describe('request message limits per method', () => {
  let node: CacheNode;
  let raw: GrpcClient;
  let client: FlightClient;
  const reference = referenceMessages(referenceTable(1000));

  before(async () => {
    node = await startCacheNode({ port: 0, requestLimits: requestLimits(MAX_MESSAGE, MAX_REQUEST) });
    raw = new GrpcClient(node.url);
    client = new FlightClient(node.url);
    await putReference(node.url, 'reference', reference);
  });
  after(async () => {
    client.close();
    await raw.close();
    await node.close();
  });

  test('Handshake, ListFlights and ListActions take 1/64 of --max-request', async () => {
    const tiny = MAX_REQUEST / 64;
    const payload = new Uint8Array(tiny);
    // protobuf: field 2 tag, 2-byte length, payload.
    const handshakeBytes = 1 + 2 + tiny;
    await rejectsWith(
      drain(raw.call(rpc.handshake, [{ protocolVersion: 0n, payload }]).responses),
      Code.RESOURCE_EXHAUSTED,
      tooLarge(handshakeBytes, tiny, 'Handshake', `1/64 of ${REQUEST_NOTE}`),
    );
    await rejectsWith(
      drain(raw.call(rpc.listFlights, [{ expression: payload }]).responses),
      Code.RESOURCE_EXHAUSTED,
      tooLarge(handshakeBytes, tiny, 'ListFlights', `1/64 of ${REQUEST_NOTE}`),
    );
    // Below the limit both work.
    assert.equal((await drain(raw.call(rpc.handshake, [{ protocolVersion: 0n, payload: new Uint8Array(100) }]).responses)).length, 1);
    assert.deepEqual((await drain(client.listFlights('ref'))).map((info) => info.flightDescriptor?.path), [['reference']]);
    await assertServesExactly(node.url, 'reference', reference);
  });

  test('GetFlightInfo, GetSchema, PollFlightInfo, DoAction and DoGet take --max-request', async () => {
    const cmd = new Uint8Array(MAX_REQUEST);
    const descriptor = { type: DescriptorType.CMD, cmd, path: [] };
    // Descriptor: type field (2 bytes) + cmd field (tag, 3-byte length, bytes).
    const descriptorBytes = 2 + 1 + 3 + MAX_REQUEST;
    for (const [method, call] of [
      ['GetFlightInfo', () => client.getFlightInfo(descriptor)],
      ['GetSchema', () => client.getSchema(descriptor)],
      ['PollFlightInfo', () => client.pollFlightInfo(descriptor)],
    ] as const) {
      await rejectsWith(call(), Code.RESOURCE_EXHAUSTED, tooLarge(descriptorBytes, MAX_REQUEST, method, REQUEST_NOTE));
    }
    await rejectsWith(
      drain(client.doAction('stats', cmd)),
      Code.RESOURCE_EXHAUSTED,
      tooLarge(1 + 1 + 5 + 1 + 3 + MAX_REQUEST, MAX_REQUEST, 'DoAction', REQUEST_NOTE),
    );
    await rejectsWith(drain(client.doGetRaw({ ticket: cmd })), Code.RESOURCE_EXHAUSTED, tooLarge(1 + 3 + MAX_REQUEST, MAX_REQUEST, 'DoGet', REQUEST_NOTE));
    await assertServesExactly(node.url, 'reference', reference);
  });

  test('DoPut takes --max-message: a larger batch is refused and nothing is stored', async () => {
    const big = referenceMessages(referenceTable(200_000));
    const batch = big[1]!;
    assert.ok(batch.bodyLength > MAX_MESSAGE);
    await rejectsWith(client.doPutRaw(pathDescriptor('big'), big), Code.RESOURCE_EXHAUSTED, /: DoPut requests are limited by --max-message \(FLIGHTCACHE_MAX_MESSAGE\)$/);
    await rejectsWith(client.getFlightInfo(pathDescriptor('big')), Code.NOT_FOUND, /big/);
    await assertServesExactly(node.url, 'reference', reference);
  });

  test('a forged ticket naming more batches than the dataset has is refused before any batch is built', async () => {
    // Within --max-request, 9000 overlapping runs would have the node send its one batch 9000 times.
    const runs = Array.from({ length: 9000 }, () => [0, 1]);
    const ticket = Buffer.from(JSON.stringify({ v: 2, dataset: 'reference', b: runs, share: { w: 1, r: 0, p: 0, o: 0, n: 1, m: 1000 } }));
    assert.ok(ticket.length < MAX_REQUEST);
    await rejectsWith(
      drain(client.doGetRaw({ ticket })),
      Code.INVALID_ARGUMENT,
      'ticket names more than the 1 batches of "reference": a ticket names each batch at most once',
    );
    await assertServesExactly(node.url, 'reference', reference);
  });

  test('a prefix announcing 2 GiB is refused before any of its bytes arrive, on every small method', async () => {
    const huge = 2 ** 31 - 1;
    for (const [method, limit, note] of [
      ['Handshake', MAX_REQUEST / 64, `1/64 of ${REQUEST_NOTE}`],
      ['ListActions', MAX_REQUEST / 64, `1/64 of ${REQUEST_NOTE}`],
      ['GetFlightInfo', MAX_REQUEST, REQUEST_NOTE],
      ['DoAction', MAX_REQUEST, REQUEST_NOTE],
      ['DoPut', MAX_MESSAGE, '--max-message (FLIGHTCACHE_MAX_MESSAGE)'],
    ] as const) {
      const status = await prefixOnly(node.url, method, huge);
      assert.deepEqual(status, [String(Code.RESOURCE_EXHAUSTED), tooLarge(huge, limit, method, note)], method);
    }
    await assertServesExactly(node.url, 'reference', reference);
  });
});
