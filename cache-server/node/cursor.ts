/**
 * Resume cursors: where a record batch sits in a rank's share sequence, sent in each batch's
 * app_metadata as printable base64url of JSON, and handed back in `start_after` or `resume` to
 * continue after it. The dataset's batch and row counts are the version fingerprint: a cursor for
 * a dataset that has changed since is refused.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';

/** The version of a dataset a share was computed for. */
export interface Fingerprint {
  readonly batches: number;
  readonly rows: number;
}

/**
 * A place in a share: position `position` of rank `rank` of `world`'s share of `dataset`, which is
 * global batch `batch`, after its first `done` rows (in the order they are sent). `options` tags
 * the read options that shape the sequence (shuffle, seed, epoch, batch_rows), so a cursor is only
 * accepted back with the same ones.
 */
export interface Cursor extends Fingerprint {
  readonly dataset: string;
  readonly world: number;
  readonly rank: number;
  readonly position: number;
  readonly batch: number;
  readonly done: number;
  readonly options: number;
}

const VERSION = 2;

/** Encodes a cursor as base64url text. */
export function encodeCursor(cursor: Cursor): string {
  const { dataset, world, rank, position, batch, done, options, batches, rows } = cursor;
  return Buffer.from(JSON.stringify({ v: VERSION, d: dataset, w: world, r: rank, p: position, b: batch, k: done, o: options, n: batches, m: rows })).toString(
    'base64url',
  );
}

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** Decodes a cursor; INVALID_ARGUMENT for anything this node did not issue. */
export function decodeCursor(text: string): Cursor {
  const malformed = (why: string): FlightError =>
    new FlightError(Code.INVALID_ARGUMENT, `malformed cursor ${JSON.stringify(text.slice(0, 40))}: ${why}; use the app_metadata of a batch DoGet sent`);
  if (!/^[A-Za-z0-9_-]+$/.test(text)) throw malformed('not base64url');
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(text, 'base64url')));
  } catch {
    throw malformed('not a flightcache cursor');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw malformed('not a flightcache cursor');
  const r = parsed as Record<string, unknown>;
  if (r.v !== VERSION) throw malformed(`unsupported version ${JSON.stringify(r.v)}`);
  if (typeof r.d !== 'string' || r.d === '') throw malformed('no dataset');
  if (!isCount(r.w) || r.w < 1 || !isCount(r.r) || r.r >= r.w) throw malformed('bad rank or world size');
  if (!isCount(r.p) || !isCount(r.b) || !isCount(r.k) || !isCount(r.o) || !isCount(r.n) || !isCount(r.m) || r.b >= r.n) throw malformed('bad position');
  return { dataset: r.d, world: r.w, rank: r.r, position: r.p, batch: r.b, done: r.k, options: r.o, batches: r.n, rows: r.m };
}

/** Throws FAILED_PRECONDITION when the dataset is no longer the version a cursor or ticket was issued for. */
export function checkFingerprint(dataset: string, issued: Fingerprint, current: Fingerprint, what: string): void {
  if (issued.batches === current.batches && issued.rows === current.rows) return;
  throw new FlightError(
    Code.FAILED_PRECONDITION,
    `${what} is for an earlier version of dataset "${dataset}" (${issued.batches} batches, ${issued.rows} rows; ` +
      `now ${current.batches} batches, ${current.rows} rows): restart the epoch with GetFlightInfo`,
  );
}
