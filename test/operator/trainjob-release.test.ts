/**
 * Suspended Kubeflow TrainJobs waiting for their DataCache, on a real API server with the real TrainJob
 * CRD: released (patched and unsuspended in one update) once the cache is Ready, told by an Event when
 * it fails, released at once when the cache colocates with them. No kubelet runs: the test writes the
 * status of the StatefulSet, the Deployment and a shard pod itself.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { Reconciler } from '../../operator/reconciler.js';
import type { DataCache } from '../../operator/datacache.js';
import { runtimePatch, type TrainJob } from '../../operator/trainjob.js';
import { TRAINER_CRDS, installCrd, installDataCacheCrd, startControlPlane, trainerUnavailableReason, type ControlPlane } from './control-plane.js';
import { waitFor } from './api-helpers.js';

const skip = trainerUnavailableReason();
if (skip) console.log(`# skipping the TrainJob release tests: ${skip}`);
const NS = 'ml';
const CACHES = { group: 'flightcache.io', version: 'v1alpha1', plural: 'datacaches', namespace: NS };
const TRAINJOBS = { group: 'trainer.kubeflow.org', version: 'v1alpha1', plural: 'trainjobs', namespace: NS };
const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('suspended TrainJobs wait for their DataCache (real API server)', { skip }, () => {
  let cp: ControlPlane;
  let custom: CustomObjectsApi;
  let apps: AppsV1Api;
  let core: CoreV1Api;
  let reconciler: Reconciler | undefined;

  const createCache = (name: string, spec: Record<string, unknown> = {}) =>
    custom.createNamespacedCustomObject({ ...CACHES, body: { apiVersion: 'flightcache.io/v1alpha1', kind: 'DataCache', metadata: { name }, spec: { image: 'img:1', shards: 2, ...spec } } });
  const createHeldJob = (name: string, cache: string) =>
    custom.createNamespacedCustomObject({
      ...TRAINJOBS,
      body: { apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'TrainJob', metadata: { name, annotations: { 'flightcache.io/cache': cache } }, spec: { runtimeRef: { name: 'torch-distributed' }, suspend: true, trainer: { numNodes: 2 } } },
    });
  const getJob = async (name: string) => (await custom.getNamespacedCustomObject({ ...TRAINJOBS, name })) as TrainJob;
  const phaseIs = (name: string, phase: string) => async () => {
    const cache = (await custom.getNamespacedCustomObject({ ...CACHES, name })) as DataCache;
    return cache.status?.phase === phase ? cache : undefined;
  };
  const released = (name: string) => async () => {
    const job = await getJob(name);
    return job.spec.suspend === false ? job : undefined;
  };

  before(async () => {
    cp = await startControlPlane();
    custom = cp.kubeConfig.makeApiClient(CustomObjectsApi);
    apps = cp.kubeConfig.makeApiClient(AppsV1Api);
    core = cp.kubeConfig.makeApiClient(CoreV1Api);
    await installDataCacheCrd(cp, NS);
    // Pods need their service account; no controller manager runs to create the default one.
    await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: 'default' } } });
    for (const path of TRAINER_CRDS) await installCrd(cp, path);
    reconciler = new Reconciler(cp.kubeConfig, { resyncMs: 300 });
    await reconciler.start();
  });

  after(async () => {
    await reconciler?.stop();
    await cp?.stop();
  });

  test('held while the cache is Pending; once Ready, patched and unsuspended in one update (generation 1 -> 2)', async () => {
    await createCache('ds');
    await createHeldJob('held', 'ds');
    await waitFor('ds Pending', phaseIs('ds', 'Pending'));
    await pause(1000);
    const waiting = await getJob('held');
    assert.deepEqual([waiting.spec.suspend, waiting.metadata.generation, waiting.spec.runtimePatches], [true, 1, undefined]);

    await apps.patchNamespacedStatefulSetStatus({ namespace: NS, name: 'ds-shards', body: { status: { replicas: 2, readyReplicas: 2, availableReplicas: 2 } } }, MERGE_PATCH);
    await apps.patchNamespacedDeploymentStatus({ namespace: NS, name: 'ds-coordinator', body: { status: { replicas: 1, readyReplicas: 1, availableReplicas: 1 } } }, MERGE_PATCH);
    const job = await waitFor('held to be released', released('held'));
    assert.equal(job.metadata.generation, 2);
    // spec.trainer is immutable in the TrainJob CRD: the endpoint reaches the trainer through our entry.
    assert.deepEqual(job.spec.trainer, { numNodes: 2 });
    assert.deepEqual(job.spec.runtimePatches, [runtimePatch((await custom.getNamespacedCustomObject({ ...CACHES, name: 'ds' })) as DataCache)]);
    assert.deepEqual(
      (job.spec.runtimePatches?.[0]?.trainingRuntimeSpec as { template: { spec: { replicatedJobs: { template: { spec: { template: { spec: { containers: unknown } } } } }[] } } }).template.spec.replicatedJobs[0]?.template.spec.template.spec.containers,
      [{ name: 'node', env: [{ name: 'FLIGHTCACHE_ENDPOINT', value: 'grpc://ds-coordinator.ml.svc:8815' }] }],
    );
    assert.equal(job.metadata.annotations?.['flightcache.io/released'], 'true');
  });

  test('a TrainJob suspended again after its release (by Kueue or a user) is left suspended', async () => {
    await custom.patchNamespacedCustomObject({ ...TRAINJOBS, name: 'held', body: { spec: { suspend: true } } }, MERGE_PATCH);
    await pause(1500);
    assert.equal((await getJob('held')).spec.suspend, true);
  });

  test('a cache whose shard is stuck fails: Ready condition ShardsFailing on the DataCache, one Warning Event on the held TrainJob', async () => {
    await createCache('broken');
    await createHeldJob('waits', 'broken');
    const labels = { 'app.kubernetes.io/name': 'flightcache', 'app.kubernetes.io/instance': 'broken', 'app.kubernetes.io/managed-by': 'flightcache-operator', 'app.kubernetes.io/component': 'shard' };
    await core.createNamespacedPod({ namespace: NS, body: { metadata: { name: 'broken-shards-0', labels }, spec: { containers: [{ name: 'shard', image: 'img:1' }] } } });
    await core.patchNamespacedPodStatus(
      {
        namespace: NS,
        name: 'broken-shards-0',
        body: { status: { phase: 'Pending', containerStatuses: [{ name: 'shard', image: 'img:1', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "img:1"' } } }] } },
      },
      MERGE_PATCH,
    );
    const failed = await waitFor('broken Failed', phaseIs('broken', 'Failed'));
    const ready = failed.status?.conditions?.find((c) => c.type === 'Ready');
    assert.deepEqual([ready?.status, ready?.reason, ready?.message], ['False', 'ShardsFailing', '0/2 shards ready, coordinator unavailable; pod broken-shards-0 container shard: ImagePullBackOff (Back-off pulling image "img:1")']);
    const events = async () => (await core.listNamespacedEvent({ namespace: NS, fieldSelector: 'involvedObject.name=waits' })).items;
    await waitFor('the Event on waits', async () => ((await events()).length > 0 ? true : undefined));
    await pause(1500);
    assert.deepEqual(
      (await events()).map((e) => [e.type, e.reason, e.involvedObject.kind, e.message]),
      [['Warning', 'DataCacheFailed', 'TrainJob', 'DataCache broken failed: 0/2 shards ready, coordinator unavailable; pod broken-shards-0 container shard: ImagePullBackOff (Back-off pulling image "img:1"); the TrainJob stays suspended']],
    );
    assert.equal((await getJob('waits')).spec.suspend, true);
  });

  test('job first: the TrainJob a cache colocates with is released at once (the shards wait for its pods) and sets one shard per trainer node', async () => {
    await createCache('colo', { shards: 1, placement: { colocateWith: { trainJob: 'gpt' } } });
    const alone = await waitFor('colo Pending with 1 shard', async () => {
      const c = (await custom.getNamespacedCustomObject({ ...CACHES, name: 'colo' })) as DataCache;
      return c.status?.shardsDesired === 1 ? c : undefined;
    });
    assert.deepEqual(alone.status?.conditions?.find((c) => c.type === 'Colocated')?.reason, 'TrainJobNotFound');
    await createHeldJob('gpt', 'colo');
    const job = await waitFor('gpt to be released', released('gpt'));
    await waitFor('2 shards, one per trainer node', async () => ((await apps.readNamespacedStatefulSet({ namespace: NS, name: 'colo-shards' })).spec?.replicas === 2 ? true : undefined));
    const cache = await waitFor('shardsDesired 2', async () => {
      const c = (await custom.getNamespacedCustomObject({ ...CACHES, name: 'colo' })) as DataCache;
      return c.status?.shardsDesired === 2 ? c : undefined;
    });
    assert.deepEqual([cache.status?.phase, cache.spec.shards], ['Pending', 1]);
    await apps.patchNamespacedStatefulSetStatus({ namespace: NS, name: 'colo-shards', body: { status: { replicas: 2, readyReplicas: 2, availableReplicas: 2 } } }, MERGE_PATCH);
    await apps.patchNamespacedDeploymentStatus({ namespace: NS, name: 'colo-coordinator', body: { status: { replicas: 1, readyReplicas: 1, availableReplicas: 1 } } }, MERGE_PATCH);
    const ready = await waitFor('colo Ready', phaseIs('colo', 'Ready'));
    assert.deepEqual(
      ready.status?.conditions?.filter((c) => c.type === 'Colocated').map((c) => [c.status, c.reason, c.message]),
      [['True', 'OneShardPerTrainerNode', '2/2 shards ready, coordinator available, one shard per node of TrainJob gpt']],
    );
    assert.deepEqual(job.spec.runtimePatches, [runtimePatch(cache)]);
  });

  test('lifecycle WithTrainJob: deleting the TrainJob deletes its cache (and the finalizer its objects); a Standing cache stays', async () => {
    await createCache('per-job', { lifecycle: { policy: 'WithTrainJob', trainJob: 'short' } });
    await createHeldJob('short', 'per-job');
    await waitFor('per-job Pending', phaseIs('per-job', 'Pending'));
    await custom.deleteNamespacedCustomObject({ ...TRAINJOBS, name: 'short' });
    await waitFor('per-job to go', async () => {
      const names = ((await custom.listNamespacedCustomObject(CACHES)) as { items: DataCache[] }).items.map((c) => c.metadata.name);
      return names.includes('per-job') ? undefined : names;
    });
    assert.equal((await apps.listNamespacedStatefulSet({ namespace: NS, labelSelector: 'app.kubernetes.io/instance=per-job' })).items.length, 0);
    await custom.deleteNamespacedCustomObject({ ...TRAINJOBS, name: 'held' });
    await pause(1000);
    assert.equal(((await custom.getNamespacedCustomObject({ ...CACHES, name: 'ds' })) as DataCache).metadata.deletionTimestamp, undefined);
  });
});
