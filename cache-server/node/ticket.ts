/**
 * DoGet tickets of a cache node: UTF-8 JSON `{"v":1,"dataset":NAME}`, optionally with a batch range
 * `"range":{"from":F,"to":T}` over record-batch indices and the `"share"` it belongs to (world,
 * rank, the position of batch F in that rank's share sequence, and the dataset's fingerprint), which
 * DoGet needs to write resume cursors, and optionally `"c":[i, ...]`, the top-level column indices
 * to send in that order. A ticket without a range means the whole dataset. Opaque to
 * clients; versioned so that later issues can extend them.
 */
import { Code, FlightError } from '../flight/errors.js';
import type { BatchRange } from './shares.js';

/** Where a ticket's range sits in a rank's share sequence. */
export interface TicketShare {
  readonly world: number;
  readonly rank: number;
  /** Position of the range's first batch in the share sequence. */
  readonly position: number;
  /** The dataset's batch count when the ticket was issued. */
  readonly batches: number;
  /** The dataset's row count when the ticket was issued. */
  readonly rows: number;
}

/** What a ticket asks a node to stream. */
export interface TicketRequest {
  dataset: string;
  range?: BatchRange;
  share?: TicketShare;
  /** Top-level column indices to send, in order; absent: every column. */
  columns?: number[];
}

const VERSION = 1;

/** Encodes a ticket for a dataset, or for a range of it. */
export function encodeTicket(request: TicketRequest): Uint8Array {
  const { dataset, range, share, columns } = request;
  const body: Record<string, unknown> = { v: VERSION, dataset };
  if (range) body.range = { from: range.from, to: range.to };
  if (share) body.share = { w: share.world, r: share.rank, p: share.position, n: share.batches, m: share.rows };
  if (columns) body.c = columns;
  return Buffer.from(JSON.stringify(body), 'utf8');
}

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Decodes a ticket, throwing INVALID_ARGUMENT for anything this node did not issue. */
export function decodeTicket(bytes: Uint8Array): TicketRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new FlightError(Code.INVALID_ARGUMENT, `malformed ticket (${bytes.length} bytes): not a flightcache ticket; get tickets from GetFlightInfo`);
  }
  if (!isObject(parsed)) {
    throw new FlightError(Code.INVALID_ARGUMENT, 'malformed ticket: expected a JSON object; get tickets from GetFlightInfo');
  }
  const record = parsed;
  if (record.v !== VERSION) {
    throw new FlightError(Code.INVALID_ARGUMENT, `unsupported ticket version ${JSON.stringify(record.v)} (this node issues version ${VERSION})`);
  }
  if (typeof record.dataset !== 'string' || record.dataset.length === 0) {
    throw new FlightError(Code.INVALID_ARGUMENT, 'malformed ticket: "dataset" must be a non-empty string');
  }
  const request: TicketRequest = { dataset: record.dataset };
  if (record.range !== undefined) {
    const range = record.range;
    if (!isObject(range) || !isCount(range.from) || !isCount(range.to) || range.from > range.to) {
      throw new FlightError(Code.INVALID_ARGUMENT, 'malformed ticket: "range" must be {"from":F,"to":T} with 0 <= F <= T');
    }
    request.range = { from: range.from, to: range.to };
    const share = record.share;
    if (!isObject(share) || !isCount(share.w) || share.w < 1 || !isCount(share.r) || share.r >= share.w || !isCount(share.p) || !isCount(share.n) || !isCount(share.m) || range.to > share.n) {
      throw new FlightError(Code.INVALID_ARGUMENT, 'malformed ticket: a ranged ticket needs a valid "share"');
    }
    request.share = { world: share.w, rank: share.r, position: share.p, batches: share.n, rows: share.m };
  }
  if (record.c !== undefined) {
    const columns = record.c;
    if (!Array.isArray(columns) || columns.length === 0 || !columns.every(isCount) || new Set(columns).size !== columns.length) {
      throw new FlightError(Code.INVALID_ARGUMENT, 'malformed ticket: "c" must list distinct column indices');
    }
    request.columns = columns;
  }
  return request;
}
