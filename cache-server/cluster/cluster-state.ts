/**
 * What a coordinator knows about its cluster: members (with liveness), the catalog, which members
 * have been brought in line with the catalog since they last came up, and the wanted replica count.
 * Reads and placement only use members that are up and in line ("live").
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { NOT_SERVING_KEY } from '../../client/src/planning-retry.js';
import type { Logger } from '../logger.js';
import { Catalog, layoutOf, statusOf, type CatalogDataset } from './catalog.js';
import type { Member, Membership } from './membership.js';
import type { PeerClients } from './peer-clients.js';
import type { DatasetLayout } from '../node/read-plan.js';

/** A member as `stats` reports it. */
export interface MemberStats {
  id: string;
  location: string;
  state: Member['state'];
  /** Up and refilled: serves reads and takes new partitions. */
  live: boolean;
  source: Member['source'];
  since: string;
  /** The member process's instance id from its last health answer (changes when it restarts). */
  instance?: string;
  pid?: number;
}

/** The coordinator's view of the cluster. */
export class ClusterState {
  readonly catalog = new Catalog();
  /** Members refilled since they last came up. */
  readonly synced = new Set<string>();
  /** Process ids of members that told us (local shards, registrations). */
  readonly pids = new Map<string, number>();
  /**
   * Stored names of partitions this coordinator dropped (dataset drops, failed puts): the only
   * unknown partitions a returning shard may delete. Others it keeps, so a restarted coordinator,
   * whose catalog starts empty, never destroys data.
   */
  readonly dropped = new Set<string>();
  /**
   * Datasets this coordinator dropped. Every partition of theirs that it did not write after the
   * drop (those it did are in the catalog, in `dropped`, or still being written) predates the drop,
   * even one of a put that was never reported to it: such partitions are never adopted.
   */
  readonly droppedDatasets = new Set<string>();
  /**
   * Puts ("dataset#nonce") of dropped datasets, this coordinator's drops and those it learned from
   * the shards' tombstones (drop-tombstones.ts): their partitions are never adopted.
   */
  readonly tombstones = new Set<string>();
  /** Puts still being written, as "dataset#nonce": their committed partitions are not adopted meanwhile. */
  readonly pendingPuts = new Set<string>();
  /** Each member's host id, as its last health answer said (kept while it is down: placement does not change then). */
  readonly hosts = new Map<string, string>();
  /** Each member's process instance id, as its last health answer said: a new one means it restarted empty. */
  readonly instances = new Map<string, string>();
  /** Until when (ms epoch) a dataset the catalog lacks may still be held by a member not yet in line; 0: not since start-up. */
  private learnUntil = 0;
  /** Whether members are expected before any is known (a shard list or DNS name gives them). */
  private expectMembers = false;

  constructor(
    readonly membership: Membership,
    readonly peers: PeerClients,
    readonly replicas: number,
    readonly logger: Logger,
  ) {}

  /** The location of a live member, else undefined. */
  readonly live = (id: string): string | undefined => {
    const member = this.membership.get(id);
    return member && member.state === 'up' && this.synced.has(id) ? member.location : undefined;
  };

  /**
   * Opens start-up (or takeover): until every known member is in line, or `untilMs` passes, the
   * catalog may lack datasets that members hold, so an unknown name is not yet known to be absent.
   */
  startLearning(untilMs: number, expectMembers: boolean): void {
    this.learnUntil = untilMs;
    this.expectMembers = expectMembers;
  }

  /** Why a dataset the catalog lacks may still exist (members not yet in line since start-up), or undefined once it cannot. */
  learning(now = Date.now()): string | undefined {
    if (this.learnUntil === 0) return undefined;
    const members = this.membership.list();
    const waiting = members.filter((m) => !this.synced.has(m.id)).map((m) => m.id);
    if (now >= this.learnUntil || (waiting.length === 0 && (members.length > 0 || !this.expectMembers))) {
      // Once start-up is over a member going down does not make unknown names doubtful again.
      this.learnUntil = 0;
      return undefined;
    }
    const left = ((this.learnUntil - now) / 1000).toFixed(1);
    if (members.length === 0) return `the coordinator is starting and knows no member yet (waiting up to ${left} s more)`;
    return `the coordinator is starting and has not yet learned what every member holds: ${members.length - waiting.length} of ${members.length} in line, waiting up to ${left} s more for ${waiting.join(', ')}`;
  }

  /**
   * What to answer, while start-up adoption runs (learning), for an error that members not yet in
   * line may still undo: a name the catalog lacks (NOT_FOUND) or a partition with no live replica
   * (UNAVAILABLE) becomes an UNAVAILABLE marked not serving, which clients retry. Other errors, and
   * every error once learning is over, are returned as they are.
   */
  pending(err: FlightError): FlightError {
    if (err.code !== Code.NOT_FOUND && err.code !== Code.UNAVAILABLE) return err;
    if (err.metadata[NOT_SERVING_KEY] !== undefined) return err;
    const learning = this.learning();
    if (learning === undefined) return err;
    return new FlightError(Code.UNAVAILABLE, `${err.message} (so far): ${learning}; retry`, { metadata: { [NOT_SERVING_KEY]: 'learning' } });
  }

  /** Ids of live members, sorted. */
  liveIds(): string[] {
    return this.membership.up().filter((m) => this.synced.has(m.id)).map((m) => m.id);
  }

  /** A dataset's layout for readers. */
  layout(dataset: CatalogDataset): DatasetLayout {
    return layoutOf(dataset, this.live, (id) => this.membership.get(id)?.location ?? id, (id) => this.hosts.get(id) ?? '');
  }

  /** A dataset's health. */
  status(dataset: CatalogDataset): ReturnType<typeof statusOf> {
    return statusOf(dataset, this.live, this.replicas, this.membership.list().length);
  }

  /** Members for `stats` and /readyz. */
  members(): MemberStats[] {
    return this.membership.list().map((m) => {
      const pid = this.pids.get(m.id);
      const instance = this.instances.get(m.id);
      return {
        id: m.id,
        location: m.location,
        state: m.state,
        live: this.live(m.id) !== undefined,
        source: m.source,
        since: new Date(m.since).toISOString(),
        ...(instance !== undefined ? { instance } : {}),
        ...(pid !== undefined ? { pid } : {}),
      };
    });
  }
}
