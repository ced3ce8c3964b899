/**
 * A gRPC server written directly on node:http2 (plaintext h2c, or TLS with ALPN h2 and, given a CA,
 * client certificates required), generic over MethodDef. Response
 * messages are written as their encoders' chunks without concatenation; request messages reach their
 * sinks as slices of the received DATA chunks. Client misbehaviour (bad headers, malformed frames,
 * resets, dying sessions) ends the affected call or session with a status, never the process.
 */
import { once } from 'node:events';
import {
  createSecureServer,
  createServer,
  type Http2SecureServer,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger, type Logger } from '../../logger.js';
import { Code, FlightError } from '../../../client/src/flight/errors.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../../../client/src/flight/grpc/frame-decoder.js';
import type { BoundMethod, Interceptor } from '../../../client/src/flight/grpc/method.js';
import { statusHeaders } from '../../../client/src/flight/grpc/status.js';
import { DEFAULT_MAX_STREAMS, DEFAULT_WINDOW_BYTES, MAX_SESSION_MEMORY_MB, localSettings, raiseSessionWindow } from '../../../client/src/flight/http2/settings.js';
import { RESPONSE_HEADERS, ServerCall, logRefusal, peerOf, type CallOutcome, type CallSettings } from './server-call.js';
import { DEFAULT_TLS_RELOAD_MS, secureContextOptions, type TlsCredentials } from '../../../client/src/flight/http2/tls.js';

/** Options of a GrpcServer. */
export interface GrpcServerOptions {
  methods: readonly BoundMethod[];
  /** Run in order before every handler; a thrown FlightError becomes the call's status. */
  interceptors?: readonly Interceptor[];
  logger?: Logger;
  /** Largest request message of methods bound without their own limit (default 2 GiB - 1); larger ones fail with RESOURCE_EXHAUSTED. */
  maxMessageBytes?: number;
  /** Per-stream receive window (default 32 MiB). */
  windowBytes?: number;
  /** Calls one connection may have open at once (default DEFAULT_MAX_STREAMS). */
  maxConcurrentStreams?: number;
  /** Serve TLS with these credentials (absent: plaintext); new connections get the certificate of the last reload. */
  tls?: TlsCredentials;
  /** How often the TLS files are checked for changes, in ms (default DEFAULT_TLS_RELOAD_MS). */
  tlsReloadMs?: number;
  /** Told of every call once it has its status (metrics). */
  onCallFinished?: (outcome: CallOutcome) => void;
}

/** Where a server listens. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** How long aborted calls get to flush their status before sessions are destroyed. */
const SHUTDOWN_FLUSH_MS = 100;

/** Matches application/grpc, application/grpc+proto, application/grpc;charset=... */
const GRPC_CONTENT_TYPE = /^application\/grpc(?:$|[+;])/;

