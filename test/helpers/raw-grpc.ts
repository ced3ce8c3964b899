/** Hand-written gRPC requests on raw http2 streams, for requests no well-behaved client sends. */
import { connect, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';

/** An http2 session to a grpc:// URL. */
export function rawSession(url: string): ClientHttp2Session {
  return connect(url.replace(/^grpc:/, 'http:'));
}

/**
 * Opens a stream to Flight method `method`, writes a gRPC prefix announcing `length` bytes and then
 * `partial` (the start of the message, possibly nothing), and leaves the stream open.
 */
export function announce(session: ClientHttp2Session, method: string, length: number, partial: Uint8Array = new Uint8Array()): ClientHttp2Stream {
  const stream = session.request({ ':method': 'POST', ':path': `/arrow.flight.protocol.FlightService/${method}`, 'content-type': 'application/grpc', te: 'trailers' });
  stream.on('error', () => undefined);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(length, 1);
  stream.write(Buffer.concat([prefix, partial]));
  return stream;
}
