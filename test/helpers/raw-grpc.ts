/** Hand-written gRPC requests on raw http2 streams, for requests no well-behaved client sends. */
import { once } from 'node:events';
import { connect, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { createConnection, type Socket } from 'node:net';

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

/** A frame as the raw connection received it. */
export interface RawFrame {
  readonly type: number;
  readonly flags: number;
  readonly stream: number;
  readonly payload: Buffer;
}

/** HTTP/2 frame types used here. */
export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, GOAWAY: 7 } as const;

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

/** HPACK "literal header field without indexing, new name", lengths under 127, no Huffman coding. */
function literal(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0, name.length]), Buffer.from(name), Buffer.from([value.length]), Buffer.from(value)]);
}

/**
 * An HTTP/2 connection written frame by frame, which opens streams whatever the server's
 * SETTINGS say: what a hostile client does and Node's own client never would.
 */
export class RawHttp2Connection {
  readonly frames: RawFrame[] = [];
  private readonly socket: Socket;
  private pending = Buffer.alloc(0);
  private nextStream = 1;
  private readonly settled: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    let settle!: () => void;
    this.settled = new Promise((resolve) => (settle = resolve));
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      this.pending = Buffer.concat([this.pending, chunk]);
      while (this.pending.length >= 9) {
        const length = this.pending.readUIntBE(0, 3);
        if (this.pending.length < 9 + length) break;
        const received: RawFrame = { type: this.pending[3]!, flags: this.pending[4]!, stream: this.pending.readUInt32BE(5) & 0x7fffffff, payload: this.pending.subarray(9, 9 + length) };
        this.pending = this.pending.subarray(9 + length);
        this.frames.push(received);
        if (received.type === FRAME.SETTINGS && (received.flags & 1) === 0) {
          socket.write(frame(FRAME.SETTINGS, 1, 0, Buffer.alloc(0)));
          settle();
        }
      }
    });
  }

  /** Connects to a grpc:// URL and exchanges SETTINGS. */
  static async open(url: string): Promise<RawHttp2Connection> {
    const { hostname, port } = new URL(url.replace(/^grpc:/, 'http:'));
    const socket = createConnection({ host: hostname, port: Number(port) });
    await once(socket, 'connect');
    const connection = new RawHttp2Connection(socket);
    socket.write(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0, Buffer.alloc(0))]));
    await connection.settled;
    return connection;
  }

  /** Opens a stream calling Flight method `method` (headers only, the request left open); returns its id. */
  openCall(method: string): number {
    const id = this.nextStream;
    this.nextStream += 2;
    const block = Buffer.concat([
      literal(':method', 'POST'),
      literal(':scheme', 'http'),
      literal(':path', `/arrow.flight.protocol.FlightService/${method}`),
      literal(':authority', 'localhost'),
      literal('content-type', 'application/grpc'),
      literal('te', 'trailers'),
    ]);
    this.socket.write(frame(FRAME.HEADERS, 0x4, id, block));
    return id;
  }

  /** The first received frame `matches` accepts, once it came (undefined after `timeoutMs`). */
  async frame(matches: (frame: RawFrame) => boolean, timeoutMs = 5000): Promise<RawFrame | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(matches);
      if (found || Date.now() > deadline) return found;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
