/**
 * Kubeflow Trainer TrainJobs (trainer.kubeflow.org/v1alpha1, v2.2+) that read a DataCache (pure): the
 * endpoint in `trainer.env` and a `runtimePatches` entry that places and mounts the trainer pods.
 */
import { endpointOf } from './desired.js';
import type { DataCache, ObjectMeta } from './datacache.js';

export const TRAINJOB_GROUP = 'trainer.kubeflow.org';
export const TRAINJOB_VERSION = 'v1alpha1';
export const TRAINJOB_PLURAL = 'trainjobs';
/** The annotation naming the DataCache (in the TrainJob's namespace) a TrainJob reads. */
export const CACHE_ANNOTATION = 'flightcache.io/cache';
/** Set on a TrainJob when the operator unsuspended it, so it never does so twice. */
export const RELEASED_ANNOTATION = 'flightcache.io/released';
/** The `manager` of our runtimePatches entry. */
export const PATCH_MANAGER = 'flightcache.io/operator';
/** The replicated job and container that run the trainer in Kubeflow's training runtimes. */
export const TRAINER_NODE = 'node';
/** Where trainer pods mount the shared-memory directory (the shards mount it at the same path). */
export const SHM_MOUNT_PATH = '/shm';

/** An environment variable of a container. */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Record<string, unknown>;
}

/** One runtimePatches entry (only the parts this operator writes are typed). */
export interface RuntimePatch {
  manager: string;
  trainingRuntimeSpec?: Record<string, unknown>;
  [field: string]: unknown;
}

/** A TrainJob as the API server holds it. */
export interface TrainJob {
  apiVersion: string;
  kind: 'TrainJob';
  metadata: ObjectMeta;
  spec: {
    suspend?: boolean;
    trainer?: { env?: EnvVar[]; numNodes?: number; [field: string]: unknown };
    runtimePatches?: RuntimePatch[];
    [field: string]: unknown;
  };
}

/** One RFC 6902 operation. */
export interface JsonPatchOp {
  op: 'add' | 'replace' | 'test';
  path: string;
  value: unknown;
}

/** The DataCache a TrainJob names, or undefined. */
export function cacheNameOf(job: TrainJob): string | undefined {
  return job.metadata.annotations?.[CACHE_ANNOTATION];
}

/**
 * Our runtimePatches entry for the trainer container `node`: FLIGHTCACHE_ENDPOINT (also here, not only in
 * trainer.env, because trainer is immutable after CREATE: a TrainJob created before the webhook ran still
 * gets it on release), preferred pod affinity to the nodes of the cache's shards (preferred, so a TrainJob
 * with more nodes than shards still schedules) and, with shared memory on, the host directory at /shm and
 * the node's name as FLIGHTCACHE_HOST_ID, as the shards have them (docs/same-host.md).
 */
export function runtimePatch(cache: DataCache): RuntimePatch {
  const shardLabels = { 'app.kubernetes.io/instance': cache.metadata.name, 'app.kubernetes.io/component': 'shard' };
  const { env, volumes, volumeMounts } = readerPodParts(cache);
  const container: Record<string, unknown> = { name: TRAINER_NODE, env, ...(volumeMounts ? { volumeMounts } : {}) };
  const podSpec: Record<string, unknown> = {
    affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: shardLabels }, topologyKey: 'kubernetes.io/hostname' } }] } },
    containers: [container],
    ...(volumes ? { volumes } : {}),
  };
  return { manager: PATCH_MANAGER, trainingRuntimeSpec: { template: { spec: { replicatedJobs: [{ name: TRAINER_NODE, template: { spec: { template: { spec: podSpec } } } }] } } } };
}

/**
 * What a pod that reads the cache gets: FLIGHTCACHE_ENDPOINT and, with shared memory on, the shards'
 * host directory at /shm and the node's name as FLIGHTCACHE_HOST_ID (docs/same-host.md).
 */
