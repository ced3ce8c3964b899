/** The status of a DataCache from what its StatefulSet, Deployment and coordinator report (pure). */
import { endpointOf } from './desired.js';
import type { Condition, DataCache, DataCacheStatus, DatasetStatus, Phase } from './datacache.js';

/** What the reconciler observed of the objects it applied. */
export interface Observed {
  /** status.readyReplicas of the shards StatefulSet (0 when it has no status yet). */
  shardsReady: number;
  /** status.availableReplicas of the coordinator Deployment. */
  coordinatorAvailable: number;
  /** Why shard containers cannot run (failingShards), empty or absent when none is stuck. */
  failing?: string[];
  /** With placement.colocateWith: whether that TrainJob exists (its numNodes then sets the shards). */
  colocatedJobFound?: boolean;
  /** Each dataset's load and what the coordinator's /stats says of it (dataset-loads.ts); absent for a cache without datasets. */
  datasets?: DatasetStatus[];
}

/** Container states that do not heal by waiting: the pod needs a new image, config or fix. */
const STUCK = new Set(['CrashLoopBackOff', 'ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError']);

/** A pod as far as failingShards reads it (a V1Pod fits). */
export interface PodState {
  metadata?: { name?: string };
  status?: { phase?: string; reason?: string; message?: string; containerStatuses?: { name: string; state?: { waiting?: { reason?: string; message?: string } } }[] };
}

/** One line per shard pod that failed or has a container stuck waiting, saying which and why. */
export function failingShards(pods: PodState[]): string[] {
  const out: string[] = [];
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '?';
    if (pod.status?.phase === 'Failed') out.push(`pod ${name} failed: ${pod.status.reason ?? 'no reason'}${pod.status.message ? ` (${pod.status.message})` : ''}`);
    for (const container of pod.status?.containerStatuses ?? []) {
      const waiting = container.state?.waiting;
      if (waiting?.reason && STUCK.has(waiting.reason)) out.push(`pod ${name} container ${container.name}: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}`);
    }
  }
  return out.sort();
}

/** The Loaded condition's status, reason and message, and the phase the datasets allow once the pods are ready. */
function datasetsState(datasets: DatasetStatus[]): { status: Condition['status']; reason: string; message: string; phase: Phase; degraded?: string } {
  const failed = datasets.filter((d) => d.state === 'Failed');
  if (failed.length > 0) return { status: 'False', reason: 'LoadFailed', message: failed.map((d) => `dataset ${d.name}: ${d.message ?? 'failed'}`).join('; '), phase: 'Failed' };
  const loaded = datasets.filter((d) => d.state === 'Loaded');
  const waiting = datasets.filter((d) => d.state !== 'Loaded');
  if (waiting.length > 0) {
    const detail = waiting.map((d) => `${d.name} ${d.state === 'Loading' ? `loading: ${d.progress ?? 'starting'}` : `pending: ${d.message ?? ''}`}`).join('; ');
    return { status: 'False', reason: 'Loading', message: `${loaded.length}/${datasets.length} datasets loaded; ${detail}`, phase: 'Loading' };
  }
  const unhealthy = datasets.filter((d) => d.health !== undefined && d.health !== 'healthy');
  const message = `${loaded.length}/${datasets.length} datasets loaded`;
  if (unhealthy.length > 0) return { status: 'True', reason: 'AllLoaded', message, phase: 'Degraded', degraded: unhealthy.map((d) => `dataset ${d.name} ${d.health ?? ''}`).join('; ') };
  return { status: 'True', reason: 'AllLoaded', message, phase: 'Ready' };
}

/**
 * Pending until the coordinator and every shard are ready, then Ready; a cache that was Ready and
 * lost shards or its coordinator is Degraded; one that is not ready while shards are stuck is Failed.
 * With datasets, a ready cache is Loading until each is loaded, Failed when a load failed (the
 * previous generation serves on) and Degraded while the coordinator reports one degraded or lost.
 * Conditions keep their lastTransitionTime while their status holds, so an unchanged cache gets an equal status.
 */
