/**
 * Leader election on a coordination.k8s.io Lease, as client-go's leaderelection does it: replicas
 * race to write their identity into the Lease with optimistic concurrency (resourceVersion); the
 * holder renews it, the others wait until it went unrenewed for its whole duration, timed on their
 * own clock from when they last saw it change (so clock skew between nodes does not matter).
 */
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { silentLogger, type Logger } from '../logger.js';

export interface LeaseOptions {
  namespace: string;
  name: string;
  /** Who this replica is (the pod name in a cluster); must differ between replicas. */
  identity: string;
  /** How long a lease stays valid without renewal (whole seconds, the Lease's leaseDurationSeconds). */
  leaseSeconds: number;
  logger?: Logger;
}

/** What the elector runs while it leads; `stop` is called when leadership ends. */
export interface Leading {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs `leading` only while this replica holds the Lease. The holder renews every leaseSeconds/5 and
 * gives leadership up (stopping `leading`) when it could not renew for 2/3 of leaseSeconds, before
 * any standby may take over; a standby retries every leaseSeconds/5, so it takes over at most
 * leaseSeconds + leaseSeconds/5 after the last renewal it saw.
 */
export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private readonly logger: Logger;
  private readonly periodMs: number;
  private observed: { version: string; at: number } | undefined;
  private lastRenewal = 0;
  private leading = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    kc: KubeConfig,
    private readonly options: LeaseOptions,
    private readonly onLead: Leading,
  ) {
    this.api = kc.makeApiClient(CoordinationV1Api);
    this.logger = options.logger ?? silentLogger;
    this.periodMs = (options.leaseSeconds * 1000) / 5;
  }

  /** Whether this replica holds the Lease now. */
  get isLeader(): boolean {
    return this.leading;
  }

  /** Starts competing for the Lease (returns at once). */
  start(): void {
    this.stopped = false;
    this.tick();
  }

  /**
   * Stops competing; a leader stops what it runs and, with `release`, hands the Lease back (holder
   * cleared) so a standby takes over at its next retry instead of after the lease expires.
   */
  async stop(release = true): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    if (!this.leading) return;
    this.leading = false;
    await this.onLead.stop();
    if (release) await this.release().catch((err: unknown) => this.logger.warn({ err }, 'could not release the lease'));
  }

  private tick(): void {
    this.running = this.round().finally(() => {
      if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.periodMs);
    });
  }

  private async round(): Promise<void> {
    const acquired = await this.tryAcquireOrRenew().catch((err: unknown) => {
      this.logger.warn({ err }, 'lease update failed');
      return false;
    });
    if (this.stopped) return;
    const now = Date.now();
    if (acquired) {
      this.lastRenewal = now;
      if (!this.leading) {
        this.leading = true;
        this.logger.info({ identity: this.options.identity, lease: this.options.name }, 'became leader');
        await this.onLead.start().catch(async (err: unknown) => {
          // Still holding the Lease: the next round finds this replica not leading and starts again.
          this.logger.warn({ err }, 'could not start leading; retrying');
          this.leading = false;
          await this.onLead.stop();
        });
      }
    } else if (this.leading && now - this.lastRenewal > (this.options.leaseSeconds * 1000 * 2) / 3) {
      this.leading = false;
      this.logger.warn({ identity: this.options.identity, lease: this.options.name }, 'lost the lease; stopped leading');
      await this.onLead.stop();
    }
  }

  /** One attempt: create the Lease, renew ours, or take one that expired; false when another holds it. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseSeconds } = this.options;
    const now = new V1MicroTime();
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ namespace, name });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
      await this.api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec: { holderIdentity: identity, leaseDurationSeconds: leaseSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 } } });
      return true;
    }
    const spec = lease.spec ?? {};
    const version = lease.metadata?.resourceVersion ?? '';
    if (this.observed?.version !== version) this.observed = { version, at: Date.now() };
    const holder = spec.holderIdentity ?? '';
    const mine = holder === identity;
    const valid = holder !== '' && this.observed.at + (spec.leaseDurationSeconds ?? leaseSeconds) * 1000 > Date.now();
    if (!mine && valid) return false;
    // Replace carries the resourceVersion read above: a concurrent writer makes this fail with 409.
    const renewed = await this.api.replaceNamespacedLease({
      namespace,
      name,
      body: {
        ...lease,
        spec: { ...spec, holderIdentity: identity, leaseDurationSeconds: leaseSeconds, renewTime: now, acquireTime: mine ? spec.acquireTime : now, leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1) },
      },
    });
    this.observed = { version: renewed.metadata?.resourceVersion ?? '', at: Date.now() };
    return true;
  }

  private async release(): Promise<void> {
    const { namespace, name, identity } = this.options;
    const lease = await this.api.readNamespacedLease({ namespace, name });
    if (lease.spec?.holderIdentity !== identity) return;
    await this.api.replaceNamespacedLease({ namespace, name, body: { ...lease, spec: { ...lease.spec, holderIdentity: undefined, acquireTime: undefined, renewTime: new V1MicroTime(), leaseDurationSeconds: 1 } } });
    this.logger.info({ identity, lease: name }, 'released the lease');
  }
}
