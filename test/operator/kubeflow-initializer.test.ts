/**
 * `flightcache kubeflow-initializer` against a real API server with the real TrainJob and
 * ClusterTrainingRuntime CRDs: it creates the DataCache Kubeflow's initializer environment asks for,
 * owned by the TrainJob, and exits once it is Ready, or fails with DEADLINE_EXCEEDED after its timeout;
 * the runtime manifest that uses it is accepted by the API server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CustomObjectsApi, KubernetesObjectApi, PatchStrategy, loadAllYaml, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import type { DataCache } from '../../operator/datacache.js';
import { CLUSTER_TRAINING_RUNTIME_CRD, TRAINER_CRDS, installCrd, installDataCacheCrd, startControlPlane, trainerUnavailableReason, type ControlPlane } from './control-plane.js';
import { waitFor } from './api-helpers.js';

const MAIN = fileURLToPath(new URL('../../cache-server/cli/main.js', import.meta.url));
const RUNTIME = fileURLToPath(new URL('../../../operator/kubeflow/torch-distributed-with-flightcache.yaml', import.meta.url));
const skip = trainerUnavailableReason() ?? (existsSync(CLUSTER_TRAINING_RUNTIME_CRD) ? undefined : `no ${CLUSTER_TRAINING_RUNTIME_CRD}: run bash scripts/kube-crds.sh`);
if (skip) console.log(`# skipping the kubeflow-initializer tests: ${skip}`);
const NS = 'ml';
const CACHES = { group: 'flightcache.io', version: 'v1alpha1', plural: 'datacaches', namespace: NS };
const TRAINJOBS = { group: 'trainer.kubeflow.org', version: 'v1alpha1', plural: 'trainjobs', namespace: NS };

describe('flightcache kubeflow-initializer on a real API server', { skip }, () => {
  let cp: ControlPlane;
  let dir: string;
  let custom: CustomObjectsApi;

  /** Runs the initializer with Kubeflow's environment for TrainJob `job`; resolves with its exit code and output. */
  const initializer = (job: string, timeout: string, extra: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [MAIN, 'kubeflow-initializer', '--timeout', timeout], {
      env: {
        ...process.env,
        KUBECONFIG: join(dir, 'kubeconfig'),
        POD_NAMESPACE: NS,
        TRAIN_JOB_NAME: job,
        STORAGE_URI: 'cache://lake/clicks',
        METADATA_LOC: 's3://warehouse/lake/clicks/metadata/v3.metadata.json',
        CACHE_IMAGE: 'ghcr.io/flightcache/flightcache:0.1.0',
        CLUSTER_SIZE: '2',
        ...extra,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  };
  const createJob = (name: string) =>
    custom.createNamespacedCustomObject({ ...TRAINJOBS, body: { apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'TrainJob', metadata: { name }, spec: { runtimeRef: { name: 'torch-distributed-with-flightcache' } } } }) as Promise<{ metadata: { uid: string } }>;

  before(async () => {
    cp = await startControlPlane();
    dir = mkdtempSync(join(tmpdir(), 'fc-initializer-'));
    writeFileSync(join(dir, 'kubeconfig'), cp.kubeConfig.exportConfig());
    custom = cp.kubeConfig.makeApiClient(CustomObjectsApi);
    await installDataCacheCrd(cp, NS);
    for (const path of [...TRAINER_CRDS, CLUSTER_TRAINING_RUNTIME_CRD]) await installCrd(cp, path);
  });

  after(async () => {
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('creates TRAINJOB-cache owned by the TrainJob from the environment and exits 0 once it is Ready', async () => {
    const job = await createJob('clicks-job');
    const run = initializer('clicks-job', '60s');
    const cache = await waitFor('the DataCache', async () => (await custom.getNamespacedCustomObject({ ...CACHES, name: 'clicks-job-cache' })) as DataCache);
    assert.deepEqual(cache.spec, {
      image: 'ghcr.io/flightcache/flightcache:0.1.0',
      shards: 2,
      replicas: 1,
      memoryPerShard: '2Gi',
      datasets: [{ name: 'clicks', source: { uri: 's3://warehouse/lake/clicks/metadata/v3.metadata.json', format: 'iceberg' } }],
      lifecycle: { policy: 'WithTrainJob', trainJob: 'clicks-job' },
    });
    assert.deepEqual(JSON.parse(JSON.stringify(cache.metadata.ownerReferences)), [{ apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'TrainJob', name: 'clicks-job', uid: job.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    await custom.patchNamespacedCustomObjectStatus(
      { ...CACHES, name: 'clicks-job-cache', body: { status: { phase: 'Ready', endpoint: 'grpc://clicks-job-cache-coordinator.ml.svc:8815' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const { code, stdout, stderr } = await run;
    assert.equal(code, 0, stderr);
    assert.equal(stdout, 'waiting for DataCache ml/clicks-job-cache to be Ready (timeout 60s)\nDataCache clicks-job-cache is Ready at grpc://clicks-job-cache-coordinator.ml.svc:8815\n');
  });

  test('a cache not Ready within --timeout fails with DEADLINE_EXCEEDED, saying where it stands', async () => {
    await createJob('slow-job');
    const { code, stderr } = await initializer('slow-job', '2s');
    assert.equal(code, 1);
    assert.equal(stderr, 'flightcache: DEADLINE_EXCEEDED: DataCache slow-job-cache not Ready within 2s (phase none: no status yet)\n');
  });

  test('a STORAGE_URI that is not cache://SCHEMA/TABLE fails with INVALID_ARGUMENT before anything is created', async () => {
    const { code, stderr } = await initializer('slow-job', '2s', { STORAGE_URI: 's3://bucket/clicks' });
    assert.equal(code, 1);
    assert.equal(stderr, 'flightcache: INVALID_ARGUMENT: kubeflow-initializer: STORAGE_URI must be cache://SCHEMA/TABLE, got "s3://bucket/clicks"\n');
  });

  test('the ClusterTrainingRuntime using it and the initializer ClusterRole are accepted by the API server', async () => {
    const objects = KubernetesObjectApi.makeApiClient(cp.kubeConfig);
    const docs = loadAllYaml(readFileSync(RUNTIME, 'utf8')) as KubernetesObject[];
    for (const doc of docs) await objects.patch(doc, undefined, undefined, 'initializer-test', true, PatchStrategy.ServerSideApply);
    const runtime = (await custom.getClusterCustomObject({ group: 'trainer.kubeflow.org', version: 'v1alpha1', plural: 'clustertrainingruntimes', name: 'torch-distributed-with-flightcache' })) as {
      spec: { template: { spec: { replicatedJobs: { name: string; template: { spec: { template: { spec: { containers: { args?: string[] }[] } } } } }[] } } };
    };
    assert.deepEqual(runtime.spec.template.spec.replicatedJobs.map((j) => j.name), ['dataset-initializer', 'node']);
    assert.deepEqual(runtime.spec.template.spec.replicatedJobs[0]!.template.spec.template.spec.containers[0]!.args, ['kubeflow-initializer', '--timeout', '30m']);
    assert.deepEqual(docs.map((d) => `${d.kind}/${d.metadata?.name}`), ['ClusterTrainingRuntime/torch-distributed-with-flightcache', 'ClusterRole/flightcache-initializer']);
  });
});