export function computeStatus(cache: DataCache, observed: Observed, now: string): DataCacheStatus {
  const desired = cache.spec.shards;
  const previous = cache.status ?? {};
  const allReady = observed.shardsReady >= desired && observed.coordinatorAvailable >= 1;
  const wasUp = previous.phase === 'Ready' || previous.phase === 'Degraded';
  const failing = observed.failing ?? [];
  const datasets = observed.datasets !== undefined && observed.datasets.length > 0 ? datasetsState(observed.datasets) : undefined;
  const podsPhase: Phase = allReady ? 'Ready' : failing.length > 0 ? 'Failed' : wasUp ? 'Degraded' : 'Pending';
  const phase: Phase = podsPhase === 'Ready' && datasets ? datasets.phase : podsPhase;
  const generation = cache.metadata.generation ?? 0;
  const shardsMessage = `${observed.shardsReady}/${desired} shards ready, coordinator ${observed.coordinatorAvailable >= 1 ? 'available' : 'unavailable'}`;
  const conditions: Condition[] = [
    podsPhase === 'Failed'
      ? condition(previous, 'Ready', 'False', 'ShardsFailing', `${shardsMessage}; ${failing.join('; ')}`, generation, now)
      : allReady && datasets && datasets.status !== 'True'
        ? condition(previous, 'Ready', 'False', datasets.reason, datasets.message, generation, now)
        : condition(previous, 'Ready', allReady ? 'True' : 'False', allReady ? 'AllShardsReady' : 'ShardsNotReady', shardsMessage, generation, now),
    podsPhase === 'Degraded' || !datasets?.degraded
      ? condition(previous, 'Degraded', podsPhase === 'Degraded' ? 'True' : 'False', podsPhase === 'Degraded' ? 'ShardsLost' : 'AsDesired', shardsMessage, generation, now)
      : condition(previous, 'Degraded', 'True', 'DatasetsDegraded', datasets.degraded, generation, now),
  ];
  if (datasets) conditions.push(condition(previous, 'Loaded', datasets.status, datasets.reason, datasets.message, generation, now));
  const colocateWith = cache.spec.placement?.colocateWith?.trainJob;
  if (colocateWith !== undefined) {
    const [status, reason, message] = !observed.colocatedJobFound
      ? (['False', 'TrainJobNotFound', `TrainJob ${colocateWith} does not exist yet`] as const)
      : allReady
        ? (['True', 'OneShardPerTrainerNode', `${shardsMessage}, one shard per node of TrainJob ${colocateWith}`] as const)
        : (['False', 'ShardsNotReady', `${shardsMessage}, beside TrainJob ${colocateWith}`] as const);
    conditions.push(condition(previous, 'Colocated', status, reason, message, generation, now));
  }
  return {
    phase,
    observedGeneration: generation,
    endpoint: endpointOf(cache),
    shardsReady: observed.shardsReady,
    shardsDesired: desired,
    conditions,
    ...(observed.datasets !== undefined ? { datasets: observed.datasets } : {}),
  };
}

function condition(previous: DataCacheStatus, type: string, status: Condition['status'], reason: string, message: string, generation: number, now: string): Condition {
  const before = previous.conditions?.find((c) => c.type === type);
  const lastTransitionTime = before && before.status === status && before.lastTransitionTime ? before.lastTransitionTime : now;
  return { type, status, reason, message, lastTransitionTime, observedGeneration: generation };
}

/** Whether two statuses say the same thing (the reconciler writes status only when they differ). */
export function sameStatus(a: DataCacheStatus | undefined, b: DataCacheStatus): boolean {
  return JSON.stringify(normalize(a ?? {})) === JSON.stringify(normalize(b));
}

function normalize(s: DataCacheStatus): unknown[] {
  const conditions = [...(s.conditions ?? [])].sort((x, y) => x.type.localeCompare(y.type)).map((c) => [c.type, c.status, c.reason, c.message, c.lastTransitionTime, c.observedGeneration]);
  const datasets = (s.datasets ?? []).map((d) => [d.name, d.sourceHash, d.state, d.rows, d.bytes, d.health, d.progress, d.message]);
  return [s.phase, s.observedGeneration, s.endpoint, s.shardsReady, s.shardsDesired, conditions, datasets];
}