/** Serves bound methods over gRPC on one listening socket. */
export class GrpcServer {
  private readonly methods = new Map<string, BoundMethod>();
  private readonly settings: CallSettings;
  private readonly windowBytes: number;
  private readonly maxConcurrentStreams: number;
  private readonly sessions = new Set<ServerHttp2Session>();
  private readonly calls = new Set<ServerCall>();
  private readonly tls: TlsCredentials | undefined;
  private readonly tlsReloadMs: number;
  private server: Http2Server | Http2SecureServer | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private bound: ListenAddress | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: GrpcServerOptions) {
    for (const method of options.methods) {
      if (this.methods.has(method.def.path)) {
        throw new FlightError(Code.INVALID_ARGUMENT, `method ${method.def.path} is bound twice`);
      }
      this.methods.set(method.def.path, method);
    }
    this.settings = {
      interceptors: options.interceptors ?? [],
      logger: options.logger ?? silentLogger,
      maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      ...(options.onCallFinished ? { onFinished: options.onCallFinished } : {}),
    };
    this.windowBytes = options.windowBytes ?? DEFAULT_WINDOW_BYTES;
    this.maxConcurrentStreams = options.maxConcurrentStreams ?? DEFAULT_MAX_STREAMS;
    this.tls = options.tls;
    this.tlsReloadMs = options.tlsReloadMs ?? DEFAULT_TLS_RELOAD_MS;
  }

  /** The listening server: TLS (ALPN h2 only, client certificates required when a CA is given) or plaintext. */
  private createHttp2Server(): Http2Server | Http2SecureServer {
    const settings = localSettings(this.windowBytes, this.maxConcurrentStreams);
    const common = { settings, maxSessionMemory: MAX_SESSION_MEMORY_MB };
    if (!this.tls) return createServer(common);
    const verify = this.tls.verifiesClients;
    const server = createSecureServer({ ...common, ...secureContextOptions(this.tls.current), requestCert: verify, rejectUnauthorized: verify, allowHTTP1: false });
    server.on('tlsClientError', (err: Error) => this.settings.logger.debug({ err }, 'TLS handshake failed'));
    this.watchTlsFiles(server, this.tls);
    return server;
  }

  /** Looks at the TLS files every tlsReloadMs and gives new connections the new certificate once they changed. */
  private watchTlsFiles(server: Http2SecureServer, tls: TlsCredentials): void {
    this.reloadTimer = setInterval(() => {
      tls.refresh().then(
        (changed) => {
          if (!changed || this.closing) return;
          server.setSecureContext(secureContextOptions(tls.current));
          this.settings.logger.info({ files: tls.files }, 'TLS certificate reloaded');
        },
        (err: unknown) => this.settings.logger.warn({ err, files: tls.files }, 'TLS files could not be reloaded; serving the previous certificate'),
      );
    }, this.tlsReloadMs);
    this.reloadTimer.unref();
  }

  /** The bound address once listening (the real port when 0 was asked for). */
  get address(): ListenAddress | undefined {
    return this.bound;
  }

  /** Starts listening; port 0 picks a free port. Fails with UNAVAILABLE if the address cannot be bound. */
  async listen({ host = '127.0.0.1', port = 0 }: Partial<ListenAddress> = {}): Promise<ListenAddress> {
    if (this.server) throw new FlightError(Code.FAILED_PRECONDITION, 'GrpcServer.listen was already called');
    const server = this.createHttp2Server();
    this.server = server;
    server.on('session', (session: ServerHttp2Session) => this.onSession(session));
    server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, raw: string[]) =>
      this.onStream(stream, headers, raw),
    );
    server.on('sessionError', (err: Error) => this.settings.logger.debug({ err }, 'http2 session error'));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      clearInterval(this.reloadTimer);
      this.server = undefined;
      throw new FlightError(Code.UNAVAILABLE, `cannot listen on ${host}:${port}: ${(err as Error).message}`, { cause: err });
    }
    server.on('error', (err: Error) => this.settings.logger.error({ err }, 'gRPC server error'));
    const info = server.address() as AddressInfo;
    this.bound = { host: info.address, port: info.port };
    return this.bound;
  }

  /**
   * Stops accepting connections and calls, lets running calls finish for up to `graceMs`, then aborts
   * the rest (their ctx.signal fires with UNAVAILABLE and their streams are reset) and closes sessions.
   */
  close(graceMs = 0): Promise<void> {
    this.closing ??= this.shutdown(graceMs);
    return this.closing;
  }

  private async shutdown(graceMs: number): Promise<void> {
    const server = this.server;
    if (!server) return;
    clearInterval(this.reloadTimer);
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    // once() rejects on an 'error' event; a session failing while closing still counts as closed.
    const sessionsClosed = Promise.all([...this.sessions].map((session) => once(session, 'close').catch(() => undefined)));
    for (const session of this.sessions) session.close();
    const grace = new AbortController();
    const drained = await Promise.race([
      sessionsClosed.then(() => true),
      sleep(graceMs, false, { signal: grace.signal }).catch(() => false),
    ]);
    grace.abort();
    if (!drained) {
      const reason = new FlightError(Code.UNAVAILABLE, 'server is shutting down');
      for (const call of this.calls) call.cancel(reason);
      // Give the statuses and resets a moment to reach the clients before the sockets go.
      await Promise.race([sessionsClosed, sleep(SHUTDOWN_FLUSH_MS)]);
      for (const session of this.sessions) session.destroy();
    }
    await serverClosed;
  }

  private onSession(session: ServerHttp2Session): void {
    this.sessions.add(session);
    session.on('close', () => this.sessions.delete(session));
    session.on('error', (err: Error) => this.settings.logger.debug({ err }, 'http2 session failed'));
    try {
      raiseSessionWindow(session, this.windowBytes);
    } catch (err) {
      this.settings.logger.debug({ err }, 'could not raise the session window');
    }
  }

  private onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: readonly string[]): void {
    stream.on('error', (err: Error) => this.settings.logger.debug({ err }, 'http2 stream error'));
    const path = String(headers[':path'] ?? '');
    if (this.closing) {
      return this.reject(stream, 200, new FlightError(Code.UNAVAILABLE, 'server is shutting down'), path);
    }
    if (headers[':method'] !== 'POST') {
      const err = new FlightError(Code.INTERNAL, `gRPC requires method POST, got ${String(headers[':method'])}`);
      return this.reject(stream, 405, err, path);
    }
    const contentType = String(headers['content-type'] ?? '');
    if (!GRPC_CONTENT_TYPE.test(contentType)) {
      const err = new FlightError(Code.INTERNAL, `gRPC requires content-type application/grpc, got "${contentType}"`);
      return this.reject(stream, 415, err, path);
    }
    const method = this.methods.get(path);
    if (!method) return this.reject(stream, 200, new FlightError(Code.UNIMPLEMENTED, `unknown method ${path}`), path);
    const call = new ServerCall(stream, headers, rawHeaders, method, this.settings);
    this.calls.add(call);
    stream.once('close', () => this.calls.delete(call));
    void call.run();
  }

  /** Answers a stream that never becomes a call with a single header block, and drops its body. */
  private reject(stream: ServerHttp2Stream, httpStatus: number, error: FlightError, path: string): void {
    stream.resume();
    // Shutting down refuses nothing the caller did wrong.
    if (error.code !== Code.UNAVAILABLE) logRefusal(this.settings.logger, error, path, peerOf(stream));
    if (stream.destroyed || stream.closed) return;
    try {
      // Non-200 answers still carry grpc-status so that gRPC clients report the precise reason.
      const http =
        httpStatus === 200
          ? RESPONSE_HEADERS
          : { ':status': httpStatus, 'content-type': 'text/plain; charset=utf-8', ...(httpStatus === 405 ? { allow: 'POST' } : {}) };
      const headers = { ...http, ...statusHeaders(error) };
      stream.respond(headers, { endStream: true });
    } catch (err) {
      this.settings.logger.debug({ err }, 'could not reject an http2 stream');
    }
  }
}
