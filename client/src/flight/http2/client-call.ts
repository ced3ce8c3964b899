/**
 * One client-side gRPC call on one http2 stream: request messages written with backpressure as the
 * caller's iterable produces them, responses decoded through the method's sink into a paused-when-full
 * queue, and a final status from trailers (or from the headers of a trailers-only response). Local
 * deadlines, cancel(), the caller's signal and a consumer that stops reading all reset the stream.
 */
import { once } from 'node:events';
import { constants, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { Code, FlightError } from '../errors.js';
import { FrameDecoder } from '../grpc/frame-decoder.js';
import { frameMessage } from '../grpc/frame-encoder.js';
import { metadataFromHeaders, metadataToHeaders } from '../grpc/metadata.js';
import type { CallOptions, ClientCall, Metadata, MethodDef } from '../grpc/method.js';
import {
  connectionFailure,
  errorFromHttpStatus,
  errorFromRstCode,
  errorFromStatus,
  errorFromTransport,
  statusFromHeaders,
  type GrpcStatus,
} from '../grpc/status.js';
import { formatTimeout } from '../grpc/timeout.js';
import { MessageQueue } from './message-queue.js';

/** What a call needs from its client: where it goes and how to open a stream there. */
export interface CallTransport {
  /** host:port, for error messages. */
  readonly address: string;
  readonly maxMessageBytes: number;
  /** Opens a request stream on the client's session; may throw a transport error. */
  open(headers: OutgoingHttpHeaders): ClientHttp2Stream;
}

/** setTimeout cannot wait longer than this; longer timeouts are left to the server. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A promise with its settle functions, created already handled so an unobserved failure is not fatal. */
function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(err: FlightError): void } {
  let resolve!: (value: T) => void;
  let reject!: (err: FlightError) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** Starts a call; the returned object reports its headers, responses and status. */
export function startCall<Req, Res>(
  transport: CallTransport,
  def: MethodDef<Req, Res>,
  requests: Iterable<Req> | AsyncIterable<Req>,
  options: CallOptions,
): ClientCall<Res> {
  const call = new OutgoingCall(transport, def, options);
  call.start(requests);
  return call;
}

/** A ClientCall on one http2 stream; settles exactly once through complete(). */
class OutgoingCall<Req, Res> implements ClientCall<Res> {
  readonly headers: Promise<Metadata>;
  readonly trailers: Promise<Metadata>;
  readonly responses: MessageQueue<Res>;
  private readonly headersDeferred = deferred<Metadata>();
  private readonly trailersDeferred = deferred<Metadata>();
  private readonly done = new AbortController();
  private readonly decoder: FrameDecoder<Res>;
  private stream: ClientHttp2Stream | undefined;
  private status: { status: GrpcStatus | undefined; metadata: Metadata } | undefined;
  private received = 0;
  private finished = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly onSignal = (): void => {
    const reason: unknown = this.options.signal?.reason;
    this.cancel(reason instanceof Error ? reason.message : String(reason));
  };

  constructor(
    private readonly transport: CallTransport,
    private readonly def: MethodDef<Req, Res>,
    private readonly options: CallOptions,
  ) {
    this.headers = this.headersDeferred.promise;
    this.trailers = this.trailersDeferred.promise;
    this.responses = new MessageQueue<Res>(
      { pause: () => this.stream?.pause(), resume: () => this.stream?.resume() },
      undefined,
      () => this.complete(new FlightError(Code.CANCELLED, 'call cancelled: the consumer stopped reading responses'), true),
    );
    this.decoder = new FrameDecoder(def.responseSink, (message, length) => this.onMessage(message, length), transport.maxMessageBytes);
  }

  /** Cancels the call (RST_STREAM CANCEL); its promises and responses fail with CANCELLED. */
  cancel(reason?: string): void {
    this.complete(new FlightError(Code.CANCELLED, reason ? `call cancelled: ${reason}` : 'call cancelled'), true);
  }

  /** Opens the stream, arms the deadline and the caller's signal, and starts writing requests. */
  start(requests: Iterable<Req> | AsyncIterable<Req>): void {
    const { signal, timeoutMs } = this.options;
    if (signal?.aborted) return this.onSignal();
    if (timeoutMs !== undefined && timeoutMs <= 0) return this.expire();
    const headers: OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': this.def.path,
      'content-type': 'application/grpc',
      te: 'trailers',
    };
    if (timeoutMs !== undefined) headers['grpc-timeout'] = formatTimeout(timeoutMs);
    let stream: ClientHttp2Stream;
    try {
      metadataToHeaders(this.options.metadata ?? {}, headers);
      stream = this.transport.open(headers);
    } catch (err) {
      return this.complete(errorFromTransport(err, this.transport.address), true);
    }
    this.stream = stream;
    stream.on('response', (h: IncomingHttpHeaders, _flags: number, raw: string[]) => this.onResponse(h, raw));
    stream.on('trailers', (h: IncomingHttpHeaders, _flags: number, raw: string[]) => {
      this.status = { status: statusFromHeaders(h), metadata: metadataFromHeaders(raw) };
    });
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('end', () => this.onEnd());
    stream.on('error', (err: Error) => this.complete(errorFromTransport(err, this.transport.address), true));
    stream.on('close', () => this.onEnd());
    if (timeoutMs !== undefined && timeoutMs <= MAX_TIMER_MS) this.timer = setTimeout(() => this.expire(), timeoutMs);
    signal?.addEventListener('abort', this.onSignal, { once: true });
    void this.pump(requests, stream);
  }

  private expire(): void {
    const ms = this.options.timeoutMs ?? 0;
    this.complete(new FlightError(Code.DEADLINE_EXCEEDED, `deadline of ${ms} ms exceeded calling ${this.def.path}`), true);
  }

  /** Writes requests as the iterable yields them, waiting for 'drain' whenever the stream is full. */
  private async pump(requests: Iterable<Req> | AsyncIterable<Req>, stream: ClientHttp2Stream): Promise<void> {
    let count = 0;
    try {
      for await (const request of requests) {
        if (this.finished) break;
        if (++count > 1 && !this.def.requestStream) {
          throw new FlightError(Code.INVALID_ARGUMENT, `${this.def.path} takes exactly one request message, got more`);
        }
        const chunks = frameMessage(this.def.encodeRequest(request));
        let flowing = true;
        stream.cork();
        for (const chunk of chunks) flowing = stream.write(chunk);
        stream.uncork();
        if (!flowing) await once(stream, 'drain', { signal: this.done.signal });
      }
      if (this.finished) return;
      if (count === 0 && !this.def.requestStream) {
        throw new FlightError(Code.INVALID_ARGUMENT, `${this.def.path} takes exactly one request message, got none`);
      }
      stream.end();
    } catch (err) {
      if (this.finished) return;
      const error =
        err instanceof FlightError
          ? err
          : new FlightError(Code.CANCELLED, `request stream failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
      this.complete(error, true);
    }
  }

  private onResponse(headers: IncomingHttpHeaders, raw: readonly string[]): void {
    const httpStatus = Number(headers[':status']);
    const status = statusFromHeaders(headers);
    const metadata = metadataFromHeaders(raw);
    if (status) {
      // Trailers-only response: the status arrives with the headers.
      this.status = { status, metadata };
    } else if (httpStatus !== 200) {
      this.complete(errorFromHttpStatus(httpStatus), false);
    } else if (!/^application\/grpc(?:$|[+;])/.test(String(headers['content-type'] ?? ''))) {
      this.complete(new FlightError(Code.INTERNAL, `unexpected response content-type "${String(headers['content-type'] ?? '')}"`), true);
    } else {
      this.headersDeferred.resolve(metadata);
    }
  }

  private onData(chunk: Buffer): void {
    if (this.finished) return;
    try {
      this.decoder.push(chunk);
    } catch (err) {
      this.complete(FlightError.from(err), true);
    }
  }

  private onMessage(message: Res, length: number): void {
    if (++this.received > 1 && !this.def.responseStream) {
      throw new FlightError(Code.INTERNAL, `expected one response message from ${this.def.path}, got more`);
    }
    this.responses.push(message, length);
  }

  /** The response side ended (or the stream closed): settle with the received status. */
  private onEnd(): void {
    if (this.finished) return;
    const stream = this.stream!;
    const rstCode = stream.rstCode ?? constants.NGHTTP2_NO_ERROR;
    if (!this.status) {
      // Node closes the streams of a dead connection with CANCEL; that is the server going away, not a cancel.
      const sessionLost = stream.session === undefined || stream.session.destroyed;
      const error = sessionLost
        ? connectionFailure(`connection to ${this.transport.address} closed before the call finished`)
        : rstCode !== constants.NGHTTP2_NO_ERROR
          ? errorFromRstCode(rstCode, this.transport.address)
          : new FlightError(Code.INTERNAL, `response from ${this.transport.address} ended without grpc-status`);
      return this.complete(error, false);
    }
    const { status, metadata } = this.status;
    if (!status) return this.complete(new FlightError(Code.INTERNAL, 'response trailers carry no grpc-status'), false);
    if (status.code !== Code.OK) return this.complete(errorFromStatus(status, metadata), false);
    try {
      this.decoder.finish();
    } catch (err) {
      return this.complete(FlightError.from(err), false);
    }
    if (this.received === 0 && !this.def.responseStream) {
      return this.complete(new FlightError(Code.INTERNAL, `expected one response message from ${this.def.path}, got none`), false);
    }
    this.complete(undefined, false, metadata);
  }

  /**
   * Settles the call once. `local` errors (cancel, deadline, transport) drop responses not yet read;
   * a status sent by the server is delivered after them. An unfinished stream is reset.
   */
  private complete(error: FlightError | undefined, local: boolean, trailers: Metadata = {}): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    this.options.signal?.removeEventListener('abort', this.onSignal);
    this.done.abort();
    if (error) {
      this.headersDeferred.reject(error);
      this.trailersDeferred.reject(error);
      this.responses.fail(error, local);
    } else {
      this.headersDeferred.resolve(trailers);
      this.trailersDeferred.resolve(trailers);
      this.responses.end();
    }
    const stream = this.stream;
    if (stream && !stream.closed && !stream.destroyed && (error || !stream.writableEnded)) {
      stream.close(error ? constants.NGHTTP2_CANCEL : constants.NGHTTP2_NO_ERROR);
    }
  }
}
