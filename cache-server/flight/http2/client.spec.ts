import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { Code, FlightError } from '../../../client/src/flight/errors.js';
import type { CallContext } from '../../../client/src/flight/grpc/method.js';
import { GrpcClient, parseFlightUrl } from '../../../client/src/flight/http2/client.js';
import { bind, startServer, toy } from './toy-methods.fixture.js';
import { collect, failure } from '../../../test/helpers/flight-assertions.js';



/** Runs fn and returns the FlightError it throws. */
function thrown(fn: () => unknown): FlightError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FlightError);
    return err;
  }
  assert.fail('expected an error');
}

/** A promise plus its resolve function. */
function signalled<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A server whose Stream method yields 1 KiB messages forever and reports why it stopped. */
async function endlessServer(): Promise<{ close(): Promise<void>; url: string; stopped: Promise<unknown> }> {
  const stopped = signalled<unknown>();
  const method = bind(toy.stream, async function* (_requests, ctx: CallContext) {
    try {
      for (;;) yield Buffer.alloc(1024);
    } finally {
      stopped.resolve(ctx.signal.reason);
    }
  });
  const { server, url } = await startServer({ methods: [method] });
  return { close: () => server.close(), url, stopped: stopped.promise };
}

/** A server whose Hang method never answers and reports its call's abort reason. */
async function hangingServer(): Promise<{ close(): Promise<void>; url: string; aborted: Promise<unknown> }> {
  const aborted = signalled<unknown>();
  const method = bind(toy.hang, async function* (_requests, ctx: CallContext) {
    ctx.signal.addEventListener('abort', () => aborted.resolve(ctx.signal.reason));
    yield* [];
    await new Promise(() => undefined);
  });
  const { server, url } = await startServer({ methods: [method] });
  return { close: () => server.close(), url, aborted: aborted.promise };
}

describe('parseFlightUrl', () => {
  it('parses grpc, grpc+tcp and grpc+tls locations, IPv6 included', () => {
    assert.deepEqual(parseFlightUrl('grpc+tls://localhost:8815'), { host: 'localhost', port: 8815, scheme: 'grpc+tls' });
    assert.deepEqual(parseFlightUrl('grpc://localhost:8815'), { host: 'localhost', port: 8815, scheme: 'grpc' });
    assert.deepEqual(parseFlightUrl('grpc+tcp://10.0.0.1:1/'), { host: '10.0.0.1', port: 1, scheme: 'grpc+tcp' });
    assert.deepEqual(parseFlightUrl('grpc://[::1]:9000'), { host: '::1', port: 9000, scheme: 'grpc' });
  });

  it('rejects unix sockets as UNIMPLEMENTED', () => {
    const err = thrown(() => parseFlightUrl('grpc+unix:///tmp/s'));
    assert.equal(err.toString(), 'UNIMPLEMENTED: grpc+unix:// locations are not supported yet: use grpc://, grpc+tcp:// or grpc+tls:// (grpc+unix:///tmp/s)');
  });

  it('rejects malformed URLs, other schemes, missing ports and paths as INVALID_ARGUMENT', () => {
    const messages = ['not a url', 'http://h:1', 'grpc://h', 'grpc://h:1/path', 'grpc://h:1?x=1'].map((u) => thrown(() => parseFlightUrl(u)));
    assert.deepEqual(
      messages.map((e) => e.code),
      [Code.INVALID_ARGUMENT, Code.INVALID_ARGUMENT, Code.INVALID_ARGUMENT, Code.INVALID_ARGUMENT, Code.INVALID_ARGUMENT],
    );
    assert.equal(messages[2]!.message, 'Flight URL "grpc://h" needs a host and a port, e.g. grpc://localhost:8815');
  });
});

