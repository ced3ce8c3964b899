/**
 * How an epoch's record batches are split between the ranks of a training job. The epoch's batch
 * order (stored order, or a seeded permutation) is cut into contiguous slices whose batch counts
 * differ by at most one; a rank's slice is its share sequence. A piece may start part-way into
 * its batch (`skip` rows already read), which is how a row-level cursor resumes. Pure arithmetic.
 */

/** One batch of a share sequence: global batch index and the rows of it already read. */
export interface Piece {
  readonly batch: number;
  readonly skip: number;
}

/** A rank's batches in reading order. */
export type Share = readonly Piece[];

/** Rank `rank`'s slice [from, to) of `count` items split over `world` ranks; the first count % world ranks get one more. */
export function splitRange(count: number, rank: number, world: number): { from: number; to: number } {
  const base = Math.floor(count / world);
  const extra = count % world;
  const from = rank * base + Math.min(rank, extra);
  return { from, to: from + base + (rank < extra ? 1 : 0) };
}

/** A 32-bit mix of integers (murmur3 finaliser over each), the seed of every permutation here. */
export function mixSeed(...values: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const value of values) {
    // Two 32-bit halves so seeds up to 2^53 all matter.
    for (const part of [value >>> 0, Math.floor(value / 0x100000000) >>> 0]) {
      h = Math.imul(h ^ part, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
    }
  }
  return h >>> 0;
}

/** A deterministic Fisher-Yates permutation of 0..n-1 from a 32-bit seed (mulberry32 stream). */
export function permutation(n: number, seed: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  let state = seed >>> 0;
  for (let i = n - 1; i > 0; i--) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const random = ((t ^ (t >>> 14)) >>> 0) / 0x100000000;
    const j = Math.floor(random * (i + 1));
    const swap = out[i]!;
    out[i] = out[j]!;
    out[j] = swap;
  }
  return out;
}

/** Seed and epoch of a shuffled read. */
export interface Shuffle {
  readonly seed: number;
  readonly epoch: number;
}

/** The epoch's batch order: stored order, or the permutation of (seed, epoch). */
export function epochOrder(batchCount: number, shuffle?: Shuffle): Uint32Array {
  if (shuffle) return permutation(batchCount, mixSeed(shuffle.seed, shuffle.epoch));
  const order = new Uint32Array(batchCount);
  for (let i = 0; i < batchCount; i++) order[i] = i;
  return order;
}

/** The order rows of global batch `batch` are sent in under a shuffle (row i of the output is row order[i]). */
export function rowOrder(rows: number, batch: number, shuffle: Shuffle): Uint32Array {
  return permutation(rows, mixSeed(shuffle.seed, shuffle.epoch, batch, 0x726f7773));
}

/** Rank `rank` of `world`'s share of an epoch order. */
export function rankShare(order: ArrayLike<number>, rank: number, world: number): Piece[] {
  const { from, to } = splitRange(order.length, rank, world);
  const share: Piece[] = [];
  for (let i = from; i < to; i++) share.push({ batch: order[i]!, skip: 0 });
  return share;
}

/**
 * Rank `rank` of `world`'s share of what an interrupted epoch left: `remaining` lists, in old-rank
 * order, what each old rank still had to read. Their concatenation is split like an epoch order, so
 * piece counts differ by at most one.
 */
export function resplit(remaining: readonly Share[], rank: number, world: number): Piece[] {
  const sequence = remaining.flat();
  const { from, to } = splitRange(sequence.length, rank, world);
  return sequence.slice(from, to);
}

/** A 32-bit FNV-1a hash of a string's UTF-16 code units, to mix text (host ids) into seeds and tags. */
export function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Every rank's share of a share sequence (an epoch order, or what an interrupted epoch left) when
 * ranks run on `hosts` (rank r on hosts[r]) and `holders(batch)` lists the hosts holding a copy of
 * that batch. Each rank gets exactly as many pieces as the plain split gives it (counts differ by at
 * most one); first each piece goes to the rank with the most room among the ranks on a host holding it
 * (pieces beside fewer ranks first, then in sequence order; ties to the lower rank), then the pieces
 * left go to the ranks with room, in sequence and rank order.
 * Each share keeps sequence order. Deterministic: the same hosts and holders give the same shares.
 */
export function localShares(sequence: readonly Piece[], hosts: readonly string[], holders: (batch: number) => readonly string[]): Piece[][] {
  const world = hosts.length;
  const room = hosts.map((_, rank) => {
    const { from, to } = splitRange(sequence.length, rank, world);
    return to - from;
  });
  const ranksOn = new Map<string, number[]>();
  hosts.forEach((host, rank) => ranksOn.set(host, [...(ranksOn.get(host) ?? []), rank]));
  // The ranks beside each piece; pieces with fewer of them are placed first, so that a rank's room
  // is not spent on pieces other ranks could have read locally.
  const candidates = sequence.map((piece) => [...new Set(holders(piece.batch).flatMap((host) => ranksOn.get(host) ?? []))]);
  const byChoice = candidates.map((_, i) => i).sort((a, b) => candidates[a]!.length - candidates[b]!.length || a - b);
  const owner = new Int32Array(sequence.length).fill(-1);
  for (const i of byChoice) {
    let best = -1;
    for (const rank of candidates[i]!) {
      if (room[rank]! > 0 && (best < 0 || room[rank]! > room[best]! || (room[rank] === room[best] && rank < best))) best = rank;
    }
    if (best >= 0) {
      owner[i] = best;
      room[best] = room[best]! - 1;
    }
  }
  let rank = 0;
  for (let i = 0; i < sequence.length; i++) {
    if (owner[i] !== -1) continue;
    while (room[rank] === 0) rank++;
    owner[i] = rank;
    room[rank] = room[rank]! - 1;
  }
  const shares: Piece[][] = hosts.map(() => []);
  for (let i = 0; i < sequence.length; i++) shares[owner[i]!]!.push(sequence[i]!);
  return shares;
}
