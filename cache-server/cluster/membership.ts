/**
 * The coordinator's member table. Every member is probed (a Flight `health` call) each interval; a
 * member is down after `failuresToDown` failed probes in a row or `silenceToDownMs` without an answer,
 * and up again on its next answer. With the defaults a member that stops answering is down within
 * 2.5 s: silence is checked every round (500 ms), also while its probe still hangs.
 */
import { silentLogger, type Logger } from '../logger.js';

/** Whether a member answers its probes. */
export type MemberState = 'up' | 'down';

/** One member (a shard) as the table knows it. */
export interface Member {
  readonly id: string;
  /** grpc://host:port */
  readonly location: string;
  readonly state: MemberState;
  /** ms epoch of the last state change (or of being added). */
  readonly since: number;
  /** ms epoch of the last successful probe. */
  readonly lastSeen?: number;
  readonly source: 'static' | 'dns' | 'registered' | 'local';
}

/** What happened to a member: it was added, its state changed, or it was removed. */
export type MemberEvent = 'added' | 'state' | 'removed';

/** Receives member changes; on 'removed' the member is its last snapshot and previous equals its state. */
export type MemberListener = (member: Member, previous: MemberState | undefined, event: MemberEvent) => void;

/** How members are probed and when they count as down. */
export interface MembershipOptions {
  /** Probes one member; resolves when it answers healthy, rejects otherwise. The coordinator passes a Flight `health` action call with a deadline. */
  probe: (member: Member, signal: AbortSignal) => Promise<void>;
  /** Time between probe rounds (default 500). */
  intervalMs?: number;
  /** A probe unanswered this long is aborted and counts as failed (default 1000). */
  probeTimeoutMs?: number;
  /** Down after this many failed probes in a row ... (default 2) */
  failuresToDown?: number;
  /** ... or this long without a successful answer (default 2000). */
  silenceToDownMs?: number;
  /** A round later than this past its interval means this process stalled; the stall is not counted as silence. Default: off. */
  stallMs?: number;
  /** Injectable clock for tests (default Date.now). */
  now?: () => number;
  /** Where listener errors are reported (default silent). */
  logger?: Logger;
}

/** The mutable row behind a Member snapshot. */
interface Row {
  member: Member;
  failures: number;
  /** Last successful probe, or when the member was declared up without one. */
  aliveAt: number;
  probing: boolean;
}

/** The member table with heartbeats. */
export class Membership {
  private readonly rows = new Map<string, Row>();
  private readonly listeners = new Set<MemberListener>();
  private readonly inFlight = new Set<AbortController>();
  private readonly probe: MembershipOptions['probe'];
  private readonly intervalMs: number;
  private readonly probeTimeoutMs: number;
  private readonly failuresToDown: number;
  private readonly silenceToDownMs: number;
  private readonly stallMs: number | undefined;
  private readonly now: () => number;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  /** When the last probe round started. */
  private lastRound: number | undefined;
  /** Bumped by stop() so that the results of probes it aborted are ignored. */
  private generation = 0;

  constructor(options: MembershipOptions) {
    this.probe = options.probe;
    this.intervalMs = options.intervalMs ?? 500;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 1000;
    this.failuresToDown = options.failuresToDown ?? 2;
    this.silenceToDownMs = options.silenceToDownMs ?? 2000;
    this.stallMs = options.stallMs;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
  }

  /** Adds or updates a member (same id: location/source updated); new members start 'down' until their first answer, unless `up` is given. */
  upsert(member: { id: string; location: string; source: Member['source'] }, up = false): void {
    const now = this.now();
    const row = this.rows.get(member.id);
    if (row === undefined) {
      const added: Row = {
        member: Object.freeze({ ...member, state: up ? 'up' : 'down', since: now }),
        failures: 0,
        aliveAt: now,
        probing: false,
      };
      this.rows.set(member.id, added);
      this.emit(added.member, undefined, 'added');
      return;
    }
    const previous = row.member.state;
    row.member = Object.freeze({ ...row.member, location: member.location, source: member.source });
    if (up) {
      row.aliveAt = now;
      row.failures = 0;
      if (previous === 'down') this.setState(row, 'up', now);
    }
  }

  /** Removes a member; unknown ids are ignored. */
  remove(id: string): void {
    const row = this.rows.get(id);
    if (row === undefined) return;
    this.rows.delete(id);
    this.emit(row.member, row.member.state, 'removed');
  }

