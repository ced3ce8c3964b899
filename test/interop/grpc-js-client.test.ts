/** @grpc/grpc-js, an independent gRPC implementation, calling a cache node: unary, server-streaming, bidi, errors. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { tableFromArrays } from 'apache-arrow';
import { startCacheNode, type CacheNode } from '../../cache-server/node/cache-node.js';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import * as codec from '../../client/src/flight/protocol/codec.js';
import { decodeFlightData, encodeFlightData } from '../../client/src/flight/protocol/flight-data.js';
import { encodeTable } from '../../client/src/flight/protocol/arrow-codec.js';
import { parseMessageHeader } from '../../client/src/flight/protocol/ipc-message.js';
import type { FlightData, OutgoingFlightData } from '../../client/src/flight/protocol/messages.js';

const concat = (chunks: readonly Uint8Array[]): Buffer => Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));

const definition = {
  GetFlightInfo: {
    path: '/arrow.flight.protocol.FlightService/GetFlightInfo',
    requestStream: false,
    responseStream: false,
    requestSerialize: (d: Parameters<typeof codec.encodeFlightDescriptor>[0]) => Buffer.from(codec.encodeFlightDescriptor(d)),
    requestDeserialize: (b: Buffer) => codec.decodeFlightDescriptor(b),
    responseSerialize: (i: Parameters<typeof codec.encodeFlightInfo>[0]) => Buffer.from(codec.encodeFlightInfo(i)),
    responseDeserialize: (b: Buffer) => codec.decodeFlightInfo(b),
  },
  DoGet: {
    path: '/arrow.flight.protocol.FlightService/DoGet',
    requestStream: false,
    responseStream: true,
    requestSerialize: (t: { ticket: Uint8Array }) => Buffer.from(codec.encodeTicket(t)),
    requestDeserialize: (b: Buffer) => codec.decodeTicket(b),
    responseSerialize: (d: OutgoingFlightData) => concat(encodeFlightData(d)),
    responseDeserialize: (b: Buffer): FlightData => decodeFlightData(b),
  },
  DoPut: {
    path: '/arrow.flight.protocol.FlightService/DoPut',
    requestStream: true,
    responseStream: true,
    requestSerialize: (d: OutgoingFlightData) => concat(encodeFlightData(d)),
    requestDeserialize: (b: Buffer): FlightData => decodeFlightData(b),
    responseSerialize: (r: { appMetadata: Uint8Array }) => Buffer.from(codec.encodePutResult(r)),
    responseDeserialize: (b: Buffer) => codec.decodePutResult(b),
  },
} as const;

const Client = grpc.makeGenericClientConstructor(definition as unknown as grpc.ServiceDefinition, 'FlightService');

let node: CacheNode;
let client: grpc.Client & Record<string, (...args: unknown[]) => unknown>;

before(async () => {
  node = await startCacheNode({ port: 0 });
  const flight = new FlightClient(node.url);
  await flight.doPut(pathDescriptor('grpc-js'), tableFromArrays({ x: Int32Array.from([1, 2, 3]), y: Float64Array.from([0.5, 1.5, 2.5]) }));
  flight.close();
  client = new Client(`127.0.0.1:${node.port}`, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1,
  }) as unknown as typeof client;
});

after(async () => {
  client.close();
  await node.close();
});

test('grpc-js reads a FlightInfo with a unary call', async () => {
  const info = await new Promise<ReturnType<typeof codec.decodeFlightInfo>>((resolve, reject) =>
    client.GetFlightInfo!(pathDescriptor('grpc-js'), (err: grpc.ServiceError | null, res: ReturnType<typeof codec.decodeFlightInfo>) =>
      err ? reject(err) : resolve(res),
    ),
  );
  assert.equal(info.totalRecords, 3n);
  assert.deepEqual(info.flightDescriptor?.path, ['grpc-js']);
});

test('grpc-js receives NOT_FOUND with the message for an unknown dataset', async () => {
  const err = await new Promise<grpc.ServiceError>((resolve) =>
    client.GetFlightInfo!(pathDescriptor('missing'), (e: grpc.ServiceError | null) => resolve(e!)),
  );
  assert.equal(err.code, grpc.status.NOT_FOUND);
  assert.equal(err.details, 'unknown dataset "missing"');
});

test('grpc-js streams DoGet: the schema then one record batch of 3 rows', async () => {
  const info = await new Promise<ReturnType<typeof codec.decodeFlightInfo>>((resolve, reject) =>
    client.GetFlightInfo!(pathDescriptor('grpc-js'), (err: grpc.ServiceError | null, res: ReturnType<typeof codec.decodeFlightInfo>) =>
      err ? reject(err) : resolve(res),
    ),
  );
  const stream = client.DoGet!(info.endpoints[0]!.ticket) as grpc.ClientReadableStream<FlightData>;
  const kinds: string[] = [];
  for await (const data of stream) {
    const header = parseMessageHeader(data.dataHeader);
    kinds.push(`${header.kind}:${header.rows}`);
  }
  assert.deepEqual(kinds, ['schema:0', 'record_batch:3']);
});

test('grpc-js gets INVALID_ARGUMENT on a server stream with a malformed ticket', async () => {
  const stream = client.DoGet!({ ticket: Buffer.from('nope') }) as grpc.ClientReadableStream<FlightData>;
  await assert.rejects(
    (async () => {
      for await (const _ of stream) void _;
    })(),
    (err: grpc.ServiceError) => err.code === grpc.status.INVALID_ARGUMENT && /malformed ticket/.test(err.details),
  );
});

test('grpc-js writes a dataset with bidirectional DoPut', async () => {
  const call = client.DoPut!() as grpc.ClientDuplexStream<OutgoingFlightData, { appMetadata: Uint8Array }>;
  const results: string[] = [];
  const done = (async () => {
    for await (const result of call) results.push(Buffer.from(result.appMetadata).toString());
  })();
  const messages = [...encodeTable(tableFromArrays({ v: Int32Array.from([7, 8]) }))];
  messages[0] = { ...messages[0]!, flightDescriptor: pathDescriptor('from-grpc-js') };
  for (const message of messages) call.write(message);
  call.end();
  await done;
  assert.deepEqual(results, ['{"batch":0,"rows":2}']);
  assert.equal(node.store.get('from-grpc-js')?.rows, 2);
});
