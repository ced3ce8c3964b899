/**
 * DoGet tickets of a cache node: UTF-8 JSON `{"v":2,"dataset":NAME}` reads a whole stored dataset.
 * A ticket issued by GetFlightInfo also carries the part of a rank's share it covers: `"b"`, runs
 * [from, to) of stored record-batch indices in reading order, `"k"`, rows of the first batch
 * already read, and `"share"` (world, rank, position of the first batch in the share sequence, the
 * read options' tag and the dataset's fingerprint), which DoGet writes into resume cursors. On a
 * cluster shard the stored dataset is one partition: `"g"` names the dataset and `"o"` is the
 * global index of the partition's first batch. Optional: `"c"` top-level column indices to send,
 * `"s"` [seed, epoch] of a shuffle, `"br"` rows per sent batch, `"q"` the query ({"sql"} or
 * {"filter"}) whose selection the ticket reads: its batch runs, rows and share then count selected
 * batches and rows (query-selection.ts); `"ql"` the rows of a cluster partition's selection that the
 * query's LIMIT keeps. Opaque to clients.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { QueryText } from '../engine/sql/plan.js';
import type { Shuffle } from './shares.js';

/** Where a ticket's batches sit in a rank's share sequence. */
export interface TicketShare {
  readonly world: number;
  readonly rank: number;
  /** Position of the ticket's first batch in the share sequence. */
  readonly position: number;
  /** Tag of the read options (cursor.ts). */
  readonly options: number;
  /** The dataset's batch count when the ticket was issued. */
  readonly batches: number;
  /** The dataset's row count when the ticket was issued. */
  readonly rows: number;
}

/** A run [from, to) of stored record-batch indices. */
export interface BatchRun {
  readonly from: number;
  readonly to: number;
}

/** What a ticket asks a node to stream. */
export interface TicketRequest {
  /** The stored dataset (a partition on a cluster shard). */
  dataset: string;
  /** The dataset cursors name, when the stored one is a partition of it. */
  global?: string;
  /** Global index of stored batch 0 (a partition's first batch). */
  offset?: number;
  /** Stored batches to send, in order; absent: all of them. */
  runs?: BatchRun[];
  /** Rows of the first batch already read. */
  skip?: number;
  share?: TicketShare;
  /** Top-level column indices to send, in order; absent: every column. */
  columns?: number[];
  shuffle?: Shuffle;
  batchRows?: number;
  /** The query whose selected rows the ticket reads. */
  query?: QueryText;
  /** A cluster partition's share of the query's LIMIT: its first selected rows to keep. */
  queryLimit?: number;
}

const VERSION = 2;

/** Encodes a ticket. */
export function encodeTicket(request: TicketRequest): Uint8Array {
  const { dataset, global, offset, runs, skip, share, columns, shuffle, batchRows, query, queryLimit } = request;
  const body: Record<string, unknown> = { v: VERSION, dataset };
  if (global !== undefined) body.g = global;
  if (offset !== undefined) body.o = offset;
  if (runs) body.b = runs.map((run) => [run.from, run.to]);
  if (skip) body.k = skip;
  if (share) body.share = { w: share.world, r: share.rank, p: share.position, o: share.options, n: share.batches, m: share.rows };
  if (columns) body.c = columns;
  if (shuffle) body.s = [shuffle.seed, shuffle.epoch];
  if (batchRows !== undefined) body.br = batchRows;
  if (query) body.q = query;
  if (queryLimit !== undefined) body.ql = queryLimit;
  return Buffer.from(JSON.stringify(body), 'utf8');
}

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const malformed = (why: string): FlightError => new FlightError(Code.INVALID_ARGUMENT, `malformed ticket: ${why}; get tickets from GetFlightInfo`);

/** Decodes a ticket, throwing INVALID_ARGUMENT for anything this node did not issue. */
export function decodeTicket(bytes: Uint8Array): TicketRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new FlightError(Code.INVALID_ARGUMENT, `malformed ticket (${bytes.length} bytes): not a flightcache ticket; get tickets from GetFlightInfo`);
  }
  if (!isObject(parsed)) throw malformed('expected a JSON object');
  const record = parsed;
  if (record.v !== VERSION) {
    throw new FlightError(Code.INVALID_ARGUMENT, `unsupported ticket version ${JSON.stringify(record.v)} (this node issues version ${VERSION})`);
  }
  if (typeof record.dataset !== 'string' || record.dataset.length === 0) throw malformed('"dataset" must be a non-empty string');
  const request: TicketRequest = { dataset: record.dataset };
  if (record.g !== undefined) {
    if (typeof record.g !== 'string' || record.g === '') throw malformed('"g" must be a dataset name');
    request.global = record.g;
  }
  if (record.o !== undefined) {
    if (!isCount(record.o)) throw malformed('"o" must be a batch index');
    request.offset = record.o;
  }
  if (record.b !== undefined) {
    const runs = record.b;
    if (!Array.isArray(runs) || !runs.every((run) => Array.isArray(run) && run.length === 2 && isCount(run[0]) && isCount(run[1]) && run[0] < run[1])) {
      throw malformed('"b" must list runs [from, to) with from < to');
    }
    request.runs = runs.map((run: number[]) => ({ from: run[0]!, to: run[1]! }));
    const share = record.share;
    if (!isObject(share) || !isCount(share.w) || share.w < 1 || !isCount(share.r) || share.r >= share.w || !isCount(share.p) || !isCount(share.o) || !isCount(share.n) || !isCount(share.m)) {
      throw malformed('a ticket with batch runs needs a valid "share"');
    }
    request.share = { world: share.w, rank: share.r, position: share.p, options: share.o, batches: share.n, rows: share.m };
  }
  if (record.k !== undefined) {
    if (!isCount(record.k) || !request.runs) throw malformed('"k" must be a row count, with batch runs');
    request.skip = record.k;
  }
  if (record.c !== undefined) {
    const columns = record.c;
    if (!Array.isArray(columns) || columns.length === 0 || !columns.every(isCount) || new Set(columns).size !== columns.length) {
      throw malformed('"c" must list distinct column indices');
    }
    request.columns = columns;
  }
  if (record.s !== undefined) {
    const s = record.s;
    if (!Array.isArray(s) || s.length !== 2 || !isCount(s[0]) || !isCount(s[1])) throw malformed('"s" must be [seed, epoch]');
    request.shuffle = { seed: s[0], epoch: s[1] };
  }
  if (record.br !== undefined) {
    if (!isCount(record.br) || record.br < 1) throw malformed('"br" must be a positive row count');
    request.batchRows = record.br;
  }
  if (record.q !== undefined) {
    const q = record.q;
    if (!isObject(q) || Object.keys(q).length !== 1 || !(typeof q.sql === 'string' || typeof q.filter === 'string')) throw malformed('"q" must be {"sql": text} or {"filter": text}');
    request.query = typeof q.sql === 'string' ? { sql: q.sql } : { filter: q.filter as string };
  }
  if (record.ql !== undefined) {
    if (!isCount(record.ql) || !request.query) throw malformed('"ql" must be a row count, with a query');
    request.queryLimit = record.ql;
  }
  return request;
}
