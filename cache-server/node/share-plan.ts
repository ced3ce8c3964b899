/**
 * Turns a share request into the ranges a rank reads, checking every cursor it carries against the
 * dataset as it is now: one code path for plain shares, `start_after` and elastic resume.
 */
import { Code, FlightError } from '../flight/errors.js';
import { checkFingerprint, type Cursor, type Fingerprint } from './cursor.js';
import type { ShareRequest } from './flight-request.js';
import { batchAt, dropPrefix, rankShare, resplit, type BatchRange, type Share } from './shares.js';

/** A range to read and the position of its first batch in the rank's share sequence. */
export interface PlannedRange extends BatchRange {
  readonly position: number;
}

/** The ranges of a rank's share, in reading order, after any `start_after` cursor. */
export interface SharePlan {
  readonly dataset: string;
  readonly world: number;
  readonly rank: number;
  readonly fingerprint: Fingerprint;
  readonly ranges: readonly PlannedRange[];
  /** Top-level column indices to send, in order; undefined: every column. */
  readonly columns?: readonly number[];
}

/** Throws unless `cursor` is position `cursor.position` of `share` for this dataset version. */
function checkCursor(cursor: Cursor, share: Share, dataset: string, fingerprint: Fingerprint, what: string): void {
  if (cursor.dataset !== dataset) {
    throw new FlightError(Code.INVALID_ARGUMENT, `${what} is for dataset "${cursor.dataset}", not "${dataset}"`);
  }
  checkFingerprint(dataset, cursor, fingerprint, what);
  if (batchAt(share, cursor.position) !== cursor.batch) {
    throw new FlightError(Code.INVALID_ARGUMENT, `${what} does not point into this share (position ${cursor.position}, batch ${cursor.batch})`);
  }
}

/**
 * Plans the share `request` asks for over a dataset with this name and fingerprint; `columns` are
 * the indices of the request's columns in the dataset's schema.
 */
export function planShare(dataset: string, fingerprint: Fingerprint, request: ShareRequest, columns?: readonly number[]): SharePlan {
  const { rank, world } = request;
  let sequence: Share;
  if (request.resume) {
    const old = request.resume;
    const remaining = old.cursors.map((cursor, oldRank) => {
      const share = rankShare(fingerprint.batches, oldRank, old.world);
      if (cursor === null) return share;
      const what = `resume.cursors[${oldRank}]`;
      if (cursor.world !== old.world || cursor.rank !== oldRank) {
        throw new FlightError(
          Code.INVALID_ARGUMENT,
          `${what} was issued to rank ${cursor.rank} of world size ${cursor.world}, not rank ${oldRank} of ${old.world}`,
        );
      }
      checkCursor(cursor, share, dataset, fingerprint, what);
      return dropPrefix(share, cursor.position + 1);
    });
    sequence = resplit(remaining, rank, world);
  } else {
    sequence = rankShare(fingerprint.batches, rank, world);
  }
  let skip = 0;
  const after = request.startAfter;
  if (after) {
    if (after.world !== world || after.rank !== rank) {
      throw new FlightError(
        Code.INVALID_ARGUMENT,
        `start_after cursor was issued to rank ${after.rank} of world size ${after.world}, not rank ${rank} of ${world}`,
      );
    }
    checkCursor(after, sequence, dataset, fingerprint, 'start_after cursor');
    skip = after.position + 1;
  }
  const ranges: PlannedRange[] = [];
  let position = 0;
  for (const range of sequence) {
    const from = Math.max(range.from, range.from + skip - position);
    if (from < range.to) ranges.push({ from, to: range.to, position: position + from - range.from });
    position += range.to - range.from;
  }
  return columns ? { dataset, world, rank, fingerprint, ranges, columns } : { dataset, world, rank, fingerprint, ranges };
}
