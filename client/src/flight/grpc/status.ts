/**
 * THE mapping between FlightError and the wire: grpc-status / grpc-message trailers (the message
 * percent-encoded as the gRPC spec requires), HTTP statuses of responses without grpc-status, HTTP/2
 * RST_STREAM codes and Node socket/http2 errors. Code tables follow the gRPC spec documents
 * PROTOCOL-HTTP2.md and http-grpc-status-mapping.md.
 */
import { constants, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { Code, FlightError } from '../errors.js';
import { metadataToHeaders } from './metadata.js';
import type { Metadata } from './method.js';

/** A status as carried by grpc-status and grpc-message. */
export interface GrpcStatus {
  code: Code;
  message: string;
}

/** Bytes sent as they are in grpc-message: printable ASCII except '%'. */
function isUnreserved(byte: number): boolean {
  return byte >= 0x20 && byte <= 0x7e && byte !== 0x25;
}

/** Percent-encodes a status message: UTF-8, then every byte outside 0x20-0x7E, and '%', as %XX. */
export function encodeGrpcMessage(message: string): string {
  const bytes = Buffer.from(message, 'utf8');
  let out = '';
  for (const byte of bytes) {
    out += isUnreserved(byte) ? String.fromCharCode(byte) : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Decodes a percent-encoded grpc-message; malformed escapes are kept literally, never rejected. */
export function decodeGrpcMessage(value: string): string {
  if (!value.includes('%')) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const hex = value.slice(i + 1, i + 3);
    if (value[i] === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      // Header values arrive as latin1 strings, so a char code is the byte the peer sent.
      bytes.push(value.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Adds metadata entries one by one, dropping invalid ones: a status must always be sendable. */
function addTolerantly(headers: OutgoingHttpHeaders, md: Metadata): void {
  for (const [key, value] of Object.entries(md)) {
    try {
      metadataToHeaders({ [key]: value }, headers);
    } catch {
      // An invalid trailer set by a handler must not prevent the status itself from reaching the client.
    }
  }
}

/** The header block that ends a call: trailers, the error's metadata, grpc-status and grpc-message. */
export function statusHeaders(error: FlightError | undefined, trailers: Metadata = {}): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  addTolerantly(headers, trailers);
  if (error) addTolerantly(headers, error.metadata);
  headers['grpc-status'] = String(error ? error.code : Code.OK);
  if (error && error.message !== '') headers['grpc-message'] = encodeGrpcMessage(error.message);
  return headers;
}

/** Reads grpc-status / grpc-message from a header block; undefined when grpc-status is absent. */
export function statusFromHeaders(headers: IncomingHttpHeaders): GrpcStatus | undefined {
  const rawStatus = headers['grpc-status'];
  if (rawStatus === undefined) return undefined;
  const rawMessage = headers['grpc-message'];
  const message = decodeGrpcMessage(Array.isArray(rawMessage) ? rawMessage.join(',') : (rawMessage ?? ''));
  const text = String(rawStatus);
  const code = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(code in Code)) {
    return { code: Code.UNKNOWN, message: `invalid grpc-status ${JSON.stringify(text)}${message ? ': ' + message : ''}` };
  }
  return { code, message };
}

/** The FlightError for a non-OK status; trailer metadata keeps the first value of each key. */
export function errorFromStatus(status: GrpcStatus, trailers: Metadata = {}): FlightError {
  const metadata: Record<string, string | Buffer> = {};
  for (const [key, value] of Object.entries(trailers)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) metadata[key] = first;
  }
  return new FlightError(status.code, status.message, { metadata });
}

/** HTTP status -> gRPC code for responses that carry no grpc-status (http-grpc-status-mapping.md). */
const HTTP_TO_CODE: ReadonlyMap<number, Code> = new Map([
  [400, Code.INTERNAL],
  [401, Code.UNAUTHENTICATED],
  [403, Code.PERMISSION_DENIED],
  [404, Code.UNIMPLEMENTED],
  [429, Code.UNAVAILABLE],
  [502, Code.UNAVAILABLE],
  [503, Code.UNAVAILABLE],
  [504, Code.UNAVAILABLE],
]);

/** The error for a response whose HTTP status is not 200 and that has no grpc-status. */
export function errorFromHttpStatus(httpStatus: number): FlightError {
  return new FlightError(HTTP_TO_CODE.get(httpStatus) ?? Code.UNKNOWN, `received HTTP status ${httpStatus} without grpc-status`);
}

/** RST_STREAM code -> gRPC code (PROTOCOL-HTTP2.md, "Errors"); unlisted codes are INTERNAL. */
const RST_TO_CODE: ReadonlyMap<number, Code> = new Map([
  [constants.NGHTTP2_REFUSED_STREAM, Code.UNAVAILABLE],
  [constants.NGHTTP2_CANCEL, Code.CANCELLED],
  [constants.NGHTTP2_ENHANCE_YOUR_CALM, Code.RESOURCE_EXHAUSTED],
  [constants.NGHTTP2_INADEQUATE_SECURITY, Code.PERMISSION_DENIED],
]);

/** HTTP/2 error code names (RFC 9113 section 7), indexed by code. */
const RST_NAMES = [
  'NO_ERROR',
  'PROTOCOL_ERROR',
  'INTERNAL_ERROR',
  'FLOW_CONTROL_ERROR',
  'SETTINGS_TIMEOUT',
  'STREAM_CLOSED',
  'FRAME_SIZE_ERROR',
  'REFUSED_STREAM',
  'CANCEL',
  'COMPRESSION_ERROR',
  'CONNECT_ERROR',
  'ENHANCE_YOUR_CALM',
  'INADEQUATE_SECURITY',
  'HTTP_1_1_REQUIRED',
];

/** The nghttp2 name of an HTTP/2 error code, e.g. NGHTTP2_CANCEL. */
function rstName(rstCode: number): string {
  const name = RST_NAMES[rstCode];
  return name === undefined ? `HTTP/2 error code ${rstCode}` : `NGHTTP2_${name}`;
}

/** The error for a stream the peer reset (RST_STREAM) before a status arrived. */
export function errorFromRstCode(rstCode: number, peer: string): FlightError {
  const code = RST_TO_CODE.get(rstCode) ?? Code.INTERNAL;
  return new FlightError(code, `stream reset by ${peer} with ${rstName(rstCode)}`);
}

/** Node error codes that mean the connection is (or became) unusable. */
const UNAVAILABLE_NODE_CODES: ReadonlySet<string> = new Set([
  'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_HTTP2_SESSION_ERROR',
  'ERR_HTTP2_INVALID_SESSION',
  'ERR_HTTP2_SOCKET_UNBOUND',
  'ERR_HTTP2_PING_CANCEL',
  'ERR_SOCKET_CLOSED',
]);

/**
 * Node codes of failed TLS handshakes: OpenSSL errors (ERR_SSL_*, e.g. a server's "certificate
 * required" alert), Node's TLS checks (ERR_TLS_*, e.g. a host name not in the certificate) and the
 * X509 verification results Node names without prefix (UNABLE_TO_VERIFY_LEAF_SIGNATURE, ...).
 */
const TLS_NODE_CODE = /^(?:ERR_SSL_|ERR_TLS_|UNABLE_TO_|CERT_|DEPTH_ZERO_|SELF_SIGNED_|INVALID_CA$|INVALID_PURPOSE$|PATH_LENGTH_EXCEEDED$|HOSTNAME_MISMATCH$)/;

/** Maps a Node socket or http2 error (ECONNREFUSED, ECONNRESET, NGHTTP2 stream errors...) to a FlightError. */
/** The UNAVAILABLE errors of connections that failed or were lost: the server never answered the call. */
const connectionFailures = new WeakSet<FlightError>();

/** An UNAVAILABLE for a connection to the server that failed or was lost (isConnectionFailure tells it apart from a server's answer). */
export function connectionFailure(message: string, cause?: unknown): FlightError {
  const error = new FlightError(Code.UNAVAILABLE, message, cause === undefined ? {} : { cause });
  connectionFailures.add(error);
  return error;
}

/** Whether `err` is a connection failure (connectionFailure), not a status the server sent. */
export function isConnectionFailure(err: unknown): boolean {
  return err instanceof FlightError && connectionFailures.has(err);
}

export function errorFromTransport(err: unknown, address: string): FlightError {
  if (err instanceof FlightError) return err;
  if (!(err instanceof Error)) return new FlightError(Code.INTERNAL, `transport error with ${address}: ${String(err)}`);
  const nodeCode = (err as NodeJS.ErrnoException).code ?? '';
  if (nodeCode === 'ERR_HTTP2_STREAM_ERROR') {
    const name = /NGHTTP2_([A-Z_0-9]+)/.exec(err.message)?.[1];
    const value = name === undefined ? -1 : RST_NAMES.indexOf(name);
    if (value >= 0) return new FlightError(errorFromRstCode(value, address).code, err.message, { cause: err });
  }
  if (nodeCode === 'ERR_HTTP2_STREAM_CANCEL') {
    return err.cause === undefined
      ? new FlightError(Code.CANCELLED, `stream to ${address} cancelled: ${err.message}`, { cause: err })
      : errorFromTransport(err.cause, address);
  }
  const isSocketError = (err as NodeJS.ErrnoException).syscall !== undefined;
  if (isSocketError || UNAVAILABLE_NODE_CODES.has(nodeCode)) {
    return connectionFailure(`connection to ${address} failed: ${err.message}`, err);
  }
  if (TLS_NODE_CODE.test(nodeCode)) {
    return new FlightError(Code.UNAVAILABLE, `TLS connection to ${address} failed (${nodeCode}): ${err.message}`, { cause: err });
  }
  return new FlightError(Code.INTERNAL, `transport error with ${address}: ${err.message}`, { cause: err });
}
