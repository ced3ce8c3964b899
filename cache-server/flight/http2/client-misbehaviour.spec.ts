import assert from 'node:assert/strict';
import { createServer, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { FlightError } from '../../../client/src/flight/errors.js';
import { frameMessage } from '../../../client/src/flight/grpc/frame-encoder.js';
import { GrpcClient } from '../../../client/src/flight/http2/client.js';
import { toy } from './toy-methods.fixture.js';

/** A raw http2 server that answers every stream with `respond`, for faking broken gRPC servers. */
async function rawServer(respond: (stream: ServerHttp2Stream) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer();
  server.on('stream', (stream) => {
    stream.on('error', () => undefined);
    stream.resume();
    respond(stream);
  });
  server.on('session', (session) => session.on('error', () => undefined));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `grpc://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Answers with headers, the given messages and then the given trailers. */
function answer(messages: readonly Buffer[], trailers: OutgoingHttpHeaders | undefined) {
  return (stream: ServerHttp2Stream): void => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: trailers !== undefined });
    if (trailers) stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    for (const m of messages) for (const chunk of frameMessage([m])) stream.write(chunk);
    stream.end();
  };
}

/** Makes one echo call against a raw server and returns the error it fails with. */
async function echoFailure(respond: (stream: ServerHttp2Stream) => void): Promise<string> {
  const server = await rawServer(respond);
  const client = new GrpcClient(server.url);
  try {
    for await (const _ of client.call(toy.echo, [Buffer.from('x')]).responses);
    assert.fail('expected the call to fail');
  } catch (err) {
    assert.ok(err instanceof FlightError, String(err));
    return err.toString().replace(server.url.slice('grpc://'.length), 'ADDR');
  } finally {
    await client.close();
    await server.close();
  }
}

describe('GrpcClient facing misbehaving servers', () => {
  it('maps an HTTP error status without grpc-status per the gRPC spec', async () => {
    const err = await echoFailure((stream) => stream.respond({ ':status': 503 }, { endStream: true }));
    assert.equal(err, 'UNAVAILABLE: received HTTP status 503 without grpc-status');
  });

  it('rejects a response that is not application/grpc with INTERNAL', async () => {
    const err = await echoFailure((stream) => stream.respond({ ':status': 200, 'content-type': 'text/html' }, { endStream: true }));
    assert.equal(err, 'INTERNAL: unexpected response content-type "text/html"');
  });

  it('rejects trailers without grpc-status and a response without trailers with INTERNAL', async () => {
    assert.equal(await echoFailure(answer([Buffer.from('a')], { 'x-other': '1' })), 'INTERNAL: response trailers carry no grpc-status');
    assert.equal(await echoFailure(answer([Buffer.from('a')], undefined)), 'INTERNAL: response from ADDR ended without grpc-status');
  });

  it('rejects a unary response with zero or two messages with INTERNAL', async () => {
    const ok = { 'grpc-status': '0' };
    assert.equal(await echoFailure(answer([], ok)), 'INTERNAL: expected one response message from /toy.Toy/Echo, got none');
    assert.equal(
      await echoFailure(answer([Buffer.from('a'), Buffer.from('b')], ok)),
      'INTERNAL: expected one response message from /toy.Toy/Echo, got more',
    );
  });

  it('rejects a response body that ends inside a message with INTERNAL', async () => {
    const err = await echoFailure((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.from([0, 0, 0, 0, 9, 1, 2]));
    });
    assert.equal(err, 'INTERNAL: stream ended in the middle of a message: received 2 of 9 bytes');
  });

  it('reports UNAVAILABLE when the connection dies in the middle of a call', async () => {
    const err = await echoFailure((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      stream.write(Buffer.from([0, 0, 0, 0, 9, 1, 2]), () => stream.session?.destroy());
    });
    assert.equal(err, 'UNAVAILABLE: connection to ADDR closed before the call finished');
  });
});
