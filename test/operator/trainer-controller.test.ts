/**
 * The real Kubeflow Trainer controller turns a TrainJob that our webhook mutated into a JobSet: the
 * TrainJob, TrainingRuntime, ClusterTrainingRuntime and JobSet CRDs and the torch-distributed
 * ClusterTrainingRuntime come from the Trainer and JobSet Go modules (scripts/kube-crds.sh), the
 * controller is built from the Trainer module (scripts/kube-tools.sh), and our webhook is registered
 * with the API server. The JobSet's trainer pod template must carry what our runtimePatches entry says.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CustomObjectsApi, KubernetesObjectApi, loadYaml, type KubernetesObject } from '@kubernetes/client-node';
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

interface PodSpec {
  affinity?: unknown;
  volumes?: { name: string }[];
  containers: { name: string; image?: string; command?: string[]; env?: EnvVar[]; volumeMounts?: { name: string; mountPath: string }[] }[];
}
interface JobSet {
  spec: { replicatedJobs: { name: string; template: { spec: { template: { spec: PodSpec } } } }[] };
}

describe('the Kubeflow Trainer controller makes a JobSet from a TrainJob our webhook patched', { skip }, () => {
  let cp: ControlPlane;
  let pki: TestPki;
  let webhook: Webhook | undefined;
  let controller: TrainerController | undefined;

  before(async () => {
    cp = await startControlPlane();
    await installDataCacheCrd(cp, NS);
    for (const path of [...TRAINER_CRDS, CLUSTER_TRAINING_RUNTIME_CRD, TRAINING_RUNTIME_CRD]) await installCrd(cp, path);
    await KubernetesObjectApi.makeApiClient(cp.kubeConfig).create(loadYaml<KubernetesObject>(readFileSync(TORCH_RUNTIME, 'utf8')));
    pki = makeTestPki();
    webhook = await registerTrainJobWebhook(cp, pki, NS);
    controller = await startTrainerController(cp, pki);
  });

  after(async () => {
    await controller?.stop();
    await webhook?.close();
    await cp?.stop();
    pki?.remove();
  });

  test("the trainer pod template of the JobSet carries FLIGHTCACHE_ENDPOINT, FLIGHTCACHE_HOST_ID, the shards' pod affinity and the shm volume", async () => {
    const custom = cp.kubeConfig.makeApiClient(CustomObjectsApi);
    await custom.createNamespacedCustomObject({
      group: 'flightcache.io',
      version: 'v1alpha1',
      plural: 'datacaches',
      namespace: NS,
      body: { apiVersion: 'flightcache.io/v1alpha1', kind: 'DataCache', metadata: { name: 'imagenet' }, spec: { image: 'img:1', shards: 2, sharedMemory: { enabled: true } } },
    });
    // The API server picks the webhook configuration up asynchronously: retry the create until it is mutated.
    const trainJob = {
      apiVersion: 'trainer.kubeflow.org/v1alpha1',
      kind: 'TrainJob',
      metadata: { name: 'resnet', annotations: { 'flightcache.io/cache': 'imagenet' } },
      spec: { runtimeRef: { name: 'torch-distributed' }, trainer: { numNodes: 2, image: 'registry.example/resnet:1', command: ['torchrun', 'train.py'] } },
    };
    const trainJobs = { group: 'trainer.kubeflow.org', version: 'v1alpha1', plural: 'trainjobs', namespace: NS };
    await waitFor('the webhook to be called', async () => ((await custom.createNamespacedCustomObject({ ...trainJobs, body: trainJob, dryRun: 'All' })) as { spec: { runtimePatches?: unknown } }).spec.runtimePatches ? true : undefined);
    await custom.createNamespacedCustomObject({ ...trainJobs, body: trainJob });
    const jobSet = await waitFor(
      'the controller to create JobSet resnet',
      async () => (await custom.getNamespacedCustomObject({ group: 'jobset.x-k8s.io', version: 'v1alpha2', plural: 'jobsets', namespace: NS, name: 'resnet' })) as JobSet,
      60_000,
    ).catch((err: Error) => assert.fail(`${err.message}; the controller's log:\n${controller!.logs()}`));
    const pod = jobSet.spec.replicatedJobs.find((job) => job.name === 'node')!.template.spec.template.spec;
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
});
