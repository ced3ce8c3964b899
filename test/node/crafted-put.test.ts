/**
 * DoPut streams that no Arrow library writes but protobuf allows, sent as raw FlightData bytes over a
 * real connection: repeated data_header fields around the body. What is stored must be what was
 * validated, and the node must keep serving its other data exactly.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCacheNode, type CacheNode } from '../../cache-server/node/cache-node.js';
import { GrpcClient } from '../../client/src/flight/http2/client.js';
import { BytesSink } from '../../cache-server/flight/http2/toy-methods.fixture.js';
import { flightClientMethods } from '../../client/src/flight/service.js';
import { encodeFlightData } from '../../client/src/flight/protocol/flight-data.js';
import type { MethodDef } from '../../client/src/flight/grpc/method.js';
import type { OutgoingFlightData, PutResult } from '../../client/src/flight/protocol/messages.js';
import { DescriptorType } from '../../client/src/flight/protocol/messages.js';
import { Code } from '../../client/src/flight/errors.js';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { assertServesExactly, putReference, referenceMessages, referenceTable } from '../helpers/exact-data.js';
import { drain, rejectsWith } from '../helpers/flight.js';

/** DoPut whose request messages are protobuf bytes written as they are. */
const rawDoPut: MethodDef<Uint8Array, PutResult> = {
  ...flightClientMethods.doPut,
  requestSink: () => new BytesSink(),
  encodeRequest: (bytes) => [bytes],
};

const concat = (chunks: readonly Uint8Array[]): Uint8Array => Buffer.concat(chunks);

/** One FlightData's protobuf bytes, with `after` (whole encoded fields) appended after the body. */
function rawMessage(message: OutgoingFlightData, after: readonly Uint8Array[] = [], name?: string): Uint8Array {
  const head = name === undefined ? message : { ...message, flightDescriptor: { type: DescriptorType.PATH, cmd: new Uint8Array(), path: [name] } };
  return concat([...encodeFlightData(head), ...after]);
}

/** The encoded data_header field alone. */
const headerField = (header: Uint8Array): Uint8Array => concat(encodeFlightData({ dataHeader: header, body: [], bodyLength: 0 }));

describe('a DoPut with repeated data_header fields around the body', () => {
  let node: CacheNode;
  let raw: GrpcClient;
  const reference = referenceMessages(referenceTable(100));
  const [schema, batch] = reference as [OutgoingFlightData, OutgoingFlightData];
  // A valid batch header of other data (longer strings: other buffer lengths).
  const other = referenceMessages(referenceTable(100, 1000))[1]!;

  before(async () => {
    node = await startCacheNode({ port: 0 });
    raw = new GrpcClient(node.url);
    await putReference(node.url, 'reference', reference);
  });
  after(async () => {
    await raw.close();
    await node.close();
  });

  test('a different header after the body is refused with INVALID_ARGUMENT and nothing is stored', async () => {
    // Before the fix, the region held the junk header (handed to the allocator) while the last one was validated.
    const junk = new Uint8Array(batch.dataHeader.length).fill(0xee);
    const crafted = [rawMessage(schema, [], 'crafted'), rawMessage({ ...batch, dataHeader: junk }, [headerField(batch.dataHeader)])];
    await rejectsWith(
      drain(raw.call(rawDoPut, crafted).responses),
      Code.INVALID_ARGUMENT,
      `malformed FlightData: a second data_header after data_body that differs from the one before it (the body is stored with the first) at byte ${crafted[1]!.length}`,
    );
    const client = new FlightClient(node.url);
    try {
      await rejectsWith(client.getFlightInfo(pathDescriptor('crafted')), Code.NOT_FOUND, /crafted/);
    } finally {
      client.close();
    }
    await assertServesExactly(node.url, 'reference', reference);
  });

  test('a valid header of another batch after the body is refused too', async () => {
    assert.notDeepEqual(other.dataHeader, batch.dataHeader);
    const crafted = [rawMessage(schema, [], 'crafted-rows'), rawMessage(batch, [headerField(other.dataHeader)])];
    await rejectsWith(drain(raw.call(rawDoPut, crafted).responses), Code.INVALID_ARGUMENT, /a second data_header after data_body/);
    await assertServesExactly(node.url, 'reference', reference);
  });

  test('a header repeated byte for byte after the body is stored and served exactly', async () => {
    const crafted = [rawMessage(schema, [], 'repeated'), rawMessage(batch, [headerField(batch.dataHeader)])];
    const results = await drain(raw.call(rawDoPut, crafted).responses);
    assert.deepEqual(results.map((r) => JSON.parse(Buffer.from(r.appMetadata).toString())), [{ batch: 0, rows: 100 }]);
    await assertServesExactly(node.url, 'repeated', reference);
    await assertServesExactly(node.url, 'reference', reference);
  });

  test('a body before any header is refused and the node still serves exact data', async () => {
    const bodyOnly = concat(encodeFlightData({ ...batch, dataHeader: new Uint8Array() }));
    const crafted = [rawMessage(schema, [], 'body-first'), concat([bodyOnly, headerField(batch.dataHeader)])];
    await rejectsWith(drain(raw.call(rawDoPut, crafted).responses), Code.INVALID_ARGUMENT, 'DoPut FlightData has data_body before data_header: send data_header first');
    await assertServesExactly(node.url, 'reference', reference);
  });
});
