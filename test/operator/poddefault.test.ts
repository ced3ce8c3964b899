/**
 * The Kubeflow Notebooks binding on a real API server: a PodDefault per DataCache once the PodDefault
 * API is served (a stand-in CRD, test/operator/fixtures/poddefault-crd.yaml: the real one is not
 * obtainable here), kept without writes on resync, removed with its cache.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { CustomObjectsApi, type KubernetesObject } from '@kubernetes/client-node';
import { Reconciler } from '../../operator/reconciler.js';
import type { DataCache } from '../../operator/datacache.js';
import { installCrd, installDataCacheCrd, startControlPlane, unavailableReason, type ControlPlane } from './control-plane.js';
import { waitFor, waitGone } from './api-helpers.js';

const skip = unavailableReason();
const NS = 'notebooks';
const CACHES = { group: 'flightcache.io', version: 'v1alpha1', plural: 'datacaches', namespace: NS };
const PODDEFAULTS = { group: 'kubeflow.org', version: 'v1alpha1', plural: 'poddefaults', namespace: NS };
const POD_DEFAULT_CRD = fileURLToPath(new URL('../../../test/operator/fixtures/poddefault-crd.yaml', import.meta.url));

interface PodDefault extends KubernetesObject {
  spec: Record<string, unknown>;
}

describe('PodDefaults for Kubeflow Notebooks on a real API server', { skip }, () => {
  let cp: ControlPlane;
  let custom: CustomObjectsApi;
  let reconciler: Reconciler | undefined;
  const podDefault = async (name: string) => (await custom.getNamespacedCustomObject({ ...PODDEFAULTS, name })) as PodDefault;
  const optional = (name: string) => podDefault(name).catch((err: unknown) => ((err as { code?: number }).code === 404 ? undefined : Promise.reject(err)));

  before(async () => {
    cp = await startControlPlane();
    custom = cp.kubeConfig.makeApiClient(CustomObjectsApi);
    await installDataCacheCrd(cp, NS);
  });

  after(async () => {
    await reconciler?.stop();
    await cp?.stop();
  });

  test('once the PodDefault API is served, each DataCache gets a PodDefault that selects notebook pods by label and carries the endpoint', async () => {
    reconciler = new Reconciler(cp.kubeConfig, { resyncMs: 300 });
    await reconciler.start();
    await custom.createNamespacedCustomObject({ ...CACHES, body: { apiVersion: 'flightcache.io/v1alpha1', kind: 'DataCache', metadata: { name: 'nb' }, spec: { image: 'img:1', shards: 2 } } });
    const body = { apiVersion: 'flightcache.io/v1alpha1', kind: 'DataCache', metadata: { name: 'nb-shm' }, spec: { image: 'img:1', shards: 2, sharedMemory: { enabled: true, hostPath: '/dev/shm/fc' } } };
    await custom.createNamespacedCustomObject({ ...CACHES, body });
    await waitFor('the caches Pending', async () => ((await custom.getNamespacedCustomObject({ ...CACHES, name: 'nb' })) as DataCache).status?.phase);
    // Kubeflow is installed after the operator started: its next resync notices.
    await installCrd(cp, POD_DEFAULT_CRD);
    const plain = await waitFor('the PodDefault of nb', () => optional('flightcache-nb'));
    const cache = (await custom.getNamespacedCustomObject({ ...CACHES, name: 'nb' })) as DataCache;
    assert.deepEqual(plain.metadata?.ownerReferences, [{ apiVersion: 'flightcache.io/v1alpha1', kind: 'DataCache', name: 'nb', uid: cache.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    assert.deepEqual(plain.spec, {
      desc: 'Read the flightcache DataCache nb',
      selector: { matchLabels: { 'flightcache.io/nb': 'true' } },
      env: [{ name: 'FLIGHTCACHE_ENDPOINT', value: 'grpc://nb-coordinator.notebooks.svc:8815' }],
    });
    const shm = await waitFor('the PodDefault of nb-shm', () => optional('flightcache-nb-shm'));
    assert.deepEqual(shm.spec, {
      desc: 'Read the flightcache DataCache nb-shm',
      selector: { matchLabels: { 'flightcache.io/nb-shm': 'true' } },
      env: [
        { name: 'FLIGHTCACHE_ENDPOINT', value: 'grpc://nb-shm-coordinator.notebooks.svc:8815' },
        { name: 'FLIGHTCACHE_HOST_ID', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      ],
      volumes: [{ name: 'flightcache-shm', hostPath: { path: '/dev/shm/fc', type: 'DirectoryOrCreate' } }],
      volumeMounts: [{ name: 'flightcache-shm', mountPath: '/shm' }],
    });
  });

  test('an operator restart and its resyncs leave the PodDefaults unwritten', async () => {
    await reconciler!.stop();
    const versions = async () => [(await podDefault('flightcache-nb')).metadata?.resourceVersion, (await podDefault('flightcache-nb-shm')).metadata?.resourceVersion];
    const before = await versions();
    reconciler = new Reconciler(cp.kubeConfig, { resyncMs: 200 });
    await reconciler.start();
    await reconciler.reconcile(NS, 'nb');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    // Stopped, not awaited idle: a resync every 200 ms can keep the queue from ever emptying.
    await reconciler.stop();
    assert.deepEqual(await versions(), before);
    reconciler = new Reconciler(cp.kubeConfig, { resyncMs: 300 });
    await reconciler.start();
  });

  test('deleting a DataCache removes its PodDefault and leaves the others', async () => {
    await custom.deleteNamespacedCustomObject({ ...CACHES, name: 'nb' });
    await waitGone('the DataCache nb to go', () => custom.getNamespacedCustomObject({ ...CACHES, name: 'nb' }));
    assert.equal(await optional('flightcache-nb'), undefined);
    assert.equal((await podDefault('flightcache-nb-shm')).metadata?.name, 'flightcache-nb-shm');
  });
});
