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
  op: 'add' | 'replace';
  path: string;
  value: unknown;
}

/** The DataCache a TrainJob names, or undefined. */
export function cacheNameOf(job: TrainJob): string | undefined {
  return job.metadata.annotations?.[CACHE_ANNOTATION];
}

/**
 * Our runtimePatches entry: preferred pod affinity to the nodes of the cache's shards (preferred, so a
 * TrainJob with more nodes than shards still schedules) and, with shared memory on, the host directory
 * at /shm and the node's name as FLIGHTCACHE_HOST_ID, as the shards have them (docs/same-host.md).
 */
export function runtimePatch(cache: DataCache): RuntimePatch {
  const shardLabels = { 'app.kubernetes.io/instance': cache.metadata.name, 'app.kubernetes.io/component': 'shard' };
  const podSpec: Record<string, unknown> = {
    affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: shardLabels }, topologyKey: 'kubernetes.io/hostname' } }] } },
  };
  const shm = cache.spec.sharedMemory;
  if (shm?.enabled) {
    // DirectoryOrCreate: with preferred affinity a trainer pod can land where no shard made the directory.
    podSpec.volumes = [{ name: 'flightcache-shm', hostPath: { path: shm.hostPath ?? '/dev/shm/flightcache', type: 'DirectoryOrCreate' } }];
    podSpec.containers = [
      {
        name: TRAINER_NODE,
        env: [{ name: 'FLIGHTCACHE_HOST_ID', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
        volumeMounts: [{ name: 'flightcache-shm', mountPath: SHM_MOUNT_PATH }],
      },
    ];
  }
  return { manager: PATCH_MANAGER, trainingRuntimeSpec: { template: { spec: { replicatedJobs: [{ name: TRAINER_NODE, template: { spec: { template: { spec: podSpec } } } }] } } } };
}

/** The JSON patch that points a TrainJob at a cache: FLIGHTCACHE_ENDPOINT set, our runtimePatches entry in place. */
export function cacheJsonPatch(job: TrainJob, cache: DataCache): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  const endpoint: EnvVar = { name: 'FLIGHTCACHE_ENDPOINT', value: endpointOf(cache) };
  const trainer = job.spec.trainer;
  if (!trainer) ops.push({ op: 'add', path: '/spec/trainer', value: { env: [endpoint] } });
  else if (!trainer.env) ops.push({ op: 'add', path: '/spec/trainer/env', value: [endpoint] });
  else ops.push({ op: 'replace', path: '/spec/trainer/env', value: [...trainer.env.filter((e) => e.name !== endpoint.name), endpoint] });
  const patch = runtimePatch(cache);
  const patches = job.spec.runtimePatches;
  if (!patches) ops.push({ op: 'add', path: '/spec/runtimePatches', value: [patch] });
  else ops.push({ op: 'replace', path: '/spec/runtimePatches', value: [...patches.filter((p) => p.manager !== PATCH_MANAGER), patch] });
  return ops;
}