describe('GrpcClient', () => {
  it('fails with UNAVAILABLE naming the address when nothing listens', async () => {
    const probe = createServer();
    const port = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port)));
    await new Promise((resolve) => probe.close(resolve));
    const client = new GrpcClient(`grpc://127.0.0.1:${port}`);
    try {
      const err = await failure(collect(client.call(toy.echo, [Buffer.from('x')]).responses));
      assert.equal(err.toString(), `UNAVAILABLE: connection to 127.0.0.1:${port} failed: connect ECONNREFUSED 127.0.0.1:${port}`);
    } finally {
      await client.close();
    }
  });

  it('reconnects lazily after its session died', async () => {
    const first = await startServer();
    const port = Number(new URL(first.url).port);
    const client = new GrpcClient(first.url);
    try {
      assert.deepEqual((await collect(client.call(toy.echo, [Buffer.from('1')]).responses)).map(String), ['1']);
      await first.server.close();
      const restarted = await startServer({}, port);
      try {
        assert.deepEqual((await collect(client.call(toy.echo, [Buffer.from('2')]).responses)).map(String), ['2']);
      } finally {
        await restarted.server.close();
      }
    } finally {
      await client.close();
    }
  });

  it('rejects a unary call given zero or two requests with INVALID_ARGUMENT', async () => {
    const { server, url } = await startServer();
    const client = new GrpcClient(url);
    try {
      const none = await failure(collect(client.call(toy.echo, []).responses));
      assert.equal(none.toString(), 'INVALID_ARGUMENT: /toy.Toy/Echo takes exactly one request message, got none');
      const two = await failure(collect(client.call(toy.echo, [Buffer.from('a'), Buffer.from('b')]).responses));
      assert.equal(two.toString(), 'INVALID_ARGUMENT: /toy.Toy/Echo takes exactly one request message, got more');
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('refuses calls after close() with FAILED_PRECONDITION', async () => {
    const client = new GrpcClient('grpc://127.0.0.1:1');
    await client.close();
    const err = await failure(collect(client.call(toy.echo, [Buffer.from('x')]).responses));
    assert.equal(err.toString(), 'FAILED_PRECONDITION: GrpcClient for 127.0.0.1:1 is closed');
  });

  it('fails with DEADLINE_EXCEEDED when the handler never answers, and aborts the handler', async () => {
    const { close, url, aborted } = await hangingServer();
    const client = new GrpcClient(url);
    try {
      const err = await failure(collect(client.call(toy.hang, [Buffer.from('x')], { timeoutMs: 100 }).responses));
      assert.equal(err.toString(), 'DEADLINE_EXCEEDED: deadline of 100 ms exceeded calling /toy.Toy/Hang');
      // The server holds the same 100 ms deadline, so either its own timer or the client's reset aborts it first.
      assert.ok([Code.CANCELLED, Code.DEADLINE_EXCEEDED].includes(((await aborted) as FlightError).code));
    } finally {
      await client.close();
      await close();
    }
  });

  it('fails at once with DEADLINE_EXCEEDED for a zero timeout', async () => {
    const client = new GrpcClient('grpc://127.0.0.1:1');
    const err = await failure(collect(client.call(toy.echo, [Buffer.from('x')], { timeoutMs: 0 }).responses));
    assert.equal(err.toString(), 'DEADLINE_EXCEEDED: deadline of 0 ms exceeded calling /toy.Toy/Echo');
    await client.close();
  });

  it('propagates cancel() to the server as CANCELLED', async () => {
    const { close, url, aborted } = await hangingServer();
    const client = new GrpcClient(url);
    try {
      const call = client.call(toy.hang, [Buffer.from('x')]);
      const replies = collect(call.responses);
      setTimeout(() => call.cancel('user pressed stop'), 50);
      assert.equal((await failure(replies)).toString(), 'CANCELLED: call cancelled: user pressed stop');
      assert.equal(String(await aborted), 'CANCELLED: call cancelled by the client');
    } finally {
      await client.close();
      await close();
    }
  });

  it('cancels the call when the caller signal aborts', async () => {
    const { close, url, aborted } = await hangingServer();
    const client = new GrpcClient(url);
    try {
      const controller = new AbortController();
      const replies = collect(client.call(toy.hang, [Buffer.from('x')], { signal: controller.signal }).responses);
      setTimeout(() => controller.abort(new Error('job killed')), 50);
      assert.equal((await failure(replies)).toString(), 'CANCELLED: call cancelled: job killed');
      assert.equal(String(await aborted), 'CANCELLED: call cancelled by the client');
    } finally {
      await client.close();
      await close();
    }
  });

  it('resets the stream when the consumer stops reading early, returning the handler iterator', async () => {
    const { close, url, stopped } = await endlessServer();
    const client = new GrpcClient(url);
    try {
      const call = client.call(toy.stream, [Buffer.from('[]')]);
      let seen = 0;
      for await (const _ of call.responses) if (++seen === 3) break;
      assert.equal(String(await stopped), 'CANCELLED: call cancelled by the client');
      assert.equal((await failure(call.trailers)).toString(), 'CANCELLED: call cancelled: the consumer stopped reading responses');
    } finally {
      await client.close();
      await close();
    }
  });

  it('fails with CANCELLED when the request iterable throws', async () => {
    const { server, url } = await startServer();
    const client = new GrpcClient(url);
    try {
      async function* requests(): AsyncGenerator<Buffer> {
        yield Buffer.from('a');
        throw new Error('source broke');
      }
      const err = await failure(collect(client.call(toy.sum, requests()).responses));
      assert.equal(err.toString(), 'CANCELLED: request stream failed: source broke');
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('rejects an over-limit response with RESOURCE_EXHAUSTED', async () => {
    const { server, url } = await startServer();
    const client = new GrpcClient(url, { maxMessageBytes: 100 });
    try {
      const err = await failure(collect(client.call(toy.echo, [Buffer.alloc(101)]).responses));
      assert.equal(err.toString(), 'RESOURCE_EXHAUSTED: gRPC message of 101 bytes exceeds the maximum message size of 100 bytes');
    } finally {
      await client.close();
      await server.close();
    }
  });
});
