/**
 * One server-side gRPC call on one http2 stream: interceptors, request decoding with backpressure, the
 * handler's response iteration with write backpressure, deadlines, cancellation and the final status.
 * Every await is raced against the call's abort signal, so a handler that never settles cannot keep a
 * cancelled, expired or shut-down call alive.
 */
import { once } from 'node:events';
import { constants, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { logEvent, type Logger } from '../../logger.js';
import { Code, FlightError } from '../../../client/src/flight/errors.js';
import { FrameDecoder } from '../../../client/src/flight/grpc/frame-decoder.js';
import { frameMessage } from '../../../client/src/flight/grpc/frame-encoder.js';
import { metadataFromHeaders, metadataToHeaders } from '../../../client/src/flight/grpc/metadata.js';
import type { BoundMethod, CallContext, Interceptor, Metadata } from '../../../client/src/flight/grpc/method.js';
import { errorFromRstCode, statusHeaders } from '../../../client/src/flight/grpc/status.js';
import { parseTimeout } from '../../../client/src/flight/grpc/timeout.js';
import { MessageQueue } from '../../../client/src/flight/http2/message-queue.js';

/** How a call ended: for metrics. */
export interface CallOutcome {
  /** The gRPC path, e.g. /arrow.flight.protocol.FlightService/DoGet. */
  path: string;
  code: Code;
  /** The status message of a failed call. */
  message?: string;
  seconds: number;
  receivedBytes: number;
  sentBytes: number;
}

/** Server-wide settings every call needs. */
export interface CallSettings {
  interceptors: readonly Interceptor[];
  logger: Logger;
  maxMessageBytes: number;
  /** Told of every call once it has its status. */
  onFinished?: (outcome: CallOutcome) => void;
}

/** Headers of every gRPC response; grpc-accept-encoding tells clients not to compress. */
export const RESPONSE_HEADERS = { ':status': 200, 'content-type': 'application/grpc', 'grpc-accept-encoding': 'identity' };

/** Statuses that refuse what a caller sent (bad credentials or scope, limits, malformed input): each is logged as a `refused` event. */
const REFUSALS = new Set([Code.UNAUTHENTICATED, Code.PERMISSION_DENIED, Code.RESOURCE_EXHAUSTED, Code.INVALID_ARGUMENT]);

/** host:port of the client on the other end of a stream. */
export function peerOf(stream: ServerHttp2Stream): string {
  const socket = stream.session?.socket;
  return `${socket?.remoteAddress ?? 'unknown'}:${socket?.remotePort ?? 0}`;
}

/** Logs a refused call or stream: what was refused, to whom and why. */
export function logRefusal(logger: Logger, error: FlightError, path: string, peer: string): void {
  logEvent(logger, 'warn', 'refused', { code: error.codeName, method: path.slice(path.lastIndexOf('/') + 1), peer, error: error.message }, 'request refused');
}

/** setTimeout cannot wait longer than this; longer deadlines are left to the client. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The one request of a non-streaming call, as the handler's request iterable. */
async function* oneRequest<T>(request: T): AsyncGenerator<T> {
  yield request;
}

/**
 * Waits for the single request of a unary-request call. Like grpc-java, the handler only starts once
 * the client half-closed, and zero or several messages fail the call with INTERNAL.
 */
async function singleRequest<T>(requests: AsyncIterable<T>): Promise<AsyncIterable<T>> {
  const iterator = requests[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) throw new FlightError(Code.INTERNAL, 'expected exactly one request message, got none');
  const second = await iterator.next();
  if (!second.done) throw new FlightError(Code.INTERNAL, 'expected exactly one request message, got more than one');
  return oneRequest(first.value);
}

/** A call in progress; `run()` drives it to its status, `cancel()` ends it from outside. */
export class ServerCall {
  readonly ctx: CallContext;
  private readonly controller = new AbortController();
  private readonly aborted: Promise<never>;
  private readonly requests: MessageQueue<unknown>;
  private readonly decoder: FrameDecoder<unknown>;
  private readonly responseHeaders: Metadata = {};
  private readonly trailers: Metadata = {};
  private readonly headerError: FlightError | undefined;
  private headersSent = false;
  private finished = false;
  private pendingTrailers = statusHeaders(undefined);
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = process.hrtime.bigint();
  private receivedBytes = 0;
  private sentBytes = 0;

  constructor(
    private readonly stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    rawHeaders: readonly string[],
    private readonly method: BoundMethod,
    private readonly settings: CallSettings,
  ) {
    this.aborted = new Promise<never>((_, reject) => {
      this.controller.signal.addEventListener('abort', () => reject(this.controller.signal.reason), { once: true });
    });
    this.aborted.catch(() => undefined);
    let deadline: number | undefined;
    let headerError: FlightError | undefined;
    const timeout = headers['grpc-timeout'];
    try {
      if (timeout !== undefined) deadline = Date.now() + parseTimeout(String(timeout));
      const encoding = headers['grpc-encoding'];
      if (encoding !== undefined && encoding !== 'identity') {
        throw new FlightError(Code.UNIMPLEMENTED, `grpc-encoding ${String(encoding)} is not supported (only identity)`);
      }
    } catch (err) {
      headerError = FlightError.from(err);
    }
    this.headerError = headerError;
    const peer = peerOf(stream);
    this.ctx = {
      path: method.def.path,
      metadata: metadataFromHeaders(rawHeaders),
      signal: this.controller.signal,
      deadline,
      peer,
      setResponseHeaders: (md) => Object.assign(this.responseHeaders, md),
      setTrailers: (md) => Object.assign(this.trailers, md),
      values: new Map(),
    };
    this.requests = new MessageQueue(stream);
    const limit = method.requestLimit;
    this.decoder = new FrameDecoder(
      () => method.def.requestSink(this.ctx),
      (message, length) => this.requests.push(message, length),
      limit?.bytes ?? settings.maxMessageBytes,
      limit && `${method.def.path.slice(method.def.path.lastIndexOf('/') + 1)} requests are limited by ${limit.raisedBy}`,
    );
    stream.on('aborted', () => this.onClosed());
    stream.on('close', () => this.onClosed());
  }

  /** Runs interceptors and the handler and sends the call's status; never rejects. */
  async run(): Promise<void> {
    let iterator: AsyncIterator<unknown> | undefined;
    try {
      if (this.headerError) throw this.headerError;
      this.armDeadline();
      for (const interceptor of this.settings.interceptors) await this.race(interceptor(this.ctx));
      // Reading starts only now, so a rejected caller cannot make request sinks allocate anything.
      this.stream.on('data', (chunk: Buffer) => this.onData(chunk));
      this.stream.on('end', () => this.onEnd());
      const requests = this.method.def.requestStream ? this.requests : await this.race(singleRequest(this.requests));
      iterator = this.method.handler(requests, this.ctx)[Symbol.asyncIterator]();
      for (;;) {
        const result = await this.race(iterator.next());
        if (result.done) {
          iterator = undefined;
          break;
        }
        await this.send(result.value);
      }
      this.finish(undefined);
    } catch (err) {
      this.finish(this.failure(err));
    } finally {
      // Not awaited: a generator suspended in an await only settles return() once that await does.
      iterator?.return?.().catch(() => undefined);
    }
  }

  /**
   * Ends the call from outside (server shutdown): aborts the handler, then answers trailers-only with
   * the reason if nothing was sent yet (headers are not flow-controlled, so they always get out), else
   * resets the stream.
   */
  cancel(reason: FlightError): void {
    this.abort(reason);
    if (!this.finished && !this.headersSent) this.finish(reason);
    else if (!this.stream.destroyed && !this.stream.closed) this.stream.close(constants.NGHTTP2_CANCEL);
  }

  private race<T>(value: T | Promise<T>): Promise<T> {
    return Promise.race([value, this.aborted]);
  }

  private abort(reason: FlightError): void {
    if (this.controller.signal.aborted) return;
    this.controller.abort(reason);
    this.requests.fail(reason, true);
  }

  private armDeadline(): void {
    if (this.ctx.deadline === undefined) return;
    const delay = this.ctx.deadline - Date.now();
    const expire = (): void => this.abort(new FlightError(Code.DEADLINE_EXCEEDED, `deadline exceeded calling ${this.ctx.path}`));
    if (delay <= 0) expire();
    else if (delay <= MAX_TIMER_MS) this.timer = setTimeout(expire, delay);
  }

  /** The status for whatever ended the call: the abort reason wins over what the handler threw after it. */
  private failure(err: unknown): FlightError {
    if (this.controller.signal.aborted) return this.controller.signal.reason as FlightError;
    if (err instanceof FlightError) return err;
    this.settings.logger.error({ err, path: this.ctx.path, peer: this.ctx.peer }, 'gRPC handler failed');
    return FlightError.from(err, Code.INTERNAL);
  }

  private onData(chunk: Buffer): void {
    if (this.requests.closed) return;
    this.receivedBytes += chunk.length;
    try {
      this.decoder.push(chunk);
    } catch (err) {
      this.abort(FlightError.from(err));
    }
  }

  private onEnd(): void {
    if (this.requests.closed) return;
    try {
      this.decoder.finish();
      this.requests.end();
    } catch (err) {
      this.abort(FlightError.from(err));
    }
  }

  /** The stream closed or was reset before the call sent its status: the client is gone. */
  private onClosed(): void {
    if (this.finished) return;
    const rstCode = this.stream.rstCode ?? constants.NGHTTP2_CANCEL;
    const message =
      rstCode === constants.NGHTTP2_CANCEL
        ? 'call cancelled by the client'
        : `call cancelled: ${errorFromRstCode(rstCode, this.ctx.peer).message}`;
    this.abort(new FlightError(Code.CANCELLED, message));
  }

  private sendHeaders(): void {
    const headers = metadataToHeaders(this.responseHeaders, { ...RESPONSE_HEADERS });
    this.stream.respond(headers, { waitForTrailers: true });
    this.headersSent = true;
    this.stream.on('wantTrailers', () => {
      try {
        this.stream.sendTrailers(this.pendingTrailers);
      } catch (err) {
        this.settings.logger.debug({ err, path: this.ctx.path }, 'could not send gRPC trailers');
      }
    });
  }

  /** Writes one response message, then waits for 'drain' if the stream's buffer is full. */
  private async send(response: unknown): Promise<void> {
    const chunks = frameMessage(this.method.def.encodeResponse(response));
    if (this.controller.signal.aborted) throw this.controller.signal.reason;
    if (!this.headersSent) this.sendHeaders();
    let flowing = true;
    this.stream.cork();
    for (const chunk of chunks) {
      flowing = this.stream.write(chunk);
      this.sentBytes += chunk.byteLength;
    }
    this.stream.uncork();
    if (!flowing) await once(this.stream, 'drain', { signal: this.controller.signal });
  }

  /** Sends the status (trailers-only if nothing was sent yet) and stops reading requests. */
  private finish(error: FlightError | undefined): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    if (error && REFUSALS.has(error.code)) logRefusal(this.settings.logger, error, this.ctx.path, this.ctx.peer);
    this.settings.onFinished?.({
      path: this.ctx.path,
      code: error?.code ?? Code.OK,
      ...(error ? { message: error.message } : {}),
      seconds: Number(process.hrtime.bigint() - this.startedAt) / 1e9,
      receivedBytes: this.receivedBytes,
      sentBytes: this.sentBytes,
    });
    this.decoder.discard();
    this.requests.discard();
    this.stream.resume();
    if (this.stream.destroyed || this.stream.closed) return;
    try {
      if (this.headersSent) {
        this.pendingTrailers = statusHeaders(error, this.trailers);
        this.stream.end();
      } else {
        const status = statusHeaders(error, { ...this.responseHeaders, ...this.trailers });
        this.stream.respond({ ...RESPONSE_HEADERS, ...status }, { endStream: true });
      }
    } catch (err) {
      this.settings.logger.debug({ err, path: this.ctx.path }, 'could not send gRPC status');
    }
  }
}
