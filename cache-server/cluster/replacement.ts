/**
 * Replacing a member that stays down: once a member has been down (or gone from the membership, as
 * a rescheduled pod's old address is) for longer than `--replace-after`, every partition placed on
 * it gets a copy on another live member, chosen by rendezvous hashing over the live members that do
 * not hold it yet. The new holder pulls the copy from a live replica (`fetch`, so no data passes
 * through the coordinator), and only once it is committed does the catalog place the partition
 * there instead, so a reader is never sent to an incomplete copy. A partition with no live copy left
 * (one replica, on the dead member) cannot be replaced; it stays `lost` until the member returns.
 * A replaced member that returns is an ordinary returning member: refill drops its stale copies and
 * rebalancing decides what it holds again. A pass also tops up partitions placed on fewer members
 * than R (or the live members, if fewer): adopted back from fewer holders, they name no dead member,
 * and rebalancing leaves them alone while its choice includes one.
 */
import type { CatalogDataset, CatalogPartition } from './catalog.js';
import type { ClusterState } from './cluster-state.js';
import type { Member } from './membership.js';
import { copyPartition, dropCopy } from './partition-copies.js';
import { placeReplicas } from './placement.js';
import { logEvent } from '../logger.js';

/** One new copy to make: `partition`, placed on `dead`, goes to `target` instead (or also, for a top-up). */
export interface Replacement {
  readonly dataset: string;
  readonly partition: CatalogPartition;
  /** The member that stayed down; undefined for a top-up of a partition placed on too few members. */
  readonly dead: string | undefined;
  /** The live member that gets the new copy. */
  readonly target: string;
}

/** Why a partition of a dead member cannot be replaced now: no live copy to copy from, or every live member holds it already. */
export type StuckReason = 'no-live-copy' | 'no-spare-member';

/** A partition of a dead member that keeps its placement for now. */
export interface StuckPartition {
  readonly dataset: string;
  readonly partition: CatalogPartition;
  readonly dead: string;
  readonly reason: StuckReason;
}

/** What planReplacements decides. */
export interface ReplacementPlan {
  readonly moves: Replacement[];
  readonly stuck: StuckPartition[];
}

/** Members down, or removed, for at least `afterMs` at `now`; `gone` maps removed member ids to when they were removed. */
export function overdueMembers(members: readonly Member[], gone: ReadonlyMap<string, number>, now: number, afterMs: number): Set<string> {
  const overdue = new Set<string>();
  for (const member of members) if (member.state === 'down' && now - member.since >= afterMs) overdue.add(member.id);
  for (const [id, since] of gone) if (now - since >= afterMs) overdue.add(id);
  return overdue;
}

/**
 * Chooses a replacement holder for every partition placed on an `overdue` member, and further
 * holders for a partition placed on fewer than min(`replicas`, live members) members: the rendezvous
 * choice (same key as placement) among the `live` members that neither are placed on nor store it.
 * Other partitions are left alone.
 */
export function planReplacements(datasets: readonly CatalogDataset[], overdue: ReadonlySet<string>, live: readonly string[], replicas: number): ReplacementPlan {
  const liveSet = new Set(live);
  const wanted = Math.min(replicas, live.filter((id) => !overdue.has(id)).length);
  const moves: Replacement[] = [];
  const stuck: StuckPartition[] = [];
  for (const dataset of datasets) {
    for (const partition of dataset.partitions) {
      const dead = partition.placement.filter((id) => overdue.has(id));
      const topUp = Math.max(0, wanted - partition.placement.length);
      if (dead.length === 0 && topUp === 0) continue;
      const stuckAll = (reason: StuckReason, ids: readonly string[]): void => {
        for (const id of ids) stuck.push({ dataset: dataset.name, partition, dead: id, reason });
      };
      if (!partition.placement.some((id) => partition.stored.has(id) && liveSet.has(id) && !overdue.has(id))) {
        stuckAll('no-live-copy', dead);
        continue;
      }
      const candidates = live.filter((id) => !partition.placement.includes(id) && !partition.stored.has(id) && !overdue.has(id));
      // Dead members are replaced first; the targets beyond them are top-ups.
      const count = Math.min(dead.length + topUp, candidates.length);
      const targets = count === 0 ? [] : placeReplicas(`${dataset.name}/${partition.storedName}`, candidates, count);
      targets.forEach((target, i) => moves.push({ dataset: dataset.name, partition, dead: dead[i], target }));
      stuckAll('no-spare-member', dead.slice(count));
    }
  }
  return { moves, stuck };
}

/** How many partitions of each dead member got a new holder in one pass. */
export type ReplacedCounts = Map<string, number>;

/** What one pass did: new holders per dead member, top-ups of partitions placed on too few members, and what stays stuck. */
export interface ReplacementOutcome {
  replaced: ReplacedCounts;
  toppedUp: number;
  stuck: StuckPartition[];
}

