/**
 * The install manifests: the kustomize base and the Helm chart rendered by the real tools (built from
 * their Go modules by scripts/kube-tools.sh), compared with each other, applied to a real API server
 * with server-side dry-run, and the RBAC shown sufficient by running the operator as its service
 * account through a DataCache's life and a TrainJob's release.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppsV1Api, AuthorizationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, KubernetesObjectApi, PatchStrategy, loadAllYaml, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import { LeaderElector } from '../../cache-server/cluster/lease-election.js';
import { Reconciler } from '../../operator/reconciler.js';
import type { DataCache } from '../../operator/datacache.js';
import type { TrainJob } from '../../operator/trainjob.js';
import { TRAINER_CRDS, installCrd, kubeCacheRoot, kubeToolPath, startControlPlane, trainerUnavailableReason, type ControlPlane } from './control-plane.js';
import { waitFor } from './api-helpers.js';

const BASE = fileURLToPath(new URL('../../../operator/manifests/base', import.meta.url));
const CHART = fileURLToPath(new URL('../../../operator/charts/flightcache-operator', import.meta.url));
const OPERATOR_NS = 'flightcache-system';
const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The path of a tool scripts/kube-tools.sh builds, at the version pinned there. */
function tool(name: 'helm' | 'kustomize'): string {
  return kubeToolPath(name, `${name.toUpperCase()}_VERSION`);
}

const missingTools = ['helm', 'kustomize'].filter((name) => !existsSync(tool(name as 'helm' | 'kustomize')));
const toolsSkip = missingTools.length ? `no ${missingTools.join(' or ')} in ${join(kubeCacheRoot(), 'tools')}: run bash scripts/kube-tools.sh` : undefined;
const skip = toolsSkip ?? trainerUnavailableReason();
if (skip) console.log(`# skipping the manifest tests: ${skip}`);

