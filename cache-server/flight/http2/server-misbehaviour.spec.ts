import assert from 'node:assert/strict';
import { connect, constants, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { connect as connectTcp } from 'node:net';
import { describe, it } from 'node:test';
import { frameMessage } from '../../../client/src/flight/grpc/frame-encoder.js';
import type { CallContext } from '../../../client/src/flight/grpc/method.js';
import { GrpcClient } from '../../../client/src/flight/http2/client.js';
import { bind, startServer, toy, toyHandlers } from './toy-methods.fixture.js';

/** What a raw http2 request got back. */
interface RawResult {
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders | undefined;
  data: Buffer;
}

/** Sends one request with a hand-made body over a fresh raw http2 session and reads the whole answer. */
async function rawCall(url: string, headers: OutgoingHttpHeaders, body: readonly Uint8Array[]): Promise<RawResult> {
  const session = connect(url.replace(/^grpc:/, 'http:'));
  try {
    const stream = session.request({ ':method': 'POST', 'content-type': 'application/grpc', te: 'trailers', ...headers });
    for (const chunk of body) stream.write(chunk);
    stream.end();
    return await new Promise<RawResult>((resolve, reject) => {
      const result: RawResult = { headers: {}, trailers: undefined, data: Buffer.alloc(0) };
      const data: Buffer[] = [];
      stream.on('response', (h) => (result.headers = h));
      stream.on('trailers', (t) => (result.trailers = t));
      stream.on('data', (chunk: Buffer) => data.push(chunk));
      stream.on('error', reject);
      stream.on('close', () => resolve({ ...result, data: Buffer.concat(data) }));
    });
  } finally {
    session.close();
  }
}

/** The grpc-status and grpc-message of a trailers-only response. */
function status(result: RawResult): [unknown, unknown, unknown] {
  return [result.headers[':status'], result.headers['grpc-status'], result.headers['grpc-message']];
}

/** A promise plus its resolve function. */
function signalled<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Checks that the server still answers a normal call. */
async function stillServes(url: string): Promise<void> {
  const client = new GrpcClient(url);
  try {
    const replies: string[] = [];
    for await (const reply of client.call(toy.echo, [Buffer.from('alive')]).responses) replies.push(String(reply));
    assert.deepEqual(replies, ['alive']);
  } finally {
    await client.close();
  }
}

const ECHO = { ':path': toy.echo.path };

describe('GrpcServer facing misbehaving clients', () => {
  it('answers a non-POST request with HTTP 405 and a gRPC status', async () => {
    const { server, url } = await startServer();
    try {
      const result = await rawCall(url, { ...ECHO, ':method': 'GET' }, []);
      assert.deepEqual(status(result), [405, '13', 'gRPC requires method POST, got GET']);
      assert.equal(result.headers['allow'], 'POST');
    } finally {
      await server.close();
    }
  });

  it('answers a non-gRPC content-type with HTTP 415', async () => {
    const { server, url } = await startServer();
    try {
      const result = await rawCall(url, { ...ECHO, 'content-type': 'application/json' }, []);
      assert.deepEqual(status(result), [415, '13', 'gRPC requires content-type application/grpc, got "application/json"']);
    } finally {
      await server.close();
    }
  });

  it('fails compressed, oversized and truncated request bodies with precise statuses', async () => {
    const { server, url } = await startServer({ maxMessageBytes: 1024 });
    try {
      const compressed = await rawCall(url, ECHO, [Buffer.from([1, 0, 0, 0, 1, 7])]);
      assert.deepEqual(status(compressed), [200, '13', 'compressed gRPC messages are not supported (no grpc-encoding was negotiated)']);
      const oversized = await rawCall(url, ECHO, [Buffer.from([0, 0, 0, 0x13, 0x88])]);
      assert.deepEqual(status(oversized), [200, '8', 'gRPC message of 5000 bytes exceeds the maximum message size of 1024 bytes']);
      const truncated = await rawCall(url, ECHO, [Buffer.from([0, 0, 0, 0, 10, 1, 2, 3])]);
      assert.deepEqual(status(truncated), [200, '13', 'stream ended in the middle of a message: received 3 of 10 bytes']);
      await stillServes(url);
    } finally {
      await server.close();
    }
  });

  it('requires exactly one message for a unary request, as grpc-java does', async () => {
    const { server, url } = await startServer();
    try {
      const none = await rawCall(url, ECHO, []);
      assert.deepEqual(status(none), [200, '13', 'expected exactly one request message, got none']);
      const two = await rawCall(url, ECHO, [...frameMessage([Buffer.from('a')]), ...frameMessage([Buffer.from('b')])]);
      assert.deepEqual(status(two), [200, '13', 'expected exactly one request message, got more than one']);
    } finally {
      await server.close();
    }
  });

  it('rejects a malformed grpc-timeout with INTERNAL and an unknown grpc-encoding with UNIMPLEMENTED', async () => {
    const { server, url } = await startServer();
    try {
      const timeout = await rawCall(url, { ...ECHO, 'grpc-timeout': '1.5S' }, frameMessage([Buffer.from('a')]));
      assert.deepEqual(status(timeout), [
        200,
        '13',
        'malformed grpc-timeout "1.5S": expected 1 to 8 digits followed by one of H M S m u n',
      ]);
      const gzip = await rawCall(url, { ...ECHO, 'grpc-encoding': 'gzip' }, frameMessage([Buffer.from('a')]));
      assert.deepEqual(status(gzip), [200, '12', 'grpc-encoding gzip is not supported (only identity)']);
      assert.equal(gzip.headers['grpc-accept-encoding'], 'identity');
    } finally {
      await server.close();
    }
  });

  it('ends a call past its grpc-timeout with DEADLINE_EXCEEDED and aborts the handler', async () => {
    const reason = signalled<unknown>();
    const hang = bind(toy.hang, async function* (_requests, ctx: CallContext) {
      ctx.signal.addEventListener('abort', () => reason.resolve(ctx.signal.reason));
      yield* [];
      await new Promise(() => undefined);
    });
    const { server, url } = await startServer({ methods: [hang] });
    try {
      const result = await rawCall(url, { ':path': toy.hang.path, 'grpc-timeout': '50m' }, frameMessage([Buffer.from('a')]));
      assert.deepEqual(status(result), [200, '4', 'deadline exceeded calling /toy.Toy/Hang']);
      assert.equal(String(await reason.promise), 'DEADLINE_EXCEEDED: deadline exceeded calling /toy.Toy/Hang');
    } finally {
      await server.close();
    }
  });

  it('survives a client that resets its stream in the middle of a request message', async () => {
    const { server, url } = await startServer();
    const session = connect(url.replace(/^grpc:/, 'http:'));
    try {
      const stream = session.request({ ':method': 'POST', 'content-type': 'application/grpc', ':path': toy.sum.path });
      stream.on('error', () => undefined);
      stream.write(Buffer.from([0, 0, 1, 0, 0, 1, 2, 3]));
      const closed = new Promise((resolve) => stream.on('close', resolve));
      stream.close(constants.NGHTTP2_CANCEL);
      await closed;
      await stillServes(url);
    } finally {
      session.close();
      await server.close();
    }
  });

  it('survives a session destroyed while it writes a large response, and returns the handler iterator', async () => {
    const stopped = signalled<unknown>();
    const flood = bind(toy.stream, async function* (_requests, ctx: CallContext) {
      try {
        for (;;) yield Buffer.alloc(1024 * 1024);
      } finally {
        stopped.resolve(ctx.signal.reason);
      }
    });
    const { server, url } = await startServer({ methods: [flood, toyHandlers.echo] });
    const session = connect(url.replace(/^grpc:/, 'http:'));
    session.on('error', () => undefined);
    try {
      const stream = session.request({ ':method': 'POST', 'content-type': 'application/grpc', ':path': toy.stream.path });
      stream.on('error', () => undefined);
      stream.end(Buffer.concat(frameMessage([Buffer.from('[]')])));
      await new Promise((resolve) => stream.once('data', resolve));
      session.destroy();
      assert.equal(String(await stopped.promise), 'CANCELLED: call cancelled by the client');
      await stillServes(url);
    } finally {
      await server.close();
    }
  });

  it('survives bytes that are not HTTP/2 at all', async () => {
    const { server, url } = await startServer();
    try {
      const socket = connectTcp(Number(new URL(url).port), '127.0.0.1');
      socket.on('error', () => undefined);
      socket.resume();
      socket.end('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await new Promise((resolve) => socket.on('close', resolve));
      await stillServes(url);
    } finally {
      await server.close();
    }
  });
});
