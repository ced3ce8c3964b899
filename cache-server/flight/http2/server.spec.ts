import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Code, FlightError } from '../../../client/src/flight/errors.js';
import type { CallContext } from '../../../client/src/flight/grpc/method.js';
import { GrpcClient } from '../../../client/src/flight/http2/client.js';
import { bind, patterned, sha256, startServer, toy } from './toy-methods.fixture.js';
import { collect, failure } from '../../../test/helpers/flight-assertions.js';

const MiB = 1024 * 1024;



/** A promise plus its resolve function. */
function signalled<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('GrpcServer with GrpcClient', () => {
  it('round-trips every call kind', async () => {
    const { server, url } = await startServer();
    const client = new GrpcClient(url);
    try {
      const echo = await collect(client.call(toy.echo, [Buffer.from('hello, gRPC on node:http2')]).responses);
      assert.deepEqual(echo.map(String), ['hello, gRPC on node:http2']);
      const stream = await collect(client.call(toy.stream, [Buffer.from('[0,1,5,3000]')]).responses);
      assert.deepEqual(stream, [patterned(0, 0), patterned(1, 1), patterned(5, 2), patterned(3000, 3)]);
      const sum = await collect(client.call(toy.sum, [Buffer.alloc(3), Buffer.alloc(0), Buffer.alloc(70000)]).responses);
      assert.deepEqual(sum.map(String), ['70003']);
      const bidi = await collect(client.call(toy.bidi, [Buffer.from('a'), Buffer.from('bb'), Buffer.from('')]).responses);
      assert.deepEqual(bidi.map(String), ['a', 'bb', '']);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('delivers messages of 0 bytes, 1 byte, 20 MiB and 70 MiB intact in both directions', async () => {
    const { server, url } = await startServer();
    const client = new GrpcClient(url);
    try {
      for (const [i, size] of [0, 1, 20 * MiB, 70 * MiB].entries()) {
        const message = patterned(size, i);
        const [echoed] = await collect(client.call(toy.echo, [message]).responses);
        assert.equal(echoed!.length, size);
        assert.equal(sha256(echoed!), sha256(message));
      }
      const sizes = [0, 1, 20 * MiB, 70 * MiB];
      const streamed = await collect(client.call(toy.stream, [Buffer.from(JSON.stringify(sizes))]).responses);
      assert.deepEqual(
        streamed.map((m) => sha256(m)),
        sizes.map((size, i) => sha256(patterned(size, i))),
      );
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('fails with UNIMPLEMENTED naming an unknown method', async () => {
    const { server, url } = await startServer();
    const client = new GrpcClient(url);
    try {
      const call = client.call({ ...toy.echo, path: '/toy.Toy/Missing' }, [Buffer.from('x')]);
      const err = await failure(collect(call.responses));
      assert.equal(err.toString(), 'UNIMPLEMENTED: unknown method /toy.Toy/Missing');
      assert.equal(await failure(call.headers), err);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('rejects a call with the status an interceptor throws, before the handler runs', async () => {
    let handled = 0;
    const echo = bind(toy.echo, async function* (requests) {
      handled++;
      yield* requests;
    });
    const { server, url } = await startServer({
      methods: [echo],
      interceptors: [
        (ctx) => {
          if (ctx.metadata['authorization'] !== 'Bearer ok') throw new FlightError(Code.UNAUTHENTICATED, 'bad token');
          ctx.values.set('user', 'ann');
        },
      ],
    });
    const client = new GrpcClient(url);
    try {
      const err = await failure(collect(client.call(toy.echo, [Buffer.from('x')], { metadata: { authorization: 'Bearer no' } }).responses));
      assert.equal(err.toString(), 'UNAUTHENTICATED: bad token');
      assert.equal(handled, 0);
      const ok = await collect(client.call(toy.echo, [Buffer.from('x')], { metadata: { authorization: 'Bearer ok' } }).responses);
      assert.deepEqual(ok.map(String), ['x']);
      assert.equal(handled, 1);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('round-trips request metadata, response headers and trailers, text and -bin', async () => {
    const method = bind(toy.echo, async function* (requests, ctx: CallContext) {
      for await (const _ of requests) {
        ctx.setResponseHeaders({ 'x-head': 'h1', 'x-head-bin': Buffer.from([0, 255]) });
        ctx.setTrailers({ 'x-trail': ['t1', 't2'] });
        const md = ctx.metadata;
        yield Buffer.from(JSON.stringify([md['x-text'], md['x-multi'], (md['x-data-bin'] as Buffer).toString('hex')]));
      }
    });
    const { server, url } = await startServer({ methods: [method] });
    const client = new GrpcClient(url);
    try {
      const call = client.call(toy.echo, [Buffer.from('q')], {
        metadata: { 'x-text': 'plain', 'x-multi': ['a', 'b'], 'x-data-bin': Buffer.from([1, 2, 3]) },
      });
      const [reply] = await collect(call.responses);
      assert.deepEqual(JSON.parse(String(reply)), ['plain', ['a', 'b'], '010203']);
      const headers = await call.headers;
      assert.equal(headers['x-head'], 'h1');
      assert.deepEqual(headers['x-head-bin'], Buffer.from([0, 255]));
      assert.deepEqual(await call.trailers, { 'x-trail': ['t1', 't2'] });
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('carries an error message with unicode and % and the error metadata to the client', async () => {
    const message = 'Tabelle „ü“ zu 100% weg ✓\nzweite Zeile';
    const method = bind(toy.echo, async function* () {
      yield* [];
      throw new FlightError(Code.NOT_FOUND, message, { metadata: { 'x-arrow-status-detail-bin': Buffer.from('detail') } });
    });
    const { server, url } = await startServer({ methods: [method] });
    const client = new GrpcClient(url);
    try {
      const call = client.call(toy.echo, [Buffer.from('q')]);
      const err = await failure(collect(call.responses));
      assert.equal(err.code, Code.NOT_FOUND);
      assert.equal(err.message, message);
      assert.deepEqual(err.metadata, { 'x-arrow-status-detail-bin': Buffer.from('detail') });
      assert.equal(await failure(call.trailers), err);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('turns a plain Error thrown by a handler into INTERNAL and logs it', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'error' }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    const method = bind(toy.stream, async function* () {
      yield Buffer.from('first');
      throw new Error('disk on fire');
    });
    const { server, url } = await startServer({ methods: [method], logger });
    const client = new GrpcClient(url);
    try {
      const received: string[] = [];
      const err = await failure(
        (async () => {
          for await (const m of client.call(toy.stream, [Buffer.from('q')]).responses) received.push(String(m));
        })(),
      );
      assert.equal(err.toString(), 'INTERNAL: disk on fire');
      assert.deepEqual(received, ['first']);
      assert.equal(lines.length, 1);
      assert.equal(JSON.parse(lines[0]!).msg, 'gRPC handler failed');
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('fails an over-limit request with RESOURCE_EXHAUSTED naming both sizes', async () => {
    const { server, url } = await startServer({ maxMessageBytes: 1024 });
    const client = new GrpcClient(url);
    try {
      const err = await failure(collect(client.call(toy.echo, [Buffer.alloc(2048)]).responses));
      assert.equal(err.toString(), 'RESOURCE_EXHAUSTED: gRPC message of 2048 bytes exceeds the maximum message size of 1024 bytes');
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('lets running calls finish when closing within the grace period', async () => {
    const started = signalled<void>();
    const release = signalled<void>();
    const method = bind(toy.echo, async function* (requests) {
      for await (const request of requests) {
        started.resolve();
        await release.promise;
        yield request;
      }
    });
    const { server, url } = await startServer({ methods: [method] });
    const client = new GrpcClient(url);
    try {
      const replies = collect(client.call(toy.echo, [Buffer.from('late')]).responses);
      await started.promise;
      const closed = server.close(60_000);
      release.resolve();
      assert.deepEqual((await replies).map(String), ['late']);
      await closed;
      const err = await failure(collect(client.call(toy.echo, [Buffer.from('x')]).responses));
      assert.equal(err.code, Code.UNAVAILABLE);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('aborts calls still running after the grace period with UNAVAILABLE', async () => {
    const started = signalled<void>();
    const reason = signalled<unknown>();
    const method = bind(toy.echo, async function* (_requests, ctx: CallContext) {
      ctx.signal.addEventListener('abort', () => reason.resolve(ctx.signal.reason));
      started.resolve();
      yield* [];
      await new Promise(() => undefined);
    });
    const { server, url } = await startServer({ methods: [method] });
    const client = new GrpcClient(url);
    try {
      const replies = failure(collect(client.call(toy.echo, [Buffer.from('x')]).responses));
      await started.promise;
      await server.close(10);
      assert.equal(String(await reason.promise), 'UNAVAILABLE: server is shutting down');
      assert.equal((await replies).toString(), 'UNAVAILABLE: server is shutting down');
    } finally {
      await client.close();
    }
  });
});

/** Resolves once `read()` has not changed for 250 ms: the producer it counts is blocked. */
async function settled(read: () => number): Promise<number> {
  let last = -1;
  for (;;) {
    const now = read();
    if (now === last) return now;
    last = now;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('GrpcServer and GrpcClient backpressure', () => {
  it('stops a server stream whose client does not read, and resumes it when the client reads', async () => {
    let yielded = 0;
    const method = bind(toy.stream, async function* () {
      for (; yielded < 300; yielded++) yield Buffer.alloc(MiB);
    });
    const { server, url } = await startServer({ methods: [method] });
    const client = new GrpcClient(url);
    try {
      const responses = client.call(toy.stream, [Buffer.from('[]')]).responses[Symbol.asyncIterator]();
      await responses.next();
      // Queue (16 MiB), stream window (32 MiB) and socket buffers hold well under 150 of the 300 MiB.
      assert.ok((await settled(() => yielded)) < 150, `the handler produced ${yielded} MiB ahead of the client`);
      let received = 1;
      while (!(await responses.next()).done) received++;
      assert.equal(received, 300);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('stops a client stream whose handler does not read, and resumes it when the handler reads', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const method = bind(toy.sum, async function* (requests) {
      await gate;
      let total = 0;
      for await (const request of requests) total += request.length;
      yield Buffer.from(String(total));
    });
    const { server, url } = await startServer({ methods: [method] });
    const client = new GrpcClient(url);
    let produced = 0;
    function* requests(): Generator<Buffer> {
      for (; produced < 300; produced++) yield Buffer.alloc(MiB);
    }
    try {
      const replies = collect(client.call(toy.sum, requests()).responses);
      assert.ok((await settled(() => produced)) < 150, `the client produced ${produced} MiB ahead of the handler`);
      release();
      assert.deepEqual((await replies).map(String), [String(300 * MiB)]);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