function render(command: string, args: string[]): KubernetesObject[] {
  const run = spawnSync(command, args, { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  // The client's loadAllYaml, not a plain parse: it serializes known kinds (the CRD) through its models,
  // which keep x-kubernetes-validations and default only under their model names.
  return loadAllYaml(run.stdout).filter((doc): doc is KubernetesObject => doc !== null && doc !== undefined);
}
const kustomize = () => render(tool('kustomize'), ['build', BASE]);
const helm = (namespace: string) => render(tool('helm'), ['template', 'fc', CHART, '--namespace', namespace, '--include-crds']);
const ids = (objects: KubernetesObject[]) => objects.map((o) => `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`).sort();

/** What may differ between the two renderings: the certificate material and where it comes from. */
function comparable(o: KubernetesObject): unknown {
  const copy = JSON.parse(JSON.stringify(o)) as { kind: string; metadata: { annotations?: unknown }; spec?: { template?: { metadata?: { annotations?: unknown } } }; webhooks?: { clientConfig: { caBundle?: string } }[] };
  if (copy.kind === 'Deployment') delete copy.spec!.template!.metadata!.annotations;
  if (copy.kind === 'MutatingWebhookConfiguration') {
    delete copy.metadata.annotations;
    for (const webhook of copy.webhooks ?? []) delete webhook.clientConfig.caBundle;
  }
  return copy;
}

describe('operator manifests: kustomize base and Helm chart', { skip }, () => {
  let cp: ControlPlane;
  let objects: KubernetesObjectApi;
  let stopOperator: (() => Promise<void>) | undefined;

  before(async () => {
    cp = await startControlPlane();
    objects = KubernetesObjectApi.makeApiClient(cp.kubeConfig);
  });

  after(async () => {
    await stopOperator?.();
    await cp?.stop();
  });

  test('the kustomize base and the Helm chart render the same CRD, RBAC, operator Deployment (2 replicas), webhook Service and configuration', () => {
    const fromKustomize = kustomize();
    const fromHelm = helm(OPERATOR_NS);
    const shared = [
      'ClusterRole/flightcache-coordinator',
      'ClusterRole/flightcache-operator',
      'ClusterRoleBinding/flightcache-operator',
      'CustomResourceDefinition/datacaches.flightcache.io',
      'Deployment/flightcache-system/flightcache-operator',
      'MutatingWebhookConfiguration/flightcache-trainjobs',
      'Role/flightcache-system/flightcache-operator-leader-election',
      'RoleBinding/flightcache-system/flightcache-operator-leader-election',
      'Service/flightcache-system/flightcache-operator-webhook',
      'ServiceAccount/flightcache-system/flightcache-operator',
    ];
    // kustomize also creates the namespace; Helm (install --create-namespace) makes the webhook's certificate.
    assert.deepEqual(ids(fromKustomize), [...shared, 'Namespace/flightcache-system'].sort());
    assert.deepEqual(ids(fromHelm), [...shared, 'Secret/flightcache-system/flightcache-webhook-tls'].sort());
    for (const id of shared) {
      const a = fromKustomize.find((o) => ids([o])[0] === id)!;
      const b = fromHelm.find((o) => ids([o])[0] === id)!;
      assert.deepEqual(comparable(b), comparable(a), id);
    }
    const deployment = fromHelm.find((o) => o.kind === 'Deployment') as KubernetesObject & { spec: { replicas: number } };
    assert.equal(deployment.spec.replicas, 2);
  });

  test('Helm: the webhook certificate is signed by the caBundle CA, names the webhook Service and fits its key', () => {
    const fromHelm = helm(OPERATOR_NS);
    const secret = fromHelm.find((o) => o.kind === 'Secret') as KubernetesObject & { data: Record<string, string> };
    const config = fromHelm.find((o) => o.kind === 'MutatingWebhookConfiguration') as KubernetesObject & { webhooks: { clientConfig: { caBundle: string } }[] };
    const pem = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
    const ca = new X509Certificate(pem(config.webhooks[0]!.clientConfig.caBundle));
    const cert = new X509Certificate(pem(secret.data['tls.crt']!));
    assert.equal(pem(secret.data['ca.crt']!), pem(config.webhooks[0]!.clientConfig.caBundle));
    assert.equal(cert.verify(ca.publicKey), true);
    assert.equal(cert.subjectAltName, 'DNS:flightcache-operator-webhook.flightcache-system.svc, DNS:flightcache-operator-webhook.flightcache-system');
    assert.equal(cert.checkPrivateKey(createPrivateKey(pem(secret.data['tls.key']!))), true);
  });

  test('both renderings pass a server-side dry-run apply on the real API server', async () => {
    const dryApply = async (rendered: KubernetesObject[]) => {
      for (const o of rendered) {
        await objects.patch(o, undefined, 'All', 'manifests-test', true, PatchStrategy.ServerSideApply).catch((err: unknown) => {
          throw new Error(`${ids([o])[0]}: ${String(err)}`);
        });
      }
    };
    // Namespaced objects need their namespace to exist, also in a dry run.
    await cp.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: OPERATOR_NS } } });
    await cp.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'other-ns' } } });
    await dryApply(kustomize());
    await dryApply(helm('other-ns'));
    assert.deepEqual((await objects.list('apps/v1', 'Deployment', OPERATOR_NS)).items, [], 'a dry run creates nothing');
  });

  test('the RBAC suffices: as its service account the operator leads, runs a DataCache from create to delete and releases a TrainJob, and may get a Secret (a dataset secretRef) but not list or watch them', async () => {
    // Not the webhook configuration: the API server would call its Service's DNS name, which only
    // resolves in a cluster (tests reach loopback only; webhook.test.ts covers the webhook by url).
    for (const o of kustomize().filter((x) => x.kind !== 'Namespace' && x.kind !== 'MutatingWebhookConfiguration')) await objects.patch(o, undefined, undefined, 'manifests-test', true, PatchStrategy.ServerSideApply);
    for (const path of TRAINER_CRDS) await installCrd(cp, path);
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'ml' } } });
    const token = (await core.createNamespacedServiceAccountToken({ namespace: OPERATOR_NS, name: 'flightcache-operator', body: { spec: { audiences: [], expirationSeconds: 3600 } } })).status?.token;
    const asOperator = new KubeConfig();
    asOperator.loadFromOptions({
      clusters: [{ name: 'test', server: cp.server, skipTLSVerify: true }],
      users: [{ name: 'operator', token: token! }],
      contexts: [{ name: 'test', cluster: 'test', user: 'operator' }],
      currentContext: 'test',
    });
    let reconciler: Reconciler | undefined;
    const elector = new LeaderElector(
      asOperator,
      { namespace: OPERATOR_NS, name: 'flightcache-operator', identity: 'pod-0', leaseSeconds: 2 },
      {
        start: async () => {
          reconciler = new Reconciler(asOperator, { resyncMs: 300 });
          await reconciler.start();
        },
        stop: async () => reconciler?.stop(),
      },
    );
    elector.start();
    stopOperator = () => elector.stop();
    await waitFor('the operator to lead', async () => (elector.isLeader ? true : undefined));

    const custom = cp.kubeConfig.makeApiClient(CustomObjectsApi);
    const apps = cp.kubeConfig.makeApiClient(AppsV1Api);
    const caches = { group: 'flightcache.io', version: 'v1alpha1', plural: 'datacaches', namespace: 'ml' };
    await custom.createNamespacedCustomObject({ ...caches, body: { apiVersion: 'flightcache.io/v1alpha1', kind: 'DataCache', metadata: { name: 'c1' }, spec: { image: 'img:1' } } });
    await custom.createNamespacedCustomObject({
      group: 'trainer.kubeflow.org',
      version: 'v1alpha1',
      plural: 'trainjobs',
      namespace: 'ml',
      body: { apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'TrainJob', metadata: { name: 'job', annotations: { 'flightcache.io/cache': 'c1' } }, spec: { runtimeRef: { name: 'torch-distributed' }, suspend: true } },
    });
    await waitFor('c1 Pending', async () => (((await custom.getNamespacedCustomObject({ ...caches, name: 'c1' })) as DataCache).status?.phase === 'Pending' ? true : undefined));
    await apps.patchNamespacedStatefulSetStatus({ namespace: 'ml', name: 'c1-shards', body: { status: { replicas: 1, readyReplicas: 1 } } }, MERGE_PATCH);
    await apps.patchNamespacedDeploymentStatus({ namespace: 'ml', name: 'c1-coordinator', body: { status: { replicas: 1, readyReplicas: 1, availableReplicas: 1 } } }, MERGE_PATCH);
    await waitFor('the TrainJob released', async () => {
      const job = (await custom.getNamespacedCustomObject({ group: 'trainer.kubeflow.org', version: 'v1alpha1', plural: 'trainjobs', namespace: 'ml', name: 'job' })) as TrainJob;
      return job.spec.suspend === false ? true : undefined;
    });
    await custom.deleteNamespacedCustomObject({ ...caches, name: 'c1' });
    await waitFor('c1 to go', async () => ((await custom.listNamespacedCustomObject(caches)) as { items: unknown[] }).items.length === 0 ? true : undefined);
    assert.deepEqual((await apps.listNamespacedStatefulSet({ namespace: 'ml' })).items, []);

    const may = async (verb: string, resource: string, group = '') =>
      (await asOperator.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb, resource, group, namespace: 'ml' } } } })).status?.allowed;
    assert.equal(await may('get', 'secrets'), true);
    assert.deepEqual(await Promise.all([may('list', 'secrets'), may('watch', 'secrets'), may('create', 'datacaches', 'flightcache.io'), may('update', 'leases', 'coordination.k8s.io'), may('delete', 'pods')]), [false, false, false, false, false]);
  });
});