  /** Replaces all members of one source (used by DNS re-resolution): others of that source are removed; ids held by another source keep it. */
  replaceSource(source: Member['source'], members: { id: string; location: string }[]): void {
    const keep = new Set(members.map((member) => member.id));
    for (const row of [...this.rows.values()]) {
      if (row.member.source === source && !keep.has(row.member.id)) this.remove(row.member.id);
    }
    for (const member of members) {
      const existing = this.rows.get(member.id);
      if (existing === undefined || existing.member.source === source) this.upsert({ ...member, source });
    }
  }

  /** All members, sorted by id. */
  list(): Member[] {
    return [...this.rows.values()].map((row) => row.member).sort(byId);
  }

  /** The member with this id, if known. */
  get(id: string): Member | undefined {
    return this.rows.get(id)?.member;
  }

  /** Members currently up, sorted by id. */
  up(): Member[] {
    return this.list().filter((member) => member.state === 'up');
  }

  /** Called on every change (after the table is updated); returns the unsubscribe function. */
  onChange(listener: MemberListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Runs one probe round now (all members concurrently) and resolves when it is done; members whose previous probe is still pending are only checked for silence. */
  async probeAll(): Promise<void> {
    const now = this.now();
    // A round that comes late means this process was stalled (a long synchronous load, say): members
    // could not be heard meanwhile, so that time does not count as their silence.
    if (this.stallMs !== undefined && this.lastRound !== undefined) {
      const stalled = now - this.lastRound - this.intervalMs;
      if (stalled > this.stallMs) for (const row of this.rows.values()) row.aliveAt += stalled;
    }
    this.lastRound = now;
    const rounds: Promise<void>[] = [];
    for (const row of this.rows.values()) {
      this.checkSilence(row, now);
      if (!row.probing) rounds.push(this.probeOne(row));
    }
    await Promise.all(rounds);
  }

  /** Starts probing: one round now, then one every intervalMs (the timer does not keep the process alive). */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.probeAll(), this.intervalMs);
    this.timer.unref();
    void this.probeAll();
  }

  /** Stops the timer and aborts pending probes; their outcomes are ignored. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.generation++;
    for (const controller of this.inFlight) controller.abort(new Error('membership stopped'));
  }

  /** Probes one member with a timeout and applies the outcome; never rejects. */
  private async probeOne(row: Row): Promise<void> {
    const generation = this.generation;
    const controller = new AbortController();
    row.probing = true;
    this.inFlight.add(controller);
    let timeout: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timeout = setTimeout(() => {
        controller.abort(new Error(`health probe timed out after ${this.probeTimeoutMs} ms`));
        resolve(false);
      }, this.probeTimeoutMs);
    });
    // The probe settles the member's in-flight flag only when it really ends, even if it ignores the abort;
    // the executor turns a probe that throws synchronously into a failed answer.
    const answered = new Promise<void>((resolve) => resolve(this.probe(row.member, controller.signal))).then(
      () => !controller.signal.aborted,
      () => false,
    );
    void answered.finally(() => {
      row.probing = false;
      this.inFlight.delete(controller);
    });
    const ok = await Promise.race([answered, timedOut]);
    clearTimeout(timeout);
    if (generation !== this.generation || this.rows.get(row.member.id) !== row) return;
    const now = this.now();
    if (ok) {
      row.failures = 0;
      row.aliveAt = now;
      row.member = Object.freeze({ ...row.member, lastSeen: now });
      if (row.member.state === 'down') this.setState(row, 'up', now);
      return;
    }
    row.failures++;
    if (row.member.state === 'up' && row.failures >= this.failuresToDown) this.setState(row, 'down', now);
    else this.checkSilence(row, now);
  }

  /** Marks an up member down when it has not answered for silenceToDownMs. */
  private checkSilence(row: Row, now: number): void {
    if (row.member.state === 'up' && now - row.aliveAt >= this.silenceToDownMs) this.setState(row, 'down', now);
  }

  private setState(row: Row, state: MemberState, now: number): void {
    const previous = row.member.state;
    row.member = Object.freeze({ ...row.member, state, since: now });
    this.emit(row.member, previous, 'state');
  }

  private emit(member: Member, previous: MemberState | undefined, event: MemberEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(member, previous, event);
      } catch (err) {
        this.logger.error({ err, member: member.id, event }, 'membership listener failed');
      }
    }
  }
}

function byId(a: Member, b: Member): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
