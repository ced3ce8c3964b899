/**
 * DoGet tickets of a cache node: UTF-8 JSON `{"v":1,"dataset":NAME}`. Opaque to clients; versioned so
 * that later issues (partitions, projections, resume cursors) can extend them.
 */
import { Code, FlightError } from '../flight/errors.js';

/** What a ticket asks a node to stream. */
export interface TicketRequest {
  dataset: string;
}

const VERSION = 1;

/** Encodes a ticket for a dataset. */
export function encodeTicket(request: TicketRequest): Uint8Array {
  return Buffer.from(JSON.stringify({ v: VERSION, dataset: request.dataset }), 'utf8');
}

/** Decodes a ticket, throwing INVALID_ARGUMENT for anything this node did not issue. */
export function decodeTicket(bytes: Uint8Array): TicketRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new FlightError(Code.INVALID_ARGUMENT, `malformed ticket (${bytes.length} bytes): not a flightcache ticket; get tickets from GetFlightInfo`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new FlightError(Code.INVALID_ARGUMENT, 'malformed ticket: expected a JSON object; get tickets from GetFlightInfo');
  }
  const record = parsed as Record<string, unknown>;
  if (record.v !== VERSION) {
    throw new FlightError(Code.INVALID_ARGUMENT, `unsupported ticket version ${JSON.stringify(record.v)} (this node issues version ${VERSION})`);
  }
  if (typeof record.dataset !== 'string' || record.dataset.length === 0) {
    throw new FlightError(Code.INVALID_ARGUMENT, 'malformed ticket: "dataset" must be a non-empty string');
  }
  return { dataset: record.dataset };
}
