/**
 * An independent implementation as the client: @grpc/grpc-js calls the toy server with identity
 * serializers, so framing, headers, trailers and status encoding are checked against someone else's
 * reading of the gRPC spec.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { Code, FlightError } from '../../../client/src/flight/errors.js';
import { bind, patterned, sha256, startServer, toy, toyHandlers } from './toy-methods.fixture.js';

const identity = (b: Buffer): Buffer => b;

/** A grpc-js method definition over raw bytes. */
function rawDefinition(path: string, responseStream: boolean): grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path,
    requestStream: false,
    responseStream,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  };
}

const Toy = grpc.makeGenericClientConstructor(
  {
    Echo: rawDefinition(toy.echo.path, false),
    Stream: rawDefinition(toy.stream.path, true),
  },
  'Toy',
);

/** Creates a grpc-js client for a grpc:// URL that accepts messages of any size. */
function grpcJsClient(url: string): grpc.Client {
  return new Toy(url.replace(/^grpc:\/\//, ''), grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 });
}

/** A unary call through grpc-js's generic client, as a promise. */
function unary(client: grpc.Client, request: Buffer, metadata = new grpc.Metadata()): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(toy.echo.path, identity, identity, request, metadata, (err, res) => (err ? reject(err) : resolve(res!)));
  });
}

/** A server-streaming call through grpc-js, collecting all messages or the error. */
function serverStream(client: grpc.Client, path: string, request: Buffer): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const call = client.makeServerStreamRequest(path, identity, identity, request);
    call.on('data', (m: Buffer) => out.push(m));
    call.on('error', reject);
    call.on('end', () => resolve(out));
  });
}

describe('@grpc/grpc-js client against GrpcServer', () => {
  it('makes unary calls of 0 bytes to 20 MiB and reads response metadata', async () => {
    const method = bind(toy.echo, async function* (requests, ctx) {
      ctx.setResponseHeaders({ 'x-seen': String(ctx.metadata['x-ask']) });
      yield* requests;
    });
    const { server, url } = await startServer({ methods: [method] });
    const client = grpcJsClient(url);
    try {
      for (const size of [0, 1, 20 * 1024 * 1024]) {
        const message = patterned(size, size);
        assert.equal(sha256(await unary(client, message)), sha256(message));
      }
      const metadata = new grpc.Metadata();
      metadata.set('x-ask', 'q');
      const seen = await new Promise<grpc.Metadata>((resolve, reject) => {
        const call = client.makeUnaryRequest(toy.echo.path, identity, identity, Buffer.from('x'), metadata, (err) => err && reject(err));
        call.on('metadata', resolve);
      });
      assert.deepEqual(seen.get('x-seen'), ['q']);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('reads a server stream of messages of several sizes', async () => {
    const { server, url } = await startServer();
    const client = grpcJsClient(url);
    try {
      const sizes = [0, 1, 5 * 1024 * 1024, 3];
      const messages = await serverStream(client, toy.stream.path, Buffer.from(JSON.stringify(sizes)));
      assert.deepEqual(
        messages.map((m) => sha256(m)),
        sizes.map((size, i) => sha256(patterned(size, i))),
      );
    } finally {
      client.close();
      await server.close();
    }
  });

  it('receives error statuses with code and decoded message, mid-stream and trailers-only', async () => {
    const failing = bind(toy.stream, async function* () {
      yield Buffer.from('one');
      throw new FlightError(Code.PERMISSION_DENIED, 'nein: 100% „verboten“');
    });
    const { server, url } = await startServer({ methods: [failing, toyHandlers.echo] });
    const client = grpcJsClient(url);
    try {
      const midStream = await serverStream(client, toy.stream.path, Buffer.from('x')).then(
        () => assert.fail('expected an error'),
        (err: grpc.ServiceError) => err,
      );
      assert.equal(midStream.code, grpc.status.PERMISSION_DENIED);
      assert.equal(midStream.details, 'nein: 100% „verboten“');
      const unknown = await serverStream(client, '/toy.Toy/Missing', Buffer.from('x')).then(
        () => assert.fail('expected an error'),
        (err: grpc.ServiceError) => err,
      );
      assert.equal(unknown.code, grpc.status.UNIMPLEMENTED);
      assert.equal(unknown.details, 'unknown method /toy.Toy/Missing');
    } finally {
      client.close();
      await server.close();
    }
  });
});
