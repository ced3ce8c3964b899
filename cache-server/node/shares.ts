/**
 * How a dataset's record batches are split between the ranks of a training job: contiguous ranges
 * whose batch counts differ by at most one, and the re-split of what an interrupted epoch left over
 * when the job restarts with another world size. Pure arithmetic over batch indices.
 */

/** Record-batch indices [from, to) of a dataset. */
export interface BatchRange {
  readonly from: number;
  readonly to: number;
}

/** The batches of one rank: contiguous slices in the order they are read (the share sequence). */
export type Share = readonly BatchRange[];

/** Rank `rank`'s slice [from, to) of `count` items split over `world` ranks; the first count % world ranks get one more. */
export function splitRange(count: number, rank: number, world: number): BatchRange {
  const base = Math.floor(count / world);
  const extra = count % world;
  const from = rank * base + Math.min(rank, extra);
  return { from, to: from + base + (rank < extra ? 1 : 0) };
}

/** Number of batches in a share. */
export function shareLength(share: Share): number {
  return share.reduce((sum, range) => sum + range.to - range.from, 0);
}

/** The part of a share after its first `skip` batches (a share read up to position skip - 1). */
export function dropPrefix(share: Share, skip: number): BatchRange[] {
  return sliceShare(share, skip, shareLength(share));
}

/** The batch index at `position` of a share's sequence, or undefined past its end. */
export function batchAt(share: Share, position: number): number | undefined {
  let rest = position;
  for (const range of share) {
    const length = range.to - range.from;
    if (rest < length) return range.from + rest;
    rest -= length;
  }
  return undefined;
}

/** Positions [start, end) of a share's sequence, as batch ranges (empty ranges left out). */
export function sliceShare(share: Share, start: number, end: number): BatchRange[] {
  const out: BatchRange[] = [];
  let offset = 0;
  for (const range of share) {
    const length = range.to - range.from;
    const from = Math.max(start - offset, 0);
    const to = Math.min(end - offset, length);
    if (from < to) out.push({ from: range.from + from, to: range.from + to });
    offset += length;
  }
  return out;
}

/** Rank `rank`'s share of `batchCount` batches over `world` ranks: one range, empty when there are fewer batches than ranks. */
export function rankShare(batchCount: number, rank: number, world: number): BatchRange[] {
  const range = splitRange(batchCount, rank, world);
  return range.from < range.to ? [range] : [];
}

/**
 * Rank `rank` of `world`'s share of the batches that remain after an interruption: `remaining` lists,
 * in old-rank order, what each old rank had still to read. Their concatenation is split like a
 * dataset, so each new share is a run of contiguous sub-ranges and counts differ by at most one.
 */
export function resplit(remaining: readonly Share[], rank: number, world: number): BatchRange[] {
  const sequence = remaining.flat();
  const { from, to } = splitRange(shareLength(sequence), rank, world);
  return sliceShare(sequence, from, to);
}
