/**
 * The TrainJob mutating webhook called by a real kube-apiserver: the Kubeflow Trainer TrainJob and
 * JobSet CRDs from their Go modules (scripts/kube-crds.sh) are installed, a MutatingWebhookConfiguration
 * points at the webhook served over TLS from a kubernetes.io/tls Secret, and TrainJobs are created
 * through the API server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { request } from 'node:https';
import { CustomObjectsApi, loadAllYaml } from '@kubernetes/client-node';
import { TRAINJOB_WEBHOOK_PATH, type Webhook } from '../../operator/webhook.js';
import type { TrainJob } from '../../operator/trainjob.js';
import { makeTestPki, type TestPki } from '../helpers/certificates.js';
import { KATIB_EXPERIMENT_CRD, TRAINER_CRDS, installCrd, installDataCacheCrd, startControlPlane, trainerUnavailableReason, type ControlPlane } from './control-plane.js';
import { errorMessage, waitFor } from './api-helpers.js';
import { registerTrainJobWebhook } from './trainjob-webhook.js';

const KATIB_EXAMPLE = fileURLToPath(new URL('../../../operator/kubeflow/katib-experiment.yaml', import.meta.url));
const skip = trainerUnavailableReason() ?? (existsSync(KATIB_EXPERIMENT_CRD) ? undefined : `no ${KATIB_EXPERIMENT_CRD}: run bash scripts/kube-crds.sh`);
if (skip) console.log(`# skipping the TrainJob webhook tests: ${skip}`);
const NS = 'ml';
const CACHES = { group: 'flightcache.io', version: 'v1alpha1', plural: 'datacaches', namespace: NS };
const TRAINJOBS = { group: 'trainer.kubeflow.org', version: 'v1alpha1', plural: 'trainjobs', namespace: NS };

describe('TrainJob mutating webhook called by a real API server', { skip }, () => {
  let cp: ControlPlane;
  let pki: TestPki;
  let custom: CustomObjectsApi;
  let webhook: Webhook | undefined;

  const trainJob = (name: string, annotations: Record<string, string> | undefined, spec: Record<string, unknown> = {}) => ({
    apiVersion: 'trainer.kubeflow.org/v1alpha1',
    kind: 'TrainJob',
    metadata: { name, ...(annotations ? { annotations } : {}) },
    spec: { runtimeRef: { name: 'torch-distributed' }, ...spec },
  });
  const createJob = async (body: ReturnType<typeof trainJob>, dryRun?: 'All') => (await custom.createNamespacedCustomObject({ ...TRAINJOBS, body, dryRun })) as TrainJob;

  before(async () => {
    cp = await startControlPlane();
    custom = cp.kubeConfig.makeApiClient(CustomObjectsApi);
    await installDataCacheCrd(cp, NS);
    for (const path of TRAINER_CRDS) await installCrd(cp, path);
    pki = makeTestPki();
    webhook = await registerTrainJobWebhook(cp, pki, NS);
    await custom.createNamespacedCustomObject({
      ...CACHES,
      body: { apiVersion: 'flightcache.io/v1alpha1', kind: 'DataCache', metadata: { name: 'imagenet' }, spec: { image: 'img:1', shards: 2, sharedMemory: { enabled: true } } },
    });
    // The API server picks the configuration up asynchronously: dry-run creates until one is mutated.
    await waitFor('the webhook to be called', async () => ((await createJob(trainJob('probe', { 'flightcache.io/cache': 'imagenet' }), 'All')).spec.runtimePatches ? true : undefined));
  });

  after(async () => {
    await webhook?.close();
    await cp?.stop();
    pki?.remove();
  });

  test('a TrainJob naming a DataCache gets FLIGHTCACHE_ENDPOINT in trainer.env and our runtimePatches entry', async () => {
    const job = await createJob(trainJob('resnet', { 'flightcache.io/cache': 'imagenet' }, { trainer: { numNodes: 2, env: [{ name: 'EPOCHS', value: '3' }] } }));
    assert.deepEqual(job.spec.trainer, { numNodes: 2, env: [{ name: 'EPOCHS', value: '3' }, { name: 'FLIGHTCACHE_ENDPOINT', value: 'grpc://imagenet-coordinator.ml.svc:8815' }] });
    assert.deepEqual(job.spec.runtimePatches, [
      {
        manager: 'flightcache.io/operator',
        trainingRuntimeSpec: {
          template: {
            spec: {
              replicatedJobs: [
                {
                  name: 'node',
                  template: {
                    spec: {
                      template: {
                        spec: {
                          affinity: {
                            podAffinity: {
                              preferredDuringSchedulingIgnoredDuringExecution: [
                                { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { 'app.kubernetes.io/instance': 'imagenet', 'app.kubernetes.io/component': 'shard' } }, topologyKey: 'kubernetes.io/hostname' } },
                              ],
                            },
                          },
                          containers: [
                            {
                              name: 'node',
                              env: [
                                { name: 'FLIGHTCACHE_ENDPOINT', value: 'grpc://imagenet-coordinator.ml.svc:8815' },
                                { name: 'FLIGHTCACHE_HOST_ID', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                              ],
                              volumeMounts: [{ name: 'flightcache-shm', mountPath: '/shm' }],
                            },
                          ],
                          volumes: [{ name: 'flightcache-shm', hostPath: { path: '/dev/shm/flightcache', type: 'DirectoryOrCreate' } }],
                        },
                      },
                    },
                  },
                },
              ],
            },
          },
        },
      },
    ]);
  });

  test('another manager\'s runtimePatches entry stays, and a TrainJob without trainer gets one holding only the endpoint', async () => {
    const kueue = { manager: 'kueue.x-k8s.io/manager', trainingRuntimeSpec: { template: { metadata: { labels: { queue: 'gpu' } } } } };
    const job = await createJob(trainJob('vit', { 'flightcache.io/cache': 'imagenet' }, { runtimePatches: [kueue] }));
    assert.deepEqual(job.spec.trainer, { env: [{ name: 'FLIGHTCACHE_ENDPOINT', value: 'grpc://imagenet-coordinator.ml.svc:8815' }] });
    assert.deepEqual(job.spec.runtimePatches?.map((p) => p.manager), ['kueue.x-k8s.io/manager', 'flightcache.io/operator']);
    assert.deepEqual(job.spec.runtimePatches?.[0], kueue);
  });

  test('a TrainJob without the annotation is created unchanged', async () => {
    const job = await createJob(trainJob('plain', undefined, { trainer: { numNodes: 1 } }));
    assert.deepEqual([job.spec.trainer, job.spec.runtimePatches], [{ numNodes: 1 }, undefined]);
  });

  test('a TrainJob naming a DataCache that does not exist is denied with the reason', async () => {
    await assert.rejects(createJob(trainJob('orphan', { 'flightcache.io/cache': 'nope' })), (err: unknown) => {
      assert.equal((err as { code?: number }).code, 404);
      assert.equal(errorMessage(err), 'admission webhook "trainjobs.flightcache.io" denied the request: TrainJob annotation flightcache.io/cache names DataCache "nope", which does not exist in namespace "ml"');
      return true;
    });
  });

  test('Katib: each trial TrainJob rendered from the example Experiment gets the endpoint of the one standing cache', async () => {
    await installCrd(cp, KATIB_EXPERIMENT_CRD);
    const [experiment] = loadAllYaml(readFileSync(KATIB_EXAMPLE, 'utf8')) as { spec: { trialTemplate: { trialSpec: unknown } } }[];
    await custom.createNamespacedCustomObject({ group: 'kubeflow.org', version: 'v1beta1', plural: 'experiments', namespace: NS, body: experiment });
    // No Katib controller runs: render two trials as it does (parameters substituted into trialSpec).
    const trial = (name: string, lr: string) => {
      const spec = JSON.parse(JSON.stringify(experiment!.spec.trialTemplate.trialSpec).replace('${trialParameters.learningRate}', lr)) as ReturnType<typeof trainJob>;
      return { ...spec, metadata: { ...spec.metadata, name } };
    };
    const jobs = [await createJob(trial('resnet-lr-a', '0.01')), await createJob(trial('resnet-lr-b', '0.05'))];
    assert.deepEqual(
      jobs.map((job) => [job.spec.trainer?.command, job.spec.trainer?.env]),
      ['0.01', '0.05'].map((lr) => [['torchrun', 'train.py', '--lr', lr], [{ name: 'FLIGHTCACHE_ENDPOINT', value: 'grpc://imagenet-coordinator.ml.svc:8815' }]]),
    );
  });

  test('a request that is not an AdmissionReview gets 400 with the reason', async () => {
    const post = (body: string) =>
      new Promise<[number, string]>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: webhook!.port, path: TRAINJOB_WEBHOOK_PATH, method: 'POST', ca: pki.read(pki.ca.cert) }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve([res.statusCode ?? 0, text]));
        });
        req.on('error', reject);
        req.end(body);
      });
    assert.deepEqual(await post('{'), [400, '{"message":"the body is not JSON"}']);
    assert.deepEqual(await post('{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview"}'), [400, '{"message":"expected an admission.k8s.io/v1 AdmissionReview"}']);
  });

  test('failurePolicy Fail: with the webhook down, annotated TrainJobs are refused and others still created', async () => {
    await webhook!.close();
    webhook = undefined;
    await assert.rejects(createJob(trainJob('while-down', { 'flightcache.io/cache': 'imagenet' })), (err: unknown) => {
      assert.match(errorMessage(err), /^Internal error occurred: failed calling webhook "trainjobs\.flightcache\.io": failed to call webhook: Post "https:\/\/127\.0\.0\.1:\d+\/mutate-trainjob\?timeout=10s": dial tcp 127\.0\.0\.1:\d+: connect: connection refused$/);
      return true;
    });
    const plain = await createJob(trainJob('plain-while-down', undefined));
    assert.equal(plain.spec.runtimePatches, undefined);
  });
});
