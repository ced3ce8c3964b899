/**
 * Turns a share request into the pieces a rank reads, checking every cursor it carries against the
 * dataset as it is now: one code path for plain shares, shuffles, `start_after` and elastic resume.
 */
import { Code, FlightError } from '../flight/errors.js';
import { checkFingerprint, type Cursor, type Fingerprint } from './cursor.js';
import { optionsTag, type ShareRequest } from './flight-request.js';
import { epochOrder, rankShare, resplit, type Piece, type Share, type Shuffle } from './shares.js';

/** What planning needs to know of a dataset: its version and the rows of each record batch. */
export interface DatasetShape extends Fingerprint {
  readonly batchRows: ArrayLike<number>;
}

/** A piece of a rank's share and its position in the share sequence. */
export interface PlannedPiece extends Piece {
  readonly position: number;
}

/** The pieces of a rank's share, in reading order, after any `start_after` cursor. */
export interface SharePlan {
  readonly dataset: string;
  readonly world: number;
  readonly rank: number;
  readonly fingerprint: Fingerprint;
  /** Tag of the options below, written into every cursor. */
  readonly options: number;
  readonly shuffle?: Shuffle;
  readonly batchRows?: number;
  readonly pieces: readonly PlannedPiece[];
  /** Top-level column indices to send, in order; undefined: every column. */
  readonly columns?: readonly number[];
}

/** The part of `share` after `cursor`, which must be a cursor of it; `what` names the cursor in errors. */
function after(cursor: Cursor, share: Share, dataset: string, shape: DatasetShape, tag: number, what: string): Piece[] {
  if (cursor.dataset !== dataset) {
    throw new FlightError(Code.INVALID_ARGUMENT, `${what} is for dataset "${cursor.dataset}", not "${dataset}"`);
  }
  checkFingerprint(dataset, cursor, shape, what);
  if (cursor.options !== tag) {
    throw new FlightError(Code.INVALID_ARGUMENT, `${what} was issued for other shuffle, seed, epoch, batch_rows or resume options than this request's`);
  }
  const piece = share[cursor.position];
  const rows = shape.batchRows[cursor.batch] ?? 0;
  if (piece === undefined || piece.batch !== cursor.batch || cursor.done < piece.skip || cursor.done > rows) {
    throw new FlightError(Code.INVALID_ARGUMENT, `${what} does not point into this share (position ${cursor.position}, batch ${cursor.batch})`);
  }
  const rest = share.slice(cursor.position + 1);
  return cursor.done < rows ? [{ batch: cursor.batch, skip: cursor.done }, ...rest] : rest;
}

/**
 * Plans the share `request` asks for over a dataset of this name and shape; `columns` are the
 * indices of the request's columns in the dataset's schema.
 */
export function planShare(dataset: string, shape: DatasetShape, request: ShareRequest, columns?: readonly number[]): SharePlan {
  const { rank, world, shuffle, batchRows } = request;
  const tag = optionsTag(request);
  // The interrupted epoch's cursors were issued before any resume: they carry the plain options' tag.
  const epochTag = optionsTag({ ...(shuffle ? { shuffle } : {}), ...(batchRows !== undefined ? { batchRows } : {}) });
  const order = epochOrder(shape.batches, shuffle);
  let sequence: Share;
  if (request.resume) {
    const old = request.resume;
    const remaining = old.cursors.map((cursor, oldRank) => {
      const share = rankShare(order, oldRank, old.world);
      if (cursor === null) return share;
      const what = `resume.cursors[${oldRank}]`;
      if (cursor.world !== old.world || cursor.rank !== oldRank) {
        throw new FlightError(
          Code.INVALID_ARGUMENT,
          `${what} was issued to rank ${cursor.rank} of world size ${cursor.world}, not rank ${oldRank} of ${old.world}`,
        );
      }
      return after(cursor, share, dataset, shape, epochTag, what);
    });
    sequence = resplit(remaining, rank, world);
  } else {
    sequence = rankShare(order, rank, world);
  }
  let first = 0;
  if (request.startAfter) {
    const cursor = request.startAfter;
    if (cursor.world !== world || cursor.rank !== rank) {
      throw new FlightError(
        Code.INVALID_ARGUMENT,
        `start_after cursor was issued to rank ${cursor.rank} of world size ${cursor.world}, not rank ${rank} of ${world}`,
      );
    }
    const rest = after(cursor, sequence, dataset, shape, tag, 'start_after cursor');
    first = sequence.length - rest.length;
    sequence = [...sequence.slice(0, first), ...rest];
  }
  // Plain literals, not spreads: plans of many thousand pieces are built on every GetFlightInfo.
  const pieces: PlannedPiece[] = [];
  for (let i = first; i < sequence.length; i++) pieces.push({ batch: sequence[i]!.batch, skip: sequence[i]!.skip, position: i });
  return {
    dataset,
    world,
    rank,
    fingerprint: { batches: shape.batches, rows: shape.rows },
    options: tag,
    pieces,
    ...(shuffle ? { shuffle } : {}),
    ...(batchRows !== undefined ? { batchRows } : {}),
    ...(columns ? { columns } : {}),
  };
}
