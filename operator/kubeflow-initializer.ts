/**
 * `flightcache kubeflow-initializer`: a drop-in for Kubeflow Trainer's cache dataset initializer
 * (pkg/initializers/dataset/cache.py in github.com/kubeflow/trainer/v2). It reads the same environment
 * (STORAGE_URI=cache://SCHEMA/TABLE, METADATA_LOC, TRAIN_JOB_NAME, CACHE_IMAGE, CLUSTER_SIZE,
 * WORKER_MEM), creates a DataCache owned by the TrainJob instead of a LeaderWorkerSet, and waits for it
 * to be Ready with a timeout (Kubeflow's waits forever: trainer issue 3927).
 */
import { readFileSync } from 'node:fs';
import { Code, FlightError } from '../client/src/flight/errors.js';
import { parseDuration } from '../cache-server/config.js';
import type { Command } from '../cache-server/cli/main.js';
import { API_VERSION, GROUP, PLURAL, VERSION, type DataCache, type DataCacheSpec } from './datacache.js';

const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** The TrainJob the cache belongs to, as an owner reference needs it. */
export interface OwningTrainJob {
  apiVersion: string;
  name: string;
  uid: string;
}

/** The DataCache spec Kubeflow's initializer environment asks for (pure); INVALID_ARGUMENT naming what is missing or malformed. */
export function initializerSpec(env: NodeJS.ProcessEnv, trainJob: string): DataCacheSpec {
  const need = (name: string): string => {
    const value = env[name];
    if (!value) throw new FlightError(Code.INVALID_ARGUMENT, `kubeflow-initializer: ${name} is not set`);
    return value;
  };
  const uri = need('STORAGE_URI');
  const table = /^cache:\/\/([^/]+)\/([^/]+)$/.exec(uri);
  if (!table) throw new FlightError(Code.INVALID_ARGUMENT, `kubeflow-initializer: STORAGE_URI must be cache://SCHEMA/TABLE, got "${uri}"`);
  const shards = Number(env.CLUSTER_SIZE ?? '3');
  if (!Number.isInteger(shards) || shards < 1 || shards > 256) throw new FlightError(Code.INVALID_ARGUMENT, `kubeflow-initializer: CLUSTER_SIZE must be 1..256, got "${env.CLUSTER_SIZE}"`);
  return {
    image: need('CACHE_IMAGE'),
    shards,
    replicas: 1,
    memoryPerShard: env.WORKER_MEM ?? '2Gi',
    datasets: [{ name: table[2]!, source: { uri: need('METADATA_LOC'), format: 'iceberg' } }],
    lifecycle: { policy: 'WithTrainJob', trainJob },
  };
}

/** The DataCache `TRAINJOB-cache`, owned by the TrainJob: deleting it deletes the cache (as Kubeflow's initializer does). */
export function initializerCache(spec: DataCacheSpec, namespace: string, job: OwningTrainJob): Omit<DataCache, 'status'> {
  return {
    apiVersion: API_VERSION,
    kind: 'DataCache',
    metadata: {
      name: `${job.name}-cache`,
      namespace,
      labels: { 'app.kubernetes.io/created-by': 'flightcache-kubeflow-initializer' },
      ownerReferences: [{ apiVersion: job.apiVersion, kind: 'TrainJob', name: job.name, uid: job.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec,
  };
}

function namespaceOf(env: NodeJS.ProcessEnv): string {
  if (env.POD_NAMESPACE) return env.POD_NAMESPACE;
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim();
  } catch {
    return 'default';
  }
}

export const kubeflowInitializerCommand: Command = {
  options: { timeout: { type: 'string' } },
  async run(_positionals, flags) {
    const timeoutMs = parseDuration(String(flags.timeout ?? process.env.FLIGHTCACHE_READY_TIMEOUT ?? '30m'), '--timeout');
    const env = process.env;
    const namespace = namespaceOf(env);
    const jobName = env.TRAIN_JOB_NAME;
    if (!jobName) throw new FlightError(Code.INVALID_ARGUMENT, 'kubeflow-initializer: TRAIN_JOB_NAME is not set');
    const spec = initializerSpec(env, jobName);
    const { CustomObjectsApi, KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromDefault();
    const custom = kc.makeApiClient(CustomObjectsApi);
    const job = (await custom.getNamespacedCustomObject({ group: 'trainer.kubeflow.org', version: 'v1alpha1', plural: 'trainjobs', namespace, name: jobName })) as { apiVersion: string; metadata: { uid: string } };
    const cache = initializerCache(spec, namespace, { apiVersion: job.apiVersion, name: jobName, uid: job.metadata.uid });
    const target = { group: GROUP, version: VERSION, plural: PLURAL, namespace };
    // A retried initializer pod finds the cache it created before.
    await custom.createNamespacedCustomObject({ ...target, body: cache }).catch((err: unknown) => {
      if ((err as { code?: number }).code !== 409) throw err;
    });
    process.stdout.write(`waiting for DataCache ${namespace}/${cache.metadata.name} to be Ready (timeout ${timeoutMs / 1000}s)\n`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = ((await custom.getNamespacedCustomObject({ ...target, name: cache.metadata.name })) as DataCache).status;
      if (status?.phase === 'Ready') {
        process.stdout.write(`DataCache ${cache.metadata.name} is Ready at ${status.endpoint}\n`);
        return;
      }
      const why = status?.conditions?.find((c) => c.type === 'Ready')?.message ?? 'no status yet';
      if (status?.phase === 'Failed') throw new FlightError(Code.FAILED_PRECONDITION, `DataCache ${cache.metadata.name} failed: ${why}`);
      if (Date.now() >= deadline) throw new FlightError(Code.DEADLINE_EXCEEDED, `DataCache ${cache.metadata.name} not Ready within ${timeoutMs / 1000}s (phase ${status?.phase ?? 'none'}: ${why})`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, Math.max(0, deadline - Date.now()))));
    }
  },
};
