/**
 * Assembles a cluster coordinator: the catalog and membership (static list, DNS, registrations,
 * local shards), heartbeats, adoption of the partitions a member holds and refill whenever it comes
 * up (so a restarted coordinator serves what its shards still hold), rebalancing when members join,
 * replacement of members that stay down longer than `replaceAfterMs`, the coordinator's Flight
 * service, and the ops HTTP server whose /readyz and /stats show the members. With a `leaderLease`
 * it is one of several coordinators run active/standby: it runs all of that only while it holds the
 * Lease, and serves (and is ready) once the shards are in line with it.
 */
import { GrpcServer } from '../flight/http2/server.js';
import type { TlsCredentials } from '../../client/src/flight/http2/tls.js';
import { bindFlightService, type FlightRequestLimits } from '../../client/src/flight/service.js';
import { defaultMemoryBytes, requestLimits } from '../config.js';
import { NativeAllocator } from '../storage/allocator.js';
import { DatasetStore } from '../storage/dataset-store.js';
import type { TokenAuth } from '../auth/token-auth.js';
import { authorizeService } from '../auth/authorize.js';
import { withFlightSql } from '../flightsql/flight-sql-service.js';
import { logEvent, silentLogger, type Logger } from '../logger.js';
import { startOpsServer } from '../ops/http-server.js';
import { ProcessMetrics } from '../ops/metrics.js';
import { clusterOverview } from './cluster-overview.js';
import { opsAuthorization, requestMemory, serverLocation } from '../node/cache-node.js';
import { ClusterState } from './cluster-state.js';
import { CoordinatorService } from './coordinator-service.js';
import { Membership, type Member } from './membership.js';
import { parseShardList, watchShardDns } from './member-sources.js';
import { PeerClients } from './peer-clients.js';
import { adoptFrom } from './member-holdings.js';
import { refill } from './refill.js';
import { tradeTombstones } from './drop-tombstones.js';
import { rebalance } from './rebalance.js';
import { MemberReplacer } from './replacement.js';
import { campaign, standbyGate, type Campaign, type LeaderLease, type Refusal } from './leadership.js';

/**
 * A new leader serves once every member that answered its first probe round is in line (tombstones
 * traded, holdings adopted, refilled), or after this long with the ones that are not. For this long
 * after a start or takeover, until every known member is in line, an unknown dataset is UNAVAILABLE
 * rather than NOT_FOUND (ClusterState.learning).
 */
export const TAKEOVER_LIMIT_MS = 10_000;

/** How long a member stays down before its partitions are re-replicated elsewhere, by default. */
export const DEFAULT_REPLACE_AFTER_MS = 60_000;

/** How to start a coordinator. */
export interface CoordinatorOptions {
  host?: string;
  port?: number;
  httpPort?: number;
  advertiseHost?: string;
  /** Copies of every partition. */
  replicas: number;
  /** Authentication and per-dataset authorization of every call; absent: the cluster is open. */
  auth?: TokenAuth;
  /** Host of the ops HTTP server (default: host). On a host of its own, /stats and /metrics need no token. */
  httpHost?: string;
  defaultDataset?: string;
  /** Static members: "grpc://h:p,grpc://h2:p2". */
  shardList?: string;
  /** DNS members: "name:port", re-resolved periodically. */
  shardDns?: string;
  maxPartitionBytes?: number;
  /** A member down this long (ms) is replaced: its partitions get copies on other live members. 0: never (default 60 s). */
  replaceAfterMs?: number;
  /** Request message limits (default: config.ts's defaults). */
  requestLimits?: FlightRequestLimits;
  /** Calls one connection may have open at once (default: the transport's DEFAULT_MAX_STREAMS). */
  maxStreams?: number;
  /** Memory limit of the puts it stages before placing them, in bytes (default: config.ts's defaultMemoryBytes). */
  memoryBytes?: number;
  /** Serve TLS (mTLS when it has a CA) and call shards with the same certificate; absent: plaintext. */
  tls?: TlsCredentials;
  /** Run active/standby: lead (and serve) only while holding this Lease; absent: always the leader. */
  leaderLease?: LeaderLease;
  /** Called when a leader loses the Lease: it then refuses calls for good (the CLI exits so that it restarts as a standby). */
  onLeadershipLost?: () => void;
  logger?: Logger;
}

