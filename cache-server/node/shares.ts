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

/** An edge of a flow network: target node, residual capacity, index of the reverse edge. */
interface Edge {
  readonly to: number;
  cap: number;
  readonly rev: number;
}

/**
 * Maximum flow from node 0 to node `nodes - 1` over `edges` ([from, to, capacity]) by shortest
 * augmenting paths (Edmonds-Karp); deterministic for a given edge order. Returns the flow on each
 * edge, in the order given.
 */
function maxFlow(nodes: number, edges: readonly (readonly [number, number, number])[]): number[] {
  const graph: Edge[][] = Array.from({ length: nodes }, () => []);
  const forward = edges.map(([from, to, cap]) => {
    graph[from]!.push({ to, cap, rev: graph[to]!.length });
    graph[to]!.push({ to: from, cap: 0, rev: graph[from]!.length - 1 });
    return { from, at: graph[from]!.length - 1, cap };
  });
  const sink = nodes - 1;
  for (;;) {
    const via = new Array<{ node: number; edge: number } | undefined>(nodes);
    const queue = [0];
    for (let head = 0; head < queue.length && via[sink] === undefined; head++) {
      const node = queue[head]!;
      graph[node]!.forEach((edge, i) => {
        if (edge.cap > 0 && edge.to !== 0 && via[edge.to] === undefined) {
          via[edge.to] = { node, edge: i };
          queue.push(edge.to);
        }
      });
    }
    if (via[sink] === undefined) break;
    let amount = Infinity;
    for (let node = sink; node !== 0; node = via[node]!.node) amount = Math.min(amount, graph[via[node]!.node]![via[node]!.edge]!.cap);
    for (let node = sink; node !== 0; node = via[node]!.node) {
      const edge = graph[via[node]!.node]![via[node]!.edge]!;
      edge.cap -= amount;
      graph[edge.to]![edge.rev]!.cap += amount;
    }
  }
  return forward.map(({ from, at, cap }) => cap - graph[from]![at]!.cap);
}

/**
 * Every rank's share of a share sequence (an epoch order, or what an interrupted epoch left) when
 * ranks run on `hosts` (rank r on hosts[r]) and `holders(batch)` lists the hosts holding a copy of
 * that batch. Each rank gets exactly as many pieces as the plain split gives it (counts differ by at
 * most one), and as many pieces as possible are read on a host holding them: a maximum flow from
 * pieces (grouped by the hosts beside them) to hosts (as much room as their ranks together) decides
 * how many pieces of each group each host reads; a host's pieces go to its ranks in rank order, and
 * the pieces no rank can read locally fill the ranks with room, in sequence and rank order. Each
 * share keeps sequence order. Deterministic: the same hosts and holders give the same shares.
 */
export function localShares(sequence: readonly Piece[], hosts: readonly string[], holders: (batch: number) => readonly string[]): Piece[][] {
  const world = hosts.length;
  const room = hosts.map((_, rank) => {
    const { from, to } = splitRange(sequence.length, rank, world);
    return to - from;
  });
  // Hosts that run ranks, numbered in the order of their first rank.
  const hostIndex = new Map<string, number>();
  for (const host of hosts) if (!hostIndex.has(host)) hostIndex.set(host, hostIndex.size);
  const hostRoom = new Array<number>(hostIndex.size).fill(0);
  hosts.forEach((host, rank) => (hostRoom[hostIndex.get(host)!]! += room[rank]!));
  // Pieces grouped by the rank hosts holding them (in sequence order within a group).
  const groups: { near: number[]; pieces: number[] }[] = [];
  const groupOf = new Map<string, number>();
  sequence.forEach((piece, i) => {
    const near = [...new Set(holders(piece.batch).flatMap((host) => (hostIndex.has(host) ? [hostIndex.get(host)!] : [])))].sort((a, b) => a - b);
    if (near.length === 0) return;
    const key = near.join(',');
    let group = groupOf.get(key);
    if (group === undefined) {
      group = groups.length;
      groupOf.set(key, group);
      groups.push({ near, pieces: [] });
    }
    groups[group]!.pieces.push(i);
  });
  // Nodes: 0 source, 1..G groups, G+1..G+H hosts, G+H+1 sink.
  const G = groups.length;
  const H = hostIndex.size;
  const edges: [number, number, number][] = [];
  groups.forEach((group, g) => edges.push([0, 1 + g, group.pieces.length]));
  groups.forEach((group, g) => group.near.forEach((h) => edges.push([1 + g, 1 + G + h, group.pieces.length])));
  hostRoom.forEach((capacity, h) => edges.push([1 + G + h, 1 + G + H, capacity]));
  const flow = maxFlow(G + H + 2, edges);
  // Each group's pieces, in sequence order, to its hosts in host order, as many as the flow says.
  const byHost: number[][] = Array.from({ length: H }, () => []);
  let edge = G;
  for (const group of groups) {
    let next = 0;
    for (const h of group.near) {
      const count = flow[edge++]!;
      byHost[h]!.push(...group.pieces.slice(next, next + count));
      next += count;
    }
  }
  const owner = new Int32Array(sequence.length).fill(-1);
  const ranksOf: number[][] = Array.from({ length: H }, () => []);
  hosts.forEach((host, rank) => ranksOf[hostIndex.get(host)!]!.push(rank));
  byHost.forEach((pieces, h) => {
    pieces.sort((a, b) => a - b);
    let at = 0;
    for (const rank of ranksOf[h]!) {
      for (; room[rank]! > 0 && at < pieces.length; at++) {
        owner[pieces[at]!] = rank;
        room[rank] = room[rank]! - 1;
      }
    }
  });
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
