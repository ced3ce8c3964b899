/**
 * The DataCache operator against a real kube-apiserver and etcd (test/operator/control-plane.ts).
 * No kubelet runs: the test writes StatefulSet and Deployment status itself.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubernetesObjectApi, PatchStrategy, PolicyV1Api, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import { Reconciler } from '../../operator/reconciler.js';
import { FINALIZER, type DataCache } from '../../operator/datacache.js';
import { installDataCacheCrd, startControlPlane, unavailableReason, type ControlPlane } from './control-plane.js';
import { errorMessage, waitFor, waitGone } from './api-helpers.js';

const skip = unavailableReason();
if (skip) console.log(`# skipping operator tests on a real API server: ${skip}`);

const NS = 'ml';
const GROUP = { group: 'flightcache.io', version: 'v1alpha1', plural: 'datacaches', namespace: NS };
const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('DataCache operator on a real API server', { skip }, () => {
  let cp: ControlPlane;
  let custom: CustomObjectsApi;
  let apps: AppsV1Api;
  let core: CoreV1Api;
  let policy: PolicyV1Api;
  let objects: KubernetesObjectApi;
  let reconciler: Reconciler | undefined;

  const getCache = async (name: string) => (await custom.getNamespacedCustomObject({ ...GROUP, name })) as DataCache;
  const create = (name: string, spec: Record<string, unknown>) => custom.createNamespacedCustomObject({ ...GROUP, body: { apiVersion: 'flightcache.io/v1alpha1', kind: 'DataCache', metadata: { name }, spec } });
  const owned = async (name: string): Promise<KubernetesObject[]> => [
    await core.readNamespacedService({ namespace: NS, name: `${name}-shards` }),
    await apps.readNamespacedStatefulSet({ namespace: NS, name: `${name}-shards` }),
    await policy.readNamespacedPodDisruptionBudget({ namespace: NS, name: `${name}-shards` }),
    await core.readNamespacedService({ namespace: NS, name: `${name}-coordinator` }),
    await apps.readNamespacedDeployment({ namespace: NS, name: `${name}-coordinator` }),
  ];
  const setShardsReady = (name: string, ready: number, replicas: number) =>
    apps.patchNamespacedStatefulSetStatus({ namespace: NS, name: `${name}-shards`, body: { status: { replicas, readyReplicas: ready, currentReplicas: replicas, updatedReplicas: replicas, availableReplicas: ready } } }, MERGE_PATCH);
  const phaseIs = (name: string, phase: string) => async () => {
    const cache = await getCache(name);
    return cache.status?.phase === phase ? cache : undefined;
  };

  before(async () => {
    cp = await startControlPlane();
    custom = cp.kubeConfig.makeApiClient(CustomObjectsApi);
    apps = cp.kubeConfig.makeApiClient(AppsV1Api);
    core = cp.kubeConfig.makeApiClient(CoreV1Api);
    policy = cp.kubeConfig.makeApiClient(PolicyV1Api);
    objects = KubernetesObjectApi.makeApiClient(cp.kubeConfig);
    await installDataCacheCrd(cp, NS);
  });

  after(async () => {
    await reconciler?.stop();
    await cp?.stop();
  });

  test('an invalid spec is rejected with the schema message', async () => {
    await assert.rejects(create('bad1', { image: 'img:1', shards: 2, replicas: 3 }), (err: unknown) => {
      assert.match(errorMessage(err), /^DataCache\.flightcache\.io "bad1" is invalid: spec: Invalid value: "object": replicas must not exceed shards$/);
      return true;
    });
    await assert.rejects(create('bad2', { image: 'img:1', memoryPerShard: '4G' }), (err: unknown) => {
      assert.match(errorMessage(err), /spec\.memoryPerShard: Invalid value: "4G": spec\.memoryPerShard in body should match '\^\[1-9\]\[0-9\]\*\(Ki\|Mi\|Gi\|Ti\)\$'/);
      return true;
    });
    await assert.rejects(create('bad3', { image: 'img:1', lifecycle: { policy: 'WithTrainJob' } }), (err: unknown) => {
      assert.match(errorMessage(err), /spec\.lifecycle: Invalid value: "object": lifecycle\.policy WithTrainJob needs lifecycle\.trainJob/);
      return true;
    });
  });

  test('create: the owned objects exist with owner references, the finalizer is set and the status is Pending', async () => {
    reconciler = new Reconciler(cp.kubeConfig, { resyncMs: 300 });
    await reconciler.start();
    await create('c1', { image: 'img:1', shards: 2 });
    const cache = await waitFor('status Pending', phaseIs('c1', 'Pending'));
    assert.deepEqual(cache.metadata.finalizers, [FINALIZER]);
    const uid = cache.metadata.uid;
    const kinds = (await owned('c1')).map((o) => {
      assert.deepEqual(JSON.parse(JSON.stringify(o.metadata?.ownerReferences)), [{ apiVersion: 'flightcache.io/v1alpha1', kind: 'DataCache', name: 'c1', uid, controller: true, blockOwnerDeletion: true }]);
      assert.ok(o.metadata?.managedFields?.some((f) => f.manager === 'flightcache-operator' && f.operation === 'Apply'));
      return `${o.kind ?? ''}/${o.metadata?.name}`;
    });
    assert.equal(kinds.length, 5);
    assert.equal((await apps.readNamespacedStatefulSet({ namespace: NS, name: 'c1-shards' })).spec?.replicas, 2);
    assert.deepEqual({ ...cache.status, conditions: undefined }, { phase: 'Pending', observedGeneration: 1, endpoint: 'grpc://c1-coordinator.ml.svc:8815', shardsReady: 0, shardsDesired: 2, conditions: undefined });
  });

  test('Ready once the StatefulSet reports every shard ready and the coordinator is available', async () => {
    await setShardsReady('c1', 2, 2);
    await apps.patchNamespacedDeploymentStatus({ namespace: NS, name: 'c1-coordinator', body: { status: { replicas: 1, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 1 } } }, MERGE_PATCH);
    const cache = await waitFor('status Ready', phaseIs('c1', 'Ready'));
    assert.equal(cache.status?.shardsReady, 2);
    assert.deepEqual(cache.status?.conditions?.map((c) => [c.type, c.status, c.reason]), [['Ready', 'True', 'AllShardsReady'], ['Degraded', 'False', 'AsDesired']]);
  });

  test('scaling shards resizes the StatefulSet; the cache is Degraded until the new shard is ready', async () => {
    await custom.patchNamespacedCustomObject({ ...GROUP, name: 'c1', body: { spec: { shards: 3 } } }, MERGE_PATCH);
    await waitFor('3 replicas', async () => ((await apps.readNamespacedStatefulSet({ namespace: NS, name: 'c1-shards' })).spec?.replicas === 3 ? true : undefined));
    const degraded = await waitFor('status Degraded', phaseIs('c1', 'Degraded'));
    assert.deepEqual([degraded.status?.shardsReady, degraded.status?.shardsDesired, degraded.status?.observedGeneration], [2, 3, 2]);
    await setShardsReady('c1', 3, 3);
    await waitFor('status Ready', phaseIs('c1', 'Ready'));
  });

  test('a shard that stops being ready makes the cache Degraded (ShardsLost), and Ready again when it returns', async () => {
    await setShardsReady('c1', 2, 3);
    const degraded = await waitFor('status Degraded', phaseIs('c1', 'Degraded'));
    assert.deepEqual(degraded.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.message]), [
      ['Ready', 'False', 'ShardsNotReady', '2/3 shards ready, coordinator available'],
      ['Degraded', 'True', 'ShardsLost', '2/3 shards ready, coordinator available'],
    ]);
    await setShardsReady('c1', 3, 3);
    const ready = await waitFor('status Ready', phaseIs('c1', 'Ready'));
    assert.deepEqual([ready.status?.shardsReady, ready.status?.shardsDesired], [3, 3]);
  });

  test('an operator restart and its resyncs write nothing: every resourceVersion stays the same', async () => {
    await reconciler!.stop();
    const versions = async () => [(await getCache('c1')).metadata.resourceVersion, ...(await owned('c1')).map((o) => o.metadata?.resourceVersion)];
    const before = await versions();
    reconciler = new Reconciler(cp.kubeConfig, { resyncMs: 200 });
    await reconciler.start();
    await reconciler.reconcile(NS, 'c1');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Stopped, not awaited idle: a resync every 200 ms can keep the queue from ever emptying.
    await reconciler.stop();
    assert.deepEqual(await versions(), before);
    reconciler = new Reconciler(cp.kubeConfig, { resyncMs: 300 });
    await reconciler.start();
  });

  test('delete: the finalizer removes the owned objects, then the DataCache goes', async () => {
    await custom.deleteNamespacedCustomObject({ ...GROUP, name: 'c1' });
    await waitGone('the DataCache to go', () => getCache('c1'));
    const list = async (kind: string, apiVersion: string) => (await objects.list(apiVersion, kind, NS)).items.map((o) => o.metadata?.name);
    assert.deepEqual(await list('StatefulSet', 'apps/v1'), []);
    assert.deepEqual(await list('Deployment', 'apps/v1'), []);
    assert.deepEqual(await list('PodDisruptionBudget', 'policy/v1'), []);
    assert.deepEqual(await list('Service', 'v1'), []);
  });
});
