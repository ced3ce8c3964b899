/**
 * Converts between http2 header blocks and gRPC Metadata. Keys are lower case; keys ending in `-bin`
 * carry bytes, base64-encoded on the wire (sent padded, accepted padded or not, several values may be
 * comma-separated); all other values are printable ASCII strings. Headers that belong to the HTTP/2 or
 * gRPC transport itself never appear in Metadata and cannot be set through it.
 */
import type { OutgoingHttpHeaders } from 'node:http2';
import { Code, FlightError } from '../errors.js';
import type { Metadata } from './method.js';

/** Headers owned by the transport: filtered from received metadata and refused in sent metadata. */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-length',
  'te',
  'connection',
  'host',
  // Node adds it to every response; it says nothing about the call.
  'date',
  'grpc-timeout',
  'grpc-encoding',
  'grpc-accept-encoding',
  'grpc-status',
  'grpc-message',
]);

const KEY_PATTERN = /^[0-9a-z_.-]+$/;
const ASCII_VALUE_PATTERN = /^[\x20-\x7e]*$/;

/** Whether a header is transport-owned (pseudo-headers included). */
export function isReservedHeader(key: string): boolean {
  return key.startsWith(':') || RESERVED_HEADERS.has(key);
}

/** Decodes one or more comma-separated base64 values (padded or not) of a `-bin` header. */
function decodeBinary(value: string): Buffer[] {
  return value.split(',').map((part) => Buffer.from(part.trim(), 'base64'));
}

/**
 * Extracts the application metadata of a received header block, given as Node's flat raw list
 * [name, value, name, value, ...] so that repeated keys keep their separate values.
 */
export function metadataFromHeaders(rawHeaders: readonly string[]): Metadata {
  const md: Metadata = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const key = rawHeaders[i]!.toLowerCase();
    if (isReservedHeader(key)) continue;
    const values: Array<string | Buffer> = key.endsWith('-bin') ? decodeBinary(rawHeaders[i + 1]!) : [rawHeaders[i + 1]!];
    const existing = md[key];
    if (existing === undefined) md[key] = values.length === 1 ? values[0]! : values;
    else md[key] = [...(Array.isArray(existing) ? existing : [existing]), ...values];
  }
  return md;
}

/** Encodes one metadata value for the wire, validating it against its key. */
function encodeValue(key: string, value: string | Buffer): string {
  if (key.endsWith('-bin')) return (typeof value === 'string' ? Buffer.from(value, 'utf8') : value).toString('base64');
  if (typeof value !== 'string') {
    throw new FlightError(Code.INVALID_ARGUMENT, `metadata key "${key}" carries bytes but does not end in -bin`);
  }
  if (!ASCII_VALUE_PATTERN.test(value)) {
    throw new FlightError(
      Code.INVALID_ARGUMENT,
      `metadata value of "${key}" must be printable ASCII (use a -bin key for other bytes): ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * Adds metadata to an outgoing header block and returns the block. Keys are lower-cased; invalid keys
 * or values throw INVALID_ARGUMENT; reserved keys are skipped so that metadata cannot corrupt the call.
 */
export function metadataToHeaders(md: Metadata, into: OutgoingHttpHeaders = {}): OutgoingHttpHeaders {
  for (const [rawKey, value] of Object.entries(md)) {
    const key = rawKey.toLowerCase();
    if (!KEY_PATTERN.test(key)) {
      throw new FlightError(Code.INVALID_ARGUMENT, `invalid metadata key ${JSON.stringify(rawKey)}: use 0-9 a-z _ . -`);
    }
    if (isReservedHeader(key)) continue;
    into[key] = Array.isArray(value) ? value.map((v) => encodeValue(key, v)) : encodeValue(key, value);
  }
  return into;
}
