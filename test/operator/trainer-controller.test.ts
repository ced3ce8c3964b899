/**
 * The real Kubeflow Trainer controller turns a TrainJob that our webhook mutated into a JobSet: the
 * TrainJob, TrainingRuntime, ClusterTrainingRuntime and JobSet CRDs and the torch-distributed
 * ClusterTrainingRuntime come from the Trainer and JobSet Go modules (scripts/kube-crds.sh), the
 * controller is built from the Trainer module (scripts/kube-tools.sh), and our webhook is registered
 * with the API server. The JobSet's trainer pod template must carry what our runtimePatches entry says,
 * and a suspended TrainJob's JobSet starts only once our reconciler releases the TrainJob.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppsV1Api, CustomObjectsApi, KubernetesObjectApi, PatchStrategy, loadYaml, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import { Reconciler } from '../../operator/reconciler.js';
import type { Webhook } from '../../operator/webhook.js';
import type { EnvVar } from '../../operator/trainjob.js';
import { makeTestPki, type TestPki } from '../helpers/certificates.js';
import { CLUSTER_TRAINING_RUNTIME_CRD, TRAINER_CRDS, installCrd, installDataCacheCrd, kubeCacheRoot, startControlPlane, trainerUnavailableReason, type ControlPlane } from './control-plane.js';
import { waitFor } from './api-helpers.js';
import { registerTrainJobWebhook } from './trainjob-webhook.js';
import { startTrainerController, trainerControllerUnavailableReason, type TrainerController } from './trainer-controller.js';

const TRAINING_RUNTIME_CRD = join(kubeCacheRoot(), 'crds', 'trainer.kubeflow.org_trainingruntimes.yaml');
const TORCH_RUNTIME = join(kubeCacheRoot(), 'crds', 'trainer-runtime-torch-distributed.yaml');
const missing = [CLUSTER_TRAINING_RUNTIME_CRD, TRAINING_RUNTIME_CRD, TORCH_RUNTIME].filter((path) => !existsSync(path));
const skip = trainerUnavailableReason() ?? trainerControllerUnavailableReason() ?? (missing.length ? `no ${missing.join(' or ')}: run bash scripts/kube-crds.sh` : undefined);
if (skip) console.log(`# skipping the Kubeflow Trainer controller test: ${skip}`);
const NS = 'ml';
const CACHES = { group: 'flightcache.io', version: 'v1alpha1', plural: 'datacaches', namespace: NS };
const TRAINJOBS = { group: 'trainer.kubeflow.org', version: 'v1alpha1', plural: 'trainjobs', namespace: NS };
const JOBSETS = { group: 'jobset.x-k8s.io', version: 'v1alpha2', plural: 'jobsets', namespace: NS };

interface PodSpec {
  affinity?: unknown;
  volumes?: { name: string }[];
  containers: { name: string; image?: string; command?: string[]; env?: EnvVar[]; volumeMounts?: { name: string; mountPath: string }[] }[];
}
interface JobSet {
  spec: { suspend?: boolean; replicatedJobs: { name: string; template: { spec: { template: { spec: PodSpec } } } }[] };
}

describe('the Kubeflow Trainer controller makes a JobSet from a TrainJob our webhook patched', { skip }, () => {
  let cp: ControlPlane;
  let pki: TestPki;
  let webhook: Webhook | undefined;
  let controller: TrainerController | undefined;
  let reconciler: Reconciler | undefined;
  let custom: CustomObjectsApi;

  const trainJob = (name: string, cache: string, spec: Record<string, unknown> = {}) => ({
    apiVersion: 'trainer.kubeflow.org/v1alpha1',
    kind: 'TrainJob',
    metadata: { name, annotations: { 'flightcache.io/cache': cache } },
    spec: { runtimeRef: { name: 'torch-distributed' }, trainer: { numNodes: 2, image: 'registry.example/resnet:1', command: ['torchrun', 'train.py'] }, ...spec },
  });
  const createCache = (name: string, spec: Record<string, unknown>) =>
    custom.createNamespacedCustomObject({ ...CACHES, body: { apiVersion: 'flightcache.io/v1alpha1', kind: 'DataCache', metadata: { name }, spec: { image: 'img:1', ...spec } } });
  /** The JobSet the controller made for TrainJob `name`, once `accept` takes it. */
  const jobSetOf = (name: string, accept: (jobSet: JobSet) => boolean = () => true) =>
    waitFor(
      `the controller's JobSet ${name}`,
      async () => {
        const jobSet = (await custom.getNamespacedCustomObject({ ...JOBSETS, name })) as JobSet;
        return accept(jobSet) ? jobSet : undefined;
      },
      60_000,
    ).catch((err: Error) => assert.fail(`${err.message}; the controller's log:\n${controller!.logs()}`));
  const trainerPod = (jobSet: JobSet) => jobSet.spec.replicatedJobs.find((job) => job.name === 'node')!.template.spec.template.spec;

  before(async () => {
    cp = await startControlPlane();
    await installDataCacheCrd(cp, NS);
    for (const path of [...TRAINER_CRDS, CLUSTER_TRAINING_RUNTIME_CRD, TRAINING_RUNTIME_CRD]) await installCrd(cp, path);
    await KubernetesObjectApi.makeApiClient(cp.kubeConfig).create(loadYaml<KubernetesObject>(readFileSync(TORCH_RUNTIME, 'utf8')));
    pki = makeTestPki();
    webhook = await registerTrainJobWebhook(cp, pki, NS);
    controller = await startTrainerController(cp, pki);
    custom = cp.kubeConfig.makeApiClient(CustomObjectsApi);
    reconciler = new Reconciler(cp.kubeConfig, { resyncMs: 300 });
    await reconciler.start();
    // The API server picks the webhook configuration up asynchronously: dry-run creates until one is mutated.
    await createCache('probe', {});
    await waitFor('the webhook to be called', async () => ((await custom.createNamespacedCustomObject({ ...TRAINJOBS, body: trainJob('probe', 'probe'), dryRun: 'All' })) as { spec: { runtimePatches?: unknown } }).spec.runtimePatches ? true : undefined);
  });

  after(async () => {
    await reconciler?.stop();
    await controller?.stop();
    await webhook?.close();
    await cp?.stop();
    pki?.remove();
  });

  test("the trainer pod template of the JobSet carries FLIGHTCACHE_ENDPOINT, FLIGHTCACHE_HOST_ID, the shards' pod affinity and the shm volume", async () => {
    await createCache('imagenet', { shards: 2, sharedMemory: { enabled: true } });
    await custom.createNamespacedCustomObject({ ...TRAINJOBS, body: trainJob('resnet', 'imagenet') });
    const pod = trainerPod(await jobSetOf('resnet'));
    const node = pod.containers.find((container) => container.name === 'node')!;
    // Ours first (the runtimePatches entry), then what the controller's torch plugin adds for 2 nodes.
    assert.deepEqual(node.env, [
      { name: 'FLIGHTCACHE_ENDPOINT', value: 'grpc://imagenet-coordinator.ml.svc:8815' },
      { name: 'FLIGHTCACHE_HOST_ID', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'PET_NNODES', value: '2' },
      { name: 'PET_NPROC_PER_NODE', value: '1' },
      { name: 'PET_NODE_RANK', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } },
      { name: 'PET_MASTER_ADDR', value: 'resnet-node-0-0.resnet' },
      { name: 'PET_MASTER_PORT', value: '29500' },
    ]);
    assert.deepEqual([node.image, node.command], ['registry.example/resnet:1', ['torchrun', 'train.py']]);
    assert.deepEqual(node.volumeMounts, [{ name: 'flightcache-shm', mountPath: '/shm' }]);
    assert.deepEqual(pod.volumes, [{ name: 'flightcache-shm', hostPath: { path: '/dev/shm/flightcache', type: 'DirectoryOrCreate' } }]);
    assert.deepEqual(pod.affinity, {
      podAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { 'app.kubernetes.io/instance': 'imagenet', 'app.kubernetes.io/component': 'shard' } }, topologyKey: 'kubernetes.io/hostname' } },
        ],
      },
    });
  });

  test('a TrainJob created suspended: its JobSet stays suspended until the operator releases it once the cache is Ready, then runs with our entry', async () => {
    await createCache('coco', { shards: 1 });
    await custom.createNamespacedCustomObject({ ...TRAINJOBS, body: trainJob('detr', 'coco', { suspend: true }) });
    await jobSetOf('detr');
    // The cache is Pending (no shard ready): a second later the JobSet is still suspended.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(((await custom.getNamespacedCustomObject({ ...JOBSETS, name: 'detr' })) as JobSet).spec.suspend, true);
    // No kubelet: the test reports the shards and the coordinator ready, so the cache turns Ready.
    const apps = cp.kubeConfig.makeApiClient(AppsV1Api);
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    await waitFor('coco-shards', () => apps.readNamespacedStatefulSet({ namespace: NS, name: 'coco-shards' }));
    await waitFor('coco-coordinator', () => apps.readNamespacedDeployment({ namespace: NS, name: 'coco-coordinator' }));
    await apps.patchNamespacedStatefulSetStatus({ namespace: NS, name: 'coco-shards', body: { status: { replicas: 1, readyReplicas: 1, availableReplicas: 1 } } }, merge);
    await apps.patchNamespacedDeploymentStatus({ namespace: NS, name: 'coco-coordinator', body: { status: { replicas: 1, readyReplicas: 1, availableReplicas: 1 } } }, merge);
    const running = await jobSetOf('detr', (jobSet) => jobSet.spec.suspend === false);
    const job = (await custom.getNamespacedCustomObject({ ...TRAINJOBS, name: 'detr' })) as { metadata: { annotations: Record<string, string> }; spec: { suspend: boolean } };
    assert.deepEqual([job.spec.suspend, job.metadata.annotations['flightcache.io/released']], [false, 'true']);
    const node = trainerPod(running).containers.find((container) => container.name === 'node')!;
    assert.deepEqual(node.env?.slice(0, 1), [{ name: 'FLIGHTCACHE_ENDPOINT', value: 'grpc://coco-coordinator.ml.svc:8815' }]);
    assert.deepEqual(trainerPod(running).affinity, {
      podAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { 'app.kubernetes.io/instance': 'coco', 'app.kubernetes.io/component': 'shard' } }, topologyKey: 'kubernetes.io/hostname' } },
        ],
      },
    });
  });
});
