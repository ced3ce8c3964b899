/**
 * A gRPC client written directly on node:http2 (plaintext h2c for grpc://, TLS with ALPN h2 for
 * grpc+tls://), generic over MethodDef. One http2
 * session per client, opened lazily and reopened on the next call after it died; large flow-control
 * windows as on the server. The session is unref'd while no call runs, so an idle client does not keep
 * the process alive.
 */
import { connect, type ClientHttp2Session, type ClientHttp2Stream, type OutgoingHttpHeaders } from 'node:http2';
import { Code, FlightError } from '../errors.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../grpc/frame-decoder.js';
import type { CallOptions, ClientCall, MethodDef } from '../grpc/method.js';
import { startCall, type CallTransport } from './client-call.js';
import { DEFAULT_WINDOW_BYTES, MAX_SESSION_MEMORY_MB, localSettings, raiseSessionWindow } from './settings.js';
import { secureContextOptions, type TlsMaterial } from './tls.js';

/** A parsed Flight location. */
export interface FlightUrl {
  host: string;
  port: number;
  scheme: 'grpc' | 'grpc+tcp' | 'grpc+tls';
}

/** Parses grpc://host:port, grpc+tcp://host:port (plaintext) or grpc+tls://host:port; other schemes and malformed URLs are rejected. */
export function parseFlightUrl(url: string): FlightUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FlightError(Code.INVALID_ARGUMENT, `invalid Flight URL ${JSON.stringify(url)}: expected grpc://host:port`);
  }
  const scheme = parsed.protocol.slice(0, -1);
  if (scheme === 'grpc+unix') {
    throw new FlightError(Code.UNIMPLEMENTED, `${scheme}:// locations are not supported yet: use grpc://, grpc+tcp:// or grpc+tls:// (${url})`);
  }
  if (scheme !== 'grpc' && scheme !== 'grpc+tcp' && scheme !== 'grpc+tls') {
    throw new FlightError(Code.INVALID_ARGUMENT, `unsupported Flight URL scheme ${scheme}:// in ${JSON.stringify(url)}: expected grpc://host:port`);
  }
  if (parsed.hostname === '' || parsed.port === '') {
    throw new FlightError(Code.INVALID_ARGUMENT, `Flight URL ${JSON.stringify(url)} needs a host and a port, e.g. grpc://localhost:8815`);
  }
  if ((parsed.pathname !== '' && parsed.pathname !== '/') || parsed.search !== '' || parsed.username !== '') {
    throw new FlightError(Code.INVALID_ARGUMENT, `Flight URL ${JSON.stringify(url)} must be only scheme://host:port`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(parsed.port), scheme };
}

/** Options of a GrpcClient. */
export interface GrpcClientOptions {
  /** Largest response message accepted (default 2 GiB - 1); larger ones fail with RESOURCE_EXHAUSTED. */
  maxMessageBytes?: number;
  /** Per-stream receive window (default 32 MiB). */
  windowBytes?: number;
  /**
   * TLS of grpc+tls:// URLs: `ca` the roots the server's certificate must chain to (default: the
   * system's), `cert` and `key` the client certificate servers that verify clients (mTLS) ask for.
   */
  tls?: TlsMaterial;
}

/** Calls gRPC methods on one server over one (lazily re-opened) http2 session. */
export class GrpcClient {
  /** host:port of the server. */
  readonly address: string;
  private readonly authority: string;
  private readonly windowBytes: number;
  private readonly tls: TlsMaterial | undefined;
  private readonly transport: CallTransport;
  private session: ClientHttp2Session | undefined;
  /** Calls running on each session, to ref it while busy and unref it while idle. */
  private readonly running = new Map<ClientHttp2Session, number>();
  private closed = false;

  constructor(url: string, options: GrpcClientOptions = {}) {
    const { host, port, scheme } = parseFlightUrl(url);
    const hostPart = host.includes(':') ? `[${host}]` : host;
    this.address = `${hostPart}:${port}`;
    const secure = scheme === 'grpc+tls';
    this.authority = `${secure ? 'https' : 'http'}://${hostPart}:${port}`;
    this.tls = secure ? (options.tls ?? {}) : undefined;
    this.windowBytes = options.windowBytes ?? DEFAULT_WINDOW_BYTES;
    this.transport = {
      address: this.address,
      maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      open: (headers) => this.open(headers),
    };
  }

  /** Starts a call of any kind; unary requests are an iterable of one. */
  call<Req, Res>(def: MethodDef<Req, Res>, requests: Iterable<Req> | AsyncIterable<Req>, options: CallOptions = {}): ClientCall<Res> {
    return startCall(this.transport, def, requests, options);
  }

  /** Closes the session after its running calls end; later calls fail with FAILED_PRECONDITION. */
  async close(): Promise<void> {
    this.closed = true;
    const session = this.session;
    this.session = undefined;
    if (!session || session.destroyed) return;
    await new Promise<void>((resolve) => session.close(() => resolve()));
  }

  private open(headers: OutgoingHttpHeaders): ClientHttp2Stream {
    if (this.closed) throw new FlightError(Code.FAILED_PRECONDITION, `GrpcClient for ${this.address} is closed`);
    const session = this.currentSession();
    const stream = session.request(headers, { endStream: false });
    const before = this.running.get(session) ?? 0;
    this.running.set(session, before + 1);
    if (before === 0) session.ref();
    stream.once('close', () => {
      const left = (this.running.get(session) ?? 1) - 1;
      this.running.set(session, left);
      if (left === 0 && !session.destroyed) session.unref();
    });
    return stream;
  }

  /** The live session, connecting a new one if there is none or the last one closed or failed. */
  private currentSession(): ClientHttp2Session {
    const current = this.session;
    if (current && !current.closed && !current.destroyed) return current;
    const tls = this.tls === undefined ? {} : secureContextOptions(this.tls);
    const session = connect(this.authority, { settings: localSettings(this.windowBytes), maxSessionMemory: MAX_SESSION_MEMORY_MB, ...tls });
    // Failures reach the calls through their streams; the session-level event only needs a listener.
    session.on('error', () => undefined);
    session.once('connect', () => {
      if (!session.destroyed) raiseSessionWindow(session, this.windowBytes);
    });
    session.once('close', () => {
      this.running.delete(session);
      if (this.session === session) this.session = undefined;
    });
    session.unref();
    this.session = session;
    return session;
  }
}
