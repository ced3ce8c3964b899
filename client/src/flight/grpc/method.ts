/**
 * The neutral shape between gRPC framing and the code that implements or calls a service: a method
 * definition (how to decode and encode its messages) and the per-call context. No http2 here.
 */
import type { FlightError } from '../errors.js';

/**
 * Receives one length-prefixed message in pieces and returns the decoded value. The frame decoder
 * calls begin(length), then push() with consecutive slices of exactly `length` bytes in total, then
 * end(). Slices alias socket buffers: a sink that keeps bytes must copy them (once) into memory it owns.
 * A sink may throw a FlightError (e.g. RESOURCE_EXHAUSTED); the call then fails with that status.
 */
export interface MessageSink<T> {
  begin(length: number): void;
  push(slice: Uint8Array): void;
  end(): T;
  /** Called instead of end() when the call stops inside the message: let go of what it holds. */
  discard?(): void;
}

/** Memory a request's bytes are buffered in, charged to a budget until release(). */
export interface RequestBuffer {
  readonly bytes: Uint8Array;
  release(): void;
}

/** Hands out exactly `bytes` bytes of charged memory; throws RESOURCE_EXHAUSTED when the budget is spent. */
export type RequestMemory = (bytes: number) => RequestBuffer;

/** How one RPC's messages cross the wire. */
export interface MethodDef<Req, Res> {
  /** Full gRPC path, e.g. /arrow.flight.protocol.FlightService/DoGet. */
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  /** Creates the sink that decodes the next request message (server side). */
  requestSink: (ctx: CallContext) => MessageSink<Req>;
  /** Encodes a request as chunks written in order without concatenation (client side). */
  encodeRequest: (req: Req) => readonly Uint8Array[];
  /** Creates the sink that decodes the next response message (client side). */
  responseSink: () => MessageSink<Res>;
  /** Encodes a response as chunks written in order without concatenation (server side). */
  encodeResponse: (res: Res) => readonly Uint8Array[];
}

/** Call metadata: lower-case keys; `-bin` keys hold decoded bytes, all others strings. */
export type Metadata = Record<string, string | Buffer | Array<string | Buffer>>;

/** What a server-side handler knows about its call. */
export interface CallContext {
  /** The method path being called. */
  readonly path: string;
  /** Request headers (custom metadata, authorization, ...). */
  readonly metadata: Metadata;
  /** Aborted when the client cancels (RST_STREAM), the deadline passes, or the server shuts down. */
  readonly signal: AbortSignal;
  /** Absolute deadline in ms since the epoch (Date.now() scale), if the client sent grpc-timeout. */
  readonly deadline: number | undefined;
  /** Remote address as host:port. */
  readonly peer: string;
  /** Adds response headers; only effective before the first response message is sent. */
  setResponseHeaders(md: Metadata): void;
  /** Adds response trailers, sent with grpc-status. */
  setTrailers(md: Metadata): void;
  /** Free-form per-call values set by interceptors (e.g. the authenticated identity). */
  readonly values: Map<string, unknown>;
}

/**
 * A server handler. Every call kind has this one shape: request messages in, response messages out.
 * For non-streaming requests the transport delivers exactly one request (else the call fails).
 * Throwing a FlightError (or rejecting/throwing from the iterator) ends the call with its status.
 */
export type Handler<Req, Res> = (requests: AsyncIterable<Req>, ctx: CallContext) => AsyncIterable<Res>;

/** Runs before every call's handler; throw a FlightError to reject the call. */
export type Interceptor = (ctx: CallContext) => void | Promise<void>;

/** The largest request message a method accepts, checked on the length prefix before any byte is buffered. */
export interface MessageLimit {
  readonly bytes: number;
  /** What raises the limit, named in the refusal, e.g. "--max-request (FLIGHTCACHE_MAX_REQUEST)". */
  readonly raisedBy: string;
}

/** A method definition bound to its handler. */
export interface BoundMethod<Req = unknown, Res = unknown> {
  def: MethodDef<Req, Res>;
  handler: Handler<Req, Res>;
  /** This method's request limit; absent: the server's maxMessageBytes. */
  requestLimit?: MessageLimit;
}

/** Result of a client call: headers, responses and the final status. */
export interface ClientCall<Res> {
  /** Response headers (resolves when they arrive; rejects with the call's error if none came). */
  headers: Promise<Metadata>;
  /** Response messages; the iterator throws the call's FlightError if the status is not OK. */
  responses: AsyncIterable<Res>;
  /** Trailers of a finished call (OK status); rejects like `responses`. */
  trailers: Promise<Metadata>;
  /** Cancels the call (RST_STREAM CANCEL). */
  cancel(reason?: string): void;
}

/** Per-call client options. */
export interface CallOptions {
  metadata?: Metadata;
  /** Relative timeout in ms, sent as grpc-timeout and enforced locally. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type { FlightError };
