/**
 * Turns a share request into the pieces a rank reads, checking every cursor it carries against the
 * dataset as it is now: one code path for plain shares, shuffles, `start_after` and elastic resume.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { checkFingerprint, type Cursor, type Fingerprint } from './cursor.js';
import { optionsTag, type ShareRequest } from './flight-request.js';
import { epochOrder, hashText, localShares, mixSeed, rankShare, resplit, type Piece, type Share, type Shuffle } from './shares.js';

/** What planning needs to know of a dataset: its version and the rows of each record batch. */
export interface DatasetShape extends Fingerprint {
  readonly batchRows: ArrayLike<number>;
}

/** Where a dataset's batches are held, for shares that prefer their rank's host ("hosts"). */
export interface Holders {
  /** The hosts holding a copy of global batch `batch`. */
  of(batch: number): readonly string[];
  /** A digest of which hosts hold which batches: cursors carry it, so a share planned over other holders refuses them. */
  readonly digest: number;
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

/** The locality part of a tag: ranks' hosts and the holders' digest; undefined without hosts. */
function localityOf(hosts: readonly string[] | undefined, holders: Holders): number | undefined {
  return hosts === undefined ? undefined : mixSeed(hashText(hosts.join('\n')), holders.digest);
}

/** Rank `rank`'s part of `sequence` split over `world` ranks: by locality when `hosts` are given, else plainly. */
function split(sequence: Share, rank: number, world: number, hosts: readonly string[] | undefined, holders: Holders): Piece[] {
  return hosts === undefined ? resplit([sequence], rank, world) : localShares(sequence, hosts, (batch) => holders.of(batch))[rank]!;
}

/** Local shares of the last few epochs: each rank of a world asks for its own, and they share one computation. */
const recentEpochs = new Map<string, Piece[][]>();
const RECENT_EPOCHS = 8;

/** Every rank's local share of a whole epoch, computed once per (dataset version, order, hosts, holders). */
function epochLocalShares(dataset: string, shape: DatasetShape, order: Uint32Array, shuffle: Shuffle | undefined, hosts: readonly string[], holders: Holders): Piece[][] {
  const key = JSON.stringify([dataset, shape.batches, shape.rows, shuffle?.seed ?? null, shuffle?.epoch ?? null, holders.digest, hosts]);
  let shares = recentEpochs.get(key);
  if (!shares) {
    shares = localShares(Array.from(order, (batch) => ({ batch, skip: 0 })), hosts, (batch) => holders.of(batch));
    if (recentEpochs.size >= RECENT_EPOCHS) recentEpochs.delete(recentEpochs.keys().next().value!);
    recentEpochs.set(key, shares);
  }
  return shares;
}

/** No holders: every batch is remote to every rank. */
const NOWHERE: Holders = { of: () => [], digest: 0 };

/**
 * Plans the share `request` asks for over a dataset of this name and shape; `columns` are the
 * indices of the request's columns in the dataset's schema; `holders` say where batches are held
 * (used with the request's `hosts`).
 */
export function planShare(dataset: string, shape: DatasetShape, request: ShareRequest, columns?: readonly number[], holders: Holders = NOWHERE): SharePlan {
  const { rank, world, shuffle, batchRows } = request;
  const locality = localityOf(request.hosts, holders);
  const tag = optionsTag({ ...request, ...(locality !== undefined ? { locality } : {}) });
  // The interrupted epoch's cursors were issued before any resume: they carry the plain options' tag.
  const oldLocality = localityOf(request.resume?.hosts, holders);
  const epochTag = optionsTag({
    ...(shuffle ? { shuffle } : {}),
    ...(batchRows !== undefined ? { batchRows } : {}),
    ...(oldLocality !== undefined ? { locality: oldLocality } : {}),
  });
  const order = epochOrder(shape.batches, shuffle);
  let sequence: Share;
  if (request.resume) {
    const old = request.resume;
    const oldShares = old.hosts ? epochLocalShares(dataset, shape, order, shuffle, old.hosts, holders) : undefined;
    const remaining = old.cursors.map((cursor, oldRank) => {
      const share = oldShares ? oldShares[oldRank]! : rankShare(order, oldRank, old.world);
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
    sequence = split(remaining.flat(), rank, world, request.hosts, holders);
  } else if (request.hosts) {
    sequence = epochLocalShares(dataset, shape, order, shuffle, request.hosts, holders)[rank]!;
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