export function readerPodParts(cache: DataCache): { env: EnvVar[]; volumes?: Array<Record<string, unknown>>; volumeMounts?: Array<Record<string, unknown>> } {
  const env: EnvVar[] = [{ name: 'FLIGHTCACHE_ENDPOINT', value: endpointOf(cache) }];
  const shm = cache.spec.sharedMemory;
  if (!shm?.enabled) return { env };
  env.push({ name: 'FLIGHTCACHE_HOST_ID', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
  return {
    env,
    // DirectoryOrCreate: a reader pod can land where no shard made the directory.
    volumes: [{ name: 'flightcache-shm', hostPath: { path: shm.hostPath ?? '/dev/shm/flightcache', type: 'DirectoryOrCreate' } }],
    volumeMounts: [{ name: 'flightcache-shm', mountPath: SHM_MOUNT_PATH }],
  };
}

/** The webhook's JSON patch at CREATE: FLIGHTCACHE_ENDPOINT in trainer.env, our runtimePatches entry in place. */
export function cacheJsonPatch(job: TrainJob, cache: DataCache): JsonPatchOp[] {
  const endpoint: EnvVar = { name: 'FLIGHTCACHE_ENDPOINT', value: endpointOf(cache) };
  const trainer = job.spec.trainer;
  const env: JsonPatchOp = !trainer
    ? { op: 'add', path: '/spec/trainer', value: { env: [endpoint] } }
    : !trainer.env
      ? { op: 'add', path: '/spec/trainer/env', value: [endpoint] }
      : { op: 'replace', path: '/spec/trainer/env', value: [...trainer.env.filter((e) => e.name !== endpoint.name), endpoint] };
  return [env, runtimePatchOp(job, cache)];
}

/** Puts our runtimePatches entry in place of an earlier one of ours, keeping the other managers' entries. */
function runtimePatchOp(job: TrainJob, cache: DataCache): JsonPatchOp {
  const patches = job.spec.runtimePatches;
  if (!patches) return { op: 'add', path: '/spec/runtimePatches', value: [runtimePatch(cache)] };
  return { op: 'replace', path: '/spec/runtimePatches', value: [...patches.filter((p) => p.manager !== PATCH_MANAGER), runtimePatch(cache)] };
}


/**
 * What the operator does with a suspended TrainJob that names a cache: release it once the cache is
 * Ready, or at once when the cache colocates with it (its shards wait for its pods, so holding it
 * would deadlock); report it when the cache Failed; otherwise hold it.
 */
export function heldJobAction(job: TrainJob, cache: DataCache): 'release' | 'report' | 'hold' {
  // Released once already: a suspension since then is someone else's (Kueue's, a user's) to lift.
  if (job.metadata.annotations?.[RELEASED_ANNOTATION]) return 'hold';
  if (cache.spec.placement?.colocateWith?.trainJob === job.metadata.name || cache.status?.phase === 'Ready') return 'release';
  return cache.status?.phase === 'Failed' ? 'report' : 'hold';
}

/**
 * One update that points the TrainJob at the cache and unsuspends it (as Kueue does, so no pod starts
 * without the patch); the test on resourceVersion makes it fail rather than overwrite a newer TrainJob.
 */
export function releaseJsonPatch(job: TrainJob, cache: DataCache): JsonPatchOp[] {
  return [
    { op: 'test', path: '/metadata/resourceVersion', value: job.metadata.resourceVersion },
    // Not trainer.env: the TrainJob CRD makes spec.trainer immutable; the entry carries the endpoint.
    runtimePatchOp(job, cache),
    // The cache annotation is there, so annotations exists; "/" in the key is "~1" in a JSON pointer.
    { op: 'add', path: `/metadata/annotations/${RELEASED_ANNOTATION.replace('/', '~1')}`, value: 'true' },
    { op: 'replace', path: '/spec/suspend', value: false },
  ];
}

/**
 * Job first: a cache colocated with a TrainJob runs one shard per trainer node, so its shard count
 * follows the TrainJob's trainer.numNodes once that TrainJob exists (replicas capped to match).
 */
export function withColocatedShards(cache: DataCache, jobs: readonly TrainJob[]): DataCache {
  const name = cache.spec.placement?.colocateWith?.trainJob;
  const nodes = name === undefined ? undefined : jobs.find((job) => job.metadata.name === name)?.spec.trainer?.numNodes;
  if (nodes === undefined || nodes === cache.spec.shards) return cache;
  return { ...cache, spec: { ...cache.spec, shards: nodes, replicas: Math.min(cache.spec.replicas, nodes) } };
}
