/**
 * Toy gRPC methods over raw bytes for the transport's tests: one of each call kind, with a sink that
 * copies each message once (as real sinks do) and encoders that split messages into several chunks.
 */
import { createHash } from 'node:crypto';
import type { BoundMethod, Handler, MessageSink, MethodDef } from '../../../client/src/flight/grpc/method.js';
import { GrpcServer, type GrpcServerOptions } from './server.js';

/** Copies a message's slices into one Buffer of its length. */
export class BytesSink implements MessageSink<Buffer> {
  private buffer = Buffer.alloc(0);
  private filled = 0;

  begin(length: number): void {
    this.buffer = Buffer.allocUnsafe(length);
    this.filled = 0;
  }

  push(slice: Uint8Array): void {
    this.buffer.set(slice, this.filled);
    this.filled += slice.length;
  }

  end(): Buffer {
    return this.buffer;
  }
}

/** Sends a message as a small head chunk plus the rest, to exercise multi-chunk framing. */
function splitChunks(message: Buffer): Uint8Array[] {
  return message.length > 10 ? [message.subarray(0, 10), message.subarray(10)] : [message];
}

/** A raw-bytes method definition for a path and call kind. */
function bytesMethod(name: string, requestStream: boolean, responseStream: boolean): MethodDef<Buffer, Buffer> {
  return {
    path: `/toy.Toy/${name}`,
    requestStream,
    responseStream,
    requestSink: () => new BytesSink(),
    encodeRequest: splitChunks,
    responseSink: () => new BytesSink(),
    encodeResponse: splitChunks,
  };
}

/** The toy service's method definitions. */
export const toy = {
  echo: bytesMethod('Echo', false, false),
  stream: bytesMethod('Stream', false, true),
  sum: bytesMethod('Sum', true, false),
  bidi: bytesMethod('Bidi', true, true),
  hang: bytesMethod('Hang', false, false),
};

/** A buffer of `size` bytes with a position-dependent pattern, so reordering or loss changes its hash. */
export function patterned(size: number, seed = 0): Buffer {
  const out = Buffer.alloc(size, seed & 0xff);
  for (let i = 0; i + 4 <= size; i += 4) out.writeUInt32LE((i + seed * 7919) >>> 0, i);
  return out;
}

/** SHA-256 hex digest of a buffer. */
export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Binds a handler to a definition, erasing message types for the server's method table. */
export function bind<Req, Res>(def: MethodDef<Req, Res>, handler: Handler<Req, Res>): BoundMethod {
  return { def, handler } as unknown as BoundMethod;
}

/** Echo, Stream (request: JSON array of sizes), Sum (responds the total byte count as text), Bidi (echo each). */
export const toyHandlers = {
  echo: bind(toy.echo, async function* (requests) {
    for await (const request of requests) yield request;
  }),
  stream: bind(toy.stream, async function* (requests) {
    for await (const request of requests) {
      const sizes = JSON.parse(request.toString('utf8')) as number[];
      for (const [i, size] of sizes.entries()) yield patterned(size, i);
    }
  }),
  sum: bind(toy.sum, async function* (requests) {
    let total = 0;
    for await (const request of requests) total += request.length;
    yield Buffer.from(String(total));
  }),
  bidi: bind(toy.bidi, async function* (requests) {
    for await (const request of requests) yield request;
  }),
};

/** Starts a server on 127.0.0.1 (an ephemeral port by default) with the given methods (the toy ones by default). */
export async function startServer(
  options: Partial<GrpcServerOptions> = {},
  port = 0,
): Promise<{ server: GrpcServer; url: string }> {
  const server = new GrpcServer({ methods: Object.values(toyHandlers), ...options });
  await server.listen({ host: '127.0.0.1', port });
  return { server, url: `grpc://127.0.0.1:${server.address!.port}` };
}