/** A running coordinator. */
export interface Coordinator {
  readonly url: string;
  readonly port: number;
  readonly httpPort: number | undefined;
  readonly state: ClusterState;
  close(): Promise<void>;
}

/** Says which datasets lost copies with a member now gone: their reads go to the other replicas, or fail where none is left. */
function logFailover(state: ClusterState, memberId: string): void {
  const affected = state.catalog.list().filter((d) => d.partitions.some((p) => p.placement.includes(memberId)));
  if (affected.length === 0) return;
  const statuses = affected.map((d) => ({ name: d.name, ...state.status(d) }));
  const partitions = affected.reduce((n, d) => n + d.partitions.filter((p) => p.placement.includes(memberId)).length, 0);
  logEvent(
    state.logger,
    statuses.some((d) => d.status === 'lost') ? 'error' : 'warn',
    'failover',
    { member: memberId, partitions, datasets: statuses.map((d) => d.name), lost: statuses.filter((d) => d.status === 'lost').map((d) => d.name) },
    'reads of the member\'s partitions go to their other replicas',
  );
}

/** Starts a coordinator and resolves once it accepts calls (members join as they answer). */
export async function startCoordinator(options: CoordinatorOptions): Promise<Coordinator> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? silentLogger;
  const metrics: ProcessMetrics = new ProcessMetrics(() => service.actions.stats());
  const auth = options.auth;
  const peers = new PeerClients(auth && (() => auth.clusterToken()), options.tls);
  const membership = new Membership({
    logger,
    // A long GC can block the coordinator itself; that is not the shards' silence.
    stallMs: 500,
    probe: async (member, signal) => {
      const client = await peers.get(member.location);
      const health = await client.action<{ instance?: string; hostId?: string }>('health', '', { timeoutMs: 1000, signal });
      if (health.hostId !== undefined) state.hosts.set(member.id, health.hostId);
      const previous = state.instances.get(member.id);
      if (health.instance !== undefined) state.instances.set(member.id, health.instance);
      // Restarted between two probes (never seen down): it came back empty and must be refilled.
      if (previous !== undefined && health.instance !== previous) {
        logEvent(logger, 'warn', 'member_restarted', { member: member.id, location: member.location }, 'member restarted; refilling it');
        state.synced.delete(member.id);
        bringInLine(member);
      }
    },
  });
  const state = new ClusterState(membership, peers, options.replicas, logger);
  const refilling = new Map<string, Promise<void>>();
  // Rebalancing and replacement both move partitions: one such job runs at a time.
  let moving: Promise<void> = Promise.resolve();
  const exclusive = (job: () => Promise<void>): Promise<void> => {
    const run = moving.then(job);
    moving = run.catch(() => undefined);
    return run;
  };
  // One rebalance at a time; a request while one runs makes it run once more afterwards.
  let rebalancing: Promise<void> | undefined;
  let rebalanceAgain = false;
  const scheduleRebalance = (): void => {
    if (rebalancing) {
      rebalanceAgain = true;
      return;
    }
    rebalancing = exclusive(() => rebalance(state).then(() => undefined))
      .catch((err: unknown) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'rebalance failed; retrying on the next change'))
      .finally(() => {
        rebalancing = undefined;
        if (rebalanceAgain) {
          rebalanceAgain = false;
          scheduleRebalance();
        }
      });
  };
  const bringInLine = (member: Member): void => {
    if (refilling.has(member.id)) return;
    // Tombstones first: a restarted coordinator learns the drops it missed before it adopts anything
    // (a member holds no copies of the puts it has tombstones for, so adopting goes on without them).
    // Adopted next: refill then treats the partitions the member holds as known, not as strangers.
    // A member that cannot describe what it holds still serves what the catalog knows of it.
    const run = tradeTombstones(state, member)
      .catch((err: unknown) => logger.warn({ member: member.id, err: err instanceof Error ? err.message : String(err) }, 'tombstone exchange failed; retried when the member next comes up'))
      .then(() => adoptFrom(state, member))
      .catch((err: unknown) =>
        logger.warn({ member: member.id, err: err instanceof Error ? err.message : String(err) }, 'adoption failed; the member serves the partitions the catalog knows, its others stay on it unadopted'),
      )
      .then(() => refill(state, member))
      .then(scheduleRebalance)
      .catch((err: unknown) => logger.warn({ member: member.id, err: err instanceof Error ? err.message : String(err) }, 'refill failed; retrying'))
      .finally(() => refilling.delete(member.id));
    refilling.set(member.id, run);
  };
  membership.onChange((member, previous, event) => {
    const fields = { member: member.id, location: member.location, source: member.source, state: member.state, previous: previous ?? null };
    if (previous === 'up' && member.state === 'down') metrics.noteError({ time: Date.now(), what: 'member', code: 'UNAVAILABLE', message: `member ${member.id} (${member.location}) is down` });
    if (event === 'added') logEvent(logger, 'info', 'member_added', fields, 'member added');
    else if (event === 'removed') logEvent(logger, 'warn', 'member_removed', fields, 'member removed');
    else logEvent(logger, member.state === 'up' ? 'info' : 'warn', member.state === 'up' ? 'member_up' : 'member_down', fields, `member ${member.state}`);
    if (event !== 'removed' && member.state === 'up') bringInLine(member);
    else {
      state.synced.delete(member.id);
      if (previous === 'up') logFailover(state, member.id);
    }
  });
  const replaceAfterMs = options.replaceAfterMs ?? DEFAULT_REPLACE_AFTER_MS;
  const replacer = replaceAfterMs > 0 ? new MemberReplacer(state, { afterMs: replaceAfterMs, exclusive }) : undefined;
  let retry: NodeJS.Timeout | undefined;
  let stopDns: (() => void) | undefined;
  // What only the leader runs: heartbeats, refill retries, replacement, member discovery.
  const activate = (): void => {
    // Members whose refill failed are retried until they are in line.
    retry = setInterval(() => {
      for (const member of membership.up()) if (!state.synced.has(member.id)) bringInLine(member);
    }, 2000);
    retry.unref();
    replacer?.start();
    if (options.shardList) for (const member of parseShardList(options.shardList)) membership.upsert({ ...member, source: 'static' });
    stopDns = options.shardDns ? watchShardDns(options.shardDns, membership, { logger, tls: options.tls !== undefined }) : undefined;
  };
  const deactivate = (): void => {
    clearInterval(retry);
    replacer?.stop();
    stopDns?.();
    membership.stop();
  };
  const lease = options.leaderLease;
  // Without a Lease it always leads and serves at once; with one, refusal says why it does not serve yet.
  let refusal: Refusal | undefined = lease && { state: 'standby', message: `coordinator ${lease.identity} is a standby: another holds the Lease ${lease.namespace}/${lease.name}` };
  let closing = false;
  let leadership: Campaign | undefined;
  const expectMembers = options.shardList !== undefined || options.shardDns !== undefined;
  if (!lease) {
    state.startLearning(Date.now() + TAKEOVER_LIMIT_MS, expectMembers);
    activate();
    membership.start();
  }

  const allocator = new NativeAllocator(options.memoryBytes ?? defaultMemoryBytes());
  const service = new CoordinatorService({
    state,
    planned: (method, seconds) => metrics.observePlanning(method, seconds),
    staging: new DatasetStore({ allocator }),
    ...(auth ? { auth } : {}),
    ...(options.defaultDataset !== undefined ? { defaultDataset: options.defaultDataset } : {}),
    ...(options.maxPartitionBytes !== undefined ? { maxPartitionBytes: options.maxPartitionBytes } : {}),
  });
  const flight = withFlightSql(auth ? authorizeService(service) : service);
  const methods = bindFlightService(lease ? standbyGate(flight, () => refusal) : flight, options.requestLimits ?? requestLimits(), requestMemory(allocator));
  const server = new GrpcServer({
    methods,
    interceptors: auth ? [auth.interceptor()] : [],
    logger,
    onCallFinished: (call) => metrics.observeCall(call),
    ...(options.maxStreams !== undefined ? { maxConcurrentStreams: options.maxStreams } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
  });
  const address = await server.listen({ host, port: options.port ?? 8815 });
  const advertise = options.advertiseHost ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
  const url = serverLocation(advertise, address.port, options.tls);
  const ops =
    options.httpPort === undefined
      ? undefined
      : await startOpsServer(
          {
            ready: () => refusal === undefined && state.liveIds().length >= options.replicas,
            logger,
            stats: () => service.actions.stats(),
            metrics,
            overview: () => clusterOverview(state, service.actions.stats(), metrics.traffic(), metrics.recentErrors()),
            describe: () => state.members().map((m) => `${m.id} ${m.location} ${m.live ? 'live' : m.state}`).join('\n'),
            ...opsAuthorization(auth, options.httpHost),
          },
          options.httpHost ?? host,
          options.httpPort,
        );
  logger.info({ url, httpPort: ops?.port, replicas: options.replicas, replaceAfterMs, leaderLease: lease ? `${lease.namespace}/${lease.name}` : null }, 'coordinator listening');
  if (lease) {
    let term = 0;
    const campaigning = campaign(lease, logger, {
      // Returns at once: the elector renews the Lease while the shards are brought in line.
      start: async () => {
        const elected = Date.now();
        const current = ++term;
        refusal = { state: 'taking-over', message: `coordinator ${lease.identity} is taking over as leader: bringing the shards in line` };
        state.startLearning(elected + TAKEOVER_LIMIT_MS, expectMembers);
        activate();
        void inLine(membership, state, elected + TAKEOVER_LIMIT_MS, expectMembers).then(() => {
          if (current !== term || closing) return;
          refusal = undefined;
          logEvent(logger, 'info', 'leader_serving', { identity: lease.identity, lease: `${lease.namespace}/${lease.name}`, members: state.liveIds().length, datasets: state.catalog.list().length, ms: Date.now() - elected }, 'leader serving');
        });
      },
      stop: async () => {
        term++;
        refusal = { state: 'lost', message: `coordinator ${lease.identity} lost the Lease ${lease.namespace}/${lease.name}` };
        deactivate();
        if (closing) return;
        logEvent(logger, 'error', 'leader_lost', { identity: lease.identity, lease: `${lease.namespace}/${lease.name}` }, 'lost the Lease: refusing calls');
        // A leader that lost the Lease may hold a stale catalog: it does not compete again.
        void leadership?.stop(false);
        options.onLeadershipLost?.();
      },
    });
    // A Lease it cannot compete for (no kubeconfig) fails the start, and nothing is left listening.
    leadership = await campaigning.catch(async (err: unknown) => {
      await server.close(0);
      await ops?.close();
      peers.close();
      throw err;
    });
  }
  return {
    url,
    port: address.port,
    httpPort: ops?.port,
    state,
    async close() {
      closing = true;
      // A leader hands the Lease back so that a standby takes over at its next retry.
      await leadership?.stop(true);
      if (!lease) deactivate();
      await server.close(2000);
      await ops?.close();
      peers.close();
    },
  };
}

/**
 * Runs the first probe round (once a member is known, where a shard list or DNS name gives some),
 * starts the heartbeats, and resolves once every member up is in line (synced), or at `deadline`:
 * a new leader's catalog then holds what those members hold and the drops they recorded.
 */
async function inLine(membership: Membership, state: ClusterState, deadline: number, expectMembers: boolean): Promise<void> {
  const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));
  while (expectMembers && membership.list().length === 0 && Date.now() < deadline) await pause();
  await membership.probeAll();
  membership.start();
  while (Date.now() < deadline && !membership.up().every((m) => state.synced.has(m.id))) await pause();
}
