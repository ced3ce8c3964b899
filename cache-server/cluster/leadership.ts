/**
 * Active/standby coordinators: leadership from a Kubernetes Lease (lease-election.ts), and the gate
 * that makes a coordinator answer every call but Handshake with UNAVAILABLE until it leads and has
 * brought the shards in line, so clients retry against the Service until the new leader serves.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { FlightService } from '../../client/src/flight/service.js';
import { NOT_SERVING_KEY } from '../../client/src/planning-retry.js';
import type { Logger } from '../logger.js';
import type { Leading } from './lease-election.js';

/** The Lease coordinators compete for (--leader-lease and its companions). */
export interface LeaderLease {
  name: string;
  namespace: string;
  /** This coordinator's identity in the Lease (the pod name in a cluster); must differ between replicas. */
  identity: string;
  /** leaseDurationSeconds: a leader that stops renewing is replaced after this plus a fifth of it. */
  leaseSeconds: number;
  /** A kubeconfig file; absent: $KUBECONFIG, ~/.kube/config, else the pod's service account (in-cluster). */
  kubeconfig?: string;
}

/** A running campaign for the Lease. */
export interface Campaign {
  /** Stops competing; a leader stops leading and, with `release`, hands the Lease back at once. */
  stop(release: boolean): Promise<void>;
}

/** Competes for `lease`, running `leading` while this process holds it. The Kubernetes client is loaded only here. */
export async function campaign(lease: LeaderLease, logger: Logger, leading: Leading): Promise<Campaign> {
  const [{ KubeConfig }, { LeaderElector }] = await Promise.all([import('@kubernetes/client-node'), import('./lease-election.js')]);
  const kc = new KubeConfig();
  try {
    if (lease.kubeconfig === undefined) kc.loadFromDefault();
    else kc.loadFromFile(lease.kubeconfig);
  } catch (err) {
    throw new FlightError(Code.INVALID_ARGUMENT, `--kubeconfig ${lease.kubeconfig ?? '(the default)'} cannot be loaded: ${(err as Error).message}`, { cause: err });
  }
  const elector = new LeaderElector(kc, { namespace: lease.namespace, name: lease.name, identity: lease.identity, leaseSeconds: lease.leaseSeconds, logger }, leading);
  elector.start();
  return { stop: (release) => elector.stop(release) };
}

/** Why calls are refused now: the NOT_SERVING_KEY value (standby, taking-over, lost) and a message. */
export interface Refusal {
  state: 'standby' | 'taking-over' | 'lost';
  message: string;
}

/**
 * Wraps `service` so that every call but Handshake fails with UNAVAILABLE, marked with NOT_SERVING_KEY
 * (clients retry such planning calls), while `refusal` gives a reason.
 */
export function standbyGate(service: FlightService, refusal: () => Refusal | undefined): FlightService {
  const check = (): void => {
    const why = refusal();
    if (why !== undefined) throw new FlightError(Code.UNAVAILABLE, why.message, { metadata: { [NOT_SERVING_KEY]: why.state } });
  };
  return {
    // Handshake only checks credentials against the cluster key: a standby answers it as the leader would.
    handshake: (requests, ctx) => service.handshake(requests, ctx),
    async *listFlights(criteria, ctx) {
      check();
      yield* service.listFlights(criteria, ctx);
    },
    async getFlightInfo(descriptor, ctx) {
      check();
      return service.getFlightInfo(descriptor, ctx);
    },
    async pollFlightInfo(descriptor, ctx) {
      check();
      return service.pollFlightInfo(descriptor, ctx);
    },
    async getSchema(descriptor, ctx) {
      check();
      return service.getSchema(descriptor, ctx);
    },
    async *doGet(ticket, ctx) {
      check();
      yield* service.doGet(ticket, ctx);
    },
    async *doPut(data, ctx) {
      check();
      yield* service.doPut(data, ctx);
    },
    async *doExchange(data, ctx) {
      check();
      yield* service.doExchange(data, ctx);
    },
    async *doAction(action, ctx) {
      check();
      yield* service.doAction(action, ctx);
    },
    async *listActions(ctx) {
      check();
      yield* service.listActions(ctx);
    },
    bodyAllocator: (ctx) => service.bodyAllocator(ctx),
  };
}
