/**
 * Per-connection caps of the http2 server, met by a client that writes frames by hand: a stream past
 * SETTINGS_MAX_CONCURRENT_STREAMS ends the connection, well-behaved clients queue their calls
 * instead, and the node keeps serving exact data.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { constants } from 'node:http2';
import { startCacheNode, type CacheNode } from '../../cache-server/node/cache-node.js';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { assertServesExactly, putReference, referenceMessages, referenceTable } from '../helpers/exact-data.js';
import { drain, rejectsWith } from '../helpers/flight.js';
import { Code } from '../../client/src/flight/errors.js';
import { FRAME, RawHttp2Connection } from '../helpers/raw-grpc.js';

const MAX_STREAMS = 2;

describe('the per-connection stream cap', () => {
  let node: CacheNode;
  const reference = referenceMessages(referenceTable(1000));

  before(async () => {
    node = await startCacheNode({ port: 0, maxStreams: MAX_STREAMS });
    await putReference(node.url, 'reference', reference);
  });
  after(async () => {
    await node.close();
  });

  test('the server announces the cap, and a connection that opens a stream past it is closed with GOAWAY', async () => {
    const raw = await RawHttp2Connection.open(node.url);
    try {
      const settings = raw.frames.find((f) => f.type === FRAME.SETTINGS && f.flags === 0)!;
      const announced = new Map<number, number>();
      for (let i = 0; i + 6 <= settings.payload.length; i += 6) announced.set(settings.payload.readUInt16BE(i), settings.payload.readUInt32BE(i + 2));
      assert.equal(announced.get(constants.NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS), MAX_STREAMS);
      // Calls whose request never comes: each holds its stream open.
      const open = Array.from({ length: MAX_STREAMS }, () => raw.openCall('DoGet'));
      raw.openCall('DoGet');
      // nghttp2 takes the extra stream as a protocol error of the connection: GOAWAY naming the last stream it took.
      const goaway = await raw.frame((f) => f.type === FRAME.GOAWAY);
      assert.ok(goaway, 'no GOAWAY');
      assert.equal(goaway.payload.readUInt32BE(0) & 0x7fffffff, open[open.length - 1]);
      await assertServesExactly(node.url, 'reference', reference);
    } finally {
      raw.close();
    }
  });

  test('a client with more calls than the cap on one connection gets all of them answered, queued', async () => {
    const client = new FlightClient(node.url);
    try {
      const info = await client.getFlightInfo(pathDescriptor('reference'));
      const reads = await Promise.all(Array.from({ length: 3 * MAX_STREAMS }, () => drain(client.doGetRaw(info.endpoints[0]!.ticket))));
      for (const read of reads) assert.equal(read.length, reference.length);
    } finally {
      client.close();
    }
    await assertServesExactly(node.url, 'reference', reference);
  });

  test('request headers past 64 KiB or 128 fields are refused at the HTTP/2 layer; the node still serves exact data', async () => {
    const big = { 'x-big': 'a'.repeat(70_000) };
    const many = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`x-field-${i}`, 'v']));
    // Each on a fresh connection: after one refusal nghttp2 answers the next bad header block with REFUSED_STREAM too.
    for (const [metadata, code, reason] of [
      [big, Code.UNAVAILABLE, /NGHTTP2_REFUSED_STREAM/],
      [many, Code.RESOURCE_EXHAUSTED, /NGHTTP2_ENHANCE_YOUR_CALM/],
    ] as const) {
      const client = new FlightClient(node.url);
      try {
        await rejectsWith(client.getFlightInfo(pathDescriptor('reference'), { metadata }), code, reason);
      } finally {
        client.close();
      }
    }
    await assertServesExactly(node.url, 'reference', reference);
  });
});