/** Copies one partition to its replacement holders, then switches its placement to them; resolves with the moves committed. */
async function replacePartition(state: ClusterState, moves: readonly Replacement[]): Promise<Replacement[]> {
  const { partition, dataset } = moves[0]!;
  const copied: { move: Replacement; location: string }[] = [];
  for (const move of moves) {
    const location = state.live(move.target);
    if (location === undefined) continue;
    try {
      await copyPartition(state, partition, location);
      copied.push({ move, location });
    } catch (err) {
      state.logger.warn({ member: move.dead, target: move.target, partition: partition.storedName, err: err instanceof Error ? err.message : String(err) }, 'replacement copy failed; retrying later');
    }
  }
  const committed: Replacement[] = [];
  const current = state.catalog.get(dataset)?.partitions.includes(partition) === true;
  for (const { move, location } of copied) {
    // The partition may have been dropped, moved, its member may have come back or a returning holder
    // may have been claimed during the copy: then the new copy is not needed and is removed rather
    // than left unknown on the target.
    const still =
      move.dead === undefined
        ? partition.placement.length < state.replicas
        : partition.placement.includes(move.dead) && state.membership.get(move.dead)?.state !== 'up';
    const wanted = current && still && !partition.placement.includes(move.target);
    if (!wanted) {
      await dropCopy(state, location, partition.storedName).catch((err: unknown) => state.logger.warn({ member: move.target, partition: partition.storedName, err: String(err) }, 'drop of an unneeded replacement copy failed'));
      continue;
    }
    partition.stored.add(move.target);
    if (move.dead === undefined) partition.placement = [...partition.placement, move.target];
    else {
      partition.placement = partition.placement.map((id) => (id === move.dead ? move.target : id));
      partition.stored.delete(move.dead);
    }
    committed.push(move);
  }
  return committed;
}

/** Re-replicates every partition placed on an `overdue` member or on too few members (at most `concurrency` partitions copied at once). */
export async function replaceOverdue(state: ClusterState, overdue: ReadonlySet<string>, concurrency = 4): Promise<ReplacementOutcome> {
  const plan = planReplacements(state.catalog.list(), overdue, state.liveIds(), state.replicas);
  const byPartition = new Map<CatalogPartition, Replacement[]>();
  for (const move of plan.moves) byPartition.set(move.partition, [...(byPartition.get(move.partition) ?? []), move]);
  const jobs = [...byPartition.values()];
  const replaced: ReplacedCounts = new Map();
  let toppedUp = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let job = jobs[next++]; job; job = jobs[next++]) {
      for (const { dead } of await replacePartition(state, job)) {
        if (dead === undefined) toppedUp++;
        else replaced.set(dead, (replaced.get(dead) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
  return { replaced, toppedUp, stuck: plan.stuck };
}

/** How a MemberReplacer runs. */
export interface MemberReplacerOptions {
  /** How long a member must stay down before it is replaced (ms, > 0). */
  afterMs: number;
  /** Runs a job that moves partitions, one at a time with rebalancing. */
  exclusive: (job: () => Promise<void>) => Promise<void>;
  /** Injectable clock for tests (default Date.now). */
  now?: () => number;
}

/** Watches the membership and replaces members that stay down longer than `afterMs`. */
export class MemberReplacer {
  /** Removed members still named by some placement, with when they were removed. */
  readonly #gone = new Map<string, number>();
  /** The last stuck counts logged per member, so a member that stays stuck is reported once. */
  readonly #reported = new Map<string, string>();
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #running = false;

  constructor(
    private readonly state: ClusterState,
    private readonly options: MemberReplacerOptions,
  ) {
    this.#now = options.now ?? Date.now;
  }

  /** Starts watching: call before members are added, so that every removal is seen. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#unsubscribe = this.state.membership.onChange((member, _previous, event) => {
      if (event === 'removed') this.#gone.set(member.id, this.#now());
      else this.#gone.delete(member.id);
      if (member.state === 'up') this.#reported.delete(member.id);
    });
    this.#timer = setInterval(() => void this.check(), Math.min(1000, Math.max(100, this.options.afterMs / 4)));
    this.#timer.unref();
  }

  /** Stops watching; a pass in progress finishes. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#unsubscribe?.();
  }

  /** Runs one replacement pass when some member is overdue and no pass is running; resolves when it is done. */
  async check(): Promise<void> {
    if (this.#running) return;
    const overdue = overdueMembers(this.state.membership.list(), this.#gone, this.#now(), this.options.afterMs);
    if (overdue.size === 0) return;
    this.#running = true;
    try {
      // Judged again once it is this job's turn: a member may have come back meanwhile.
      await this.options.exclusive(() => this.pass(overdueMembers(this.state.membership.list(), this.#gone, this.#now(), this.options.afterMs)));
    } catch (err) {
      this.state.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'member replacement failed; retrying');
    } finally {
      this.#running = false;
    }
  }

  /** Replaces the overdue members' partitions and reports the outcome. */
  private async pass(overdue: ReadonlySet<string>): Promise<void> {
    const { replaced, toppedUp, stuck } = await replaceOverdue(this.state, overdue);
    for (const [member, partitions] of replaced) {
      logEvent(this.state.logger, 'info', 'member_replaced', { member, partitions, afterMs: this.options.afterMs }, 'member down longer than --replace-after replaced: its partitions re-replicated on live members');
    }
    if (toppedUp > 0) this.state.logger.info({ partitions: toppedUp }, 'partitions placed on fewer members than the replica count (adopted from fewer holders) got further copies');
    const counts = new Map<string, { lost: number; degraded: number }>();
    for (const { dead, reason } of stuck) {
      const entry = counts.get(dead) ?? { lost: 0, degraded: 0 };
      if (reason === 'no-live-copy') entry.lost++;
      else entry.degraded++;
      counts.set(dead, entry);
    }
    for (const member of this.#reported.keys()) if (!counts.has(member)) this.#reported.delete(member);
    for (const [member, { lost, degraded }] of counts) {
      const summary = `${lost}/${degraded}`;
      if (this.#reported.get(member) === summary) continue;
      this.#reported.set(member, summary);
      logEvent(this.state.logger, 'warn', 'member_replaced', { member, noLiveCopy: lost, noSpareMember: degraded }, 'member down longer than --replace-after: some of its partitions cannot be re-replicated (no live copy to copy from, or no live member without one)');
    }
    const placed = new Set(this.state.catalog.list().flatMap((d) => d.partitions.flatMap((p) => p.placement)));
    for (const id of this.#gone.keys()) if (!placed.has(id)) this.#gone.delete(id);
  }
}
