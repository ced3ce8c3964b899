import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { desiredObjects, endpointOf } from './desired.js';
import { computeStatus, failingShards, sameStatus } from './status.js';
import { withColocatedShards, type TrainJob } from './trainjob.js';
import { readDataCaches } from './manifests.js';
import { dryRun } from './dry-run.js';
import type { DataCache } from './datacache.js';

function cache(spec: Partial<DataCache['spec']> = {}): DataCache {
  return {
    apiVersion: 'flightcache.io/v1alpha1',
    kind: 'DataCache',
    metadata: { name: 'c1', namespace: 'ml', uid: 'u-1', generation: 3 },
    spec: { image: 'img:1', shards: 2, replicas: 1, memoryPerShard: '4Gi', ...spec },
  };
}

const labels = (component: string) => ({
  'app.kubernetes.io/name': 'flightcache',
  'app.kubernetes.io/instance': 'c1',
  'app.kubernetes.io/managed-by': 'flightcache-operator',
  'app.kubernetes.io/component': component,
});
const owner = [{ apiVersion: 'flightcache.io/v1alpha1', kind: 'DataCache', name: 'c1', uid: 'u-1', controller: true, blockOwnerDeletion: true }];
const ports = [
  { name: 'grpc', containerPort: 8815, protocol: 'TCP' },
  { name: 'http', containerPort: 8080, protocol: 'TCP' },
];
const servicePorts = [
  { name: 'grpc', port: 8815, targetPort: 'grpc', protocol: 'TCP' },
  { name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' },
];
const podSecurity = { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } };
const containerSecurity = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } };
const probes = { readinessProbe: { httpGet: { path: '/readyz', port: 'http' } }, livenessProbe: { httpGet: { path: '/healthz', port: 'http' } } };

test('a minimal DataCache becomes the shards Service, StatefulSet, PDB, coordinator Service, Deployment, ServiceAccount and RoleBinding, all owned by it', () => {
  const objects = desiredObjects(cache());
  assert.deepEqual(
    objects.map((o) => `${o.kind}/${o.metadata.name}`),
    ['Service/c1-shards', 'StatefulSet/c1-shards', 'PodDisruptionBudget/c1-shards', 'Service/c1-coordinator', 'Deployment/c1-coordinator', 'ServiceAccount/c1-coordinator', 'RoleBinding/c1-coordinator'],
  );
  for (const o of objects) {
    assert.equal(o.metadata.namespace, 'ml');
    assert.deepEqual(o.metadata.ownerReferences, owner);
  }
  assert.deepEqual(objects[0], {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'c1-shards', namespace: 'ml', labels: labels('shard'), ownerReferences: owner },
    spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector: labels('shard'), ports: servicePorts },
  });
  assert.deepEqual(objects[1], {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'c1-shards', namespace: 'ml', labels: labels('shard'), ownerReferences: owner },
    spec: {
      serviceName: 'c1-shards',
      replicas: 2,
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: labels('shard') },
      template: {
        metadata: { labels: labels('shard') },
        spec: {
          automountServiceAccountToken: false,
          securityContext: podSecurity,
          containers: [
            {
              name: 'shard',
              image: 'img:1',
              args: ['shard', '--host', '0.0.0.0', '--port', '8815', '--http-host', '0.0.0.0', '--http-port', '8080', '--memory', '4GiB', '--advertise-host', '$(POD_IP)'],
              env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
              ports,
              ...probes,
              securityContext: containerSecurity,
              volumeMounts: [
                { name: 'tmp', mountPath: '/tmp' },
                { name: 'shm', mountPath: '/dev/shm' },
              ],
            },
          ],
          volumes: [
            { name: 'tmp', emptyDir: {} },
            { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '4Gi' } },
          ],
        },
      },
    },
  });
  assert.deepEqual(objects[2]!.spec, { maxUnavailable: 1, selector: { matchLabels: labels('shard') } });
  assert.deepEqual(objects[3]!.spec, { selector: labels('coordinator'), ports: servicePorts });
  assert.deepEqual(objects[4], {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'c1-coordinator', namespace: 'ml', labels: labels('coordinator'), ownerReferences: owner },
    spec: {
      // Two coordinators, active/standby on the Lease c1-coordinator, as the coordinators' own ServiceAccount.
      replicas: 2,
      selector: { matchLabels: labels('coordinator') },
      template: {
        metadata: { labels: labels('coordinator') },
        spec: {
          automountServiceAccountToken: true,
          securityContext: podSecurity,
          serviceAccountName: 'c1-coordinator',
          containers: [
            {
              name: 'coordinator',
              image: 'img:1',
              args: ['coordinator', '--host', '0.0.0.0', '--port', '8815', '--http-host', '0.0.0.0', '--http-port', '8080', '--replicas', '1', '--shard-dns', 'c1-shards.ml.svc:8815', '--leader-lease', 'c1-coordinator'],
              env: [
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              ],
              ports,
              ...probes,
              securityContext: containerSecurity,
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  });
  assert.deepEqual(objects[5], { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'c1-coordinator', namespace: 'ml', labels: labels('coordinator'), ownerReferences: owner } });
  assert.deepEqual(objects[6], {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'c1-coordinator', namespace: 'ml', labels: labels('coordinator'), ownerReferences: owner },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'flightcache-coordinator' },
    subjects: [{ kind: 'ServiceAccount', name: 'c1-coordinator', namespace: 'ml' }],
  });
});

test('sharedMemory on mounts the host directory at /shm, passes --shm-dir /shm and sets FLIGHTCACHE_HOST_ID to the node name', () => {
  const sts = desiredObjects(cache({ sharedMemory: { enabled: true, hostPath: '/dev/shm/fc' } }))[1]!;
  const pod = (sts.spec as { template: { spec: { containers: Record<string, unknown>[]; volumes: unknown[] } } }).template.spec;
  assert.deepEqual((pod.containers[0]!.args as string[]).slice(-2), ['--shm-dir', '/shm']);
  assert.deepEqual(pod.containers[0]!.env, [
    { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    { name: 'FLIGHTCACHE_HOST_ID', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
  ]);
  assert.deepEqual(pod.volumes[1], { name: 'shm', hostPath: { path: '/dev/shm/fc', type: 'DirectoryOrCreate' } });
  assert.deepEqual((pod.containers[0]!.volumeMounts as unknown[])[1], { name: 'shm', mountPath: '/shm' });
});

test('placement: GPU-pool selectors pass through; colocateWith pins one shard beside each trainer pod of the TrainJob', () => {
  const podSpec = (c: DataCache) => (desiredObjects(c)[1]!.spec as { template: { spec: Record<string, unknown> } }).template.spec;
  const pool = podSpec(cache({ placement: { nodeSelector: { pool: 'gpu' }, tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }] } }));
  assert.deepEqual(pool.nodeSelector, { pool: 'gpu' });
  assert.deepEqual(pool.tolerations, [{ key: 'nvidia.com/gpu', operator: 'Exists' }]);
  assert.equal(pool.affinity, undefined);
  assert.deepEqual(podSpec(cache({ placement: { colocateWith: { trainJob: 'llm' } } })).affinity, {
    podAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { labelSelector: { matchLabels: { 'jobset.sigs.k8s.io/jobset-name': 'llm', 'jobset.sigs.k8s.io/replicatedjob-name': 'node' } }, topologyKey: 'kubernetes.io/hostname' },
      ],
    },
    podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: labels('shard') }, topologyKey: 'kubernetes.io/hostname' }] },
  });
});

test('auth secrets are mounted read-only in both roles with the flags that read them', () => {
  const objects = desiredObjects(cache({ auth: { credentialsSecret: 'creds', signingKeySecret: 'keys' } }));
  for (const o of [objects[1]!, objects[4]!]) {
    const pod = (o.spec as { template: { spec: { containers: Record<string, unknown>[]; volumes: unknown[] } } }).template.spec;
    assert.deepEqual((pod.containers[0]!.args as string[]).slice(-4), ['--credentials-file', '/etc/flightcache/credentials/credentials', '--auth-key-file', '/etc/flightcache/signing-key/key']);
    assert.deepEqual(pod.volumes.slice(-2), [
      { name: 'credentials', secret: { secretName: 'creds', items: [{ key: 'credentials', path: 'credentials' }] } },
      { name: 'signing-key', secret: { secretName: 'keys', items: [{ key: 'key', path: 'key' }] } },
    ]);
  }
});

test('status: Pending until every shard and the coordinator are ready, then Ready; losing a shard after that is Degraded', () => {
  const c = cache();
  const pending = computeStatus(c, { shardsReady: 1, coordinatorAvailable: 1 }, 't1');
  assert.deepEqual(pending, {
    phase: 'Pending',
    observedGeneration: 3,
    endpoint: 'grpc://c1-coordinator.ml.svc:8815',
    shardsReady: 1,
    shardsDesired: 2,
    conditions: [
      { type: 'Ready', status: 'False', reason: 'ShardsNotReady', message: '1/2 shards ready, coordinator available', lastTransitionTime: 't1', observedGeneration: 3 },
      { type: 'Degraded', status: 'False', reason: 'AsDesired', message: '1/2 shards ready, coordinator available', lastTransitionTime: 't1', observedGeneration: 3 },
    ],
  });
  const ready = computeStatus({ ...c, status: pending }, { shardsReady: 2, coordinatorAvailable: 1 }, 't2');
  assert.equal(ready.phase, 'Ready');
  assert.deepEqual(ready.conditions!.map((x) => [x.type, x.status, x.lastTransitionTime]), [['Ready', 'True', 't2'], ['Degraded', 'False', 't1']]);
  const degraded = computeStatus({ ...c, status: ready }, { shardsReady: 1, coordinatorAvailable: 1 }, 't3');
  assert.equal(degraded.phase, 'Degraded');
  assert.deepEqual(degraded.conditions!.map((x) => [x.type, x.status, x.reason]), [['Ready', 'False', 'ShardsNotReady'], ['Degraded', 'True', 'ShardsLost']]);
  assert.equal(endpointOf(c), 'grpc://c1-coordinator.ml.svc:8815');
});

test('status of an unchanged cache equals the one it has, so a resync writes nothing', () => {
  const c = cache();
  const first = computeStatus(c, { shardsReady: 2, coordinatorAvailable: 1 }, 't1');
  const again = computeStatus({ ...c, status: first }, { shardsReady: 2, coordinatorAvailable: 1 }, 't9');
  assert.deepEqual(again, first);
  assert.equal(sameStatus(first, again), true);
  assert.equal(sameStatus(first, computeStatus({ ...c, status: first }, { shardsReady: 1, coordinatorAvailable: 1 }, 't9')), false);
});

test('operator --dry-run reads DataCaches with the CRD defaults and prints their objects; other kinds are refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fc-op-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'apiVersion: flightcache.io/v1alpha1\nkind: DataCache\nmetadata: {name: small}\nspec: {image: img:2, sharedMemory: {enabled: true}}\n');
  const [read] = readDataCaches(file);
  assert.deepEqual(read!.spec, { image: 'img:2', shards: 1, replicas: 1, memoryPerShard: '1Gi', sharedMemory: { enabled: true, hostPath: '/dev/shm/flightcache' } });
  assert.equal(read!.metadata.namespace, 'default');
  const out = dryRun(file);
  assert.deepEqual(out.split('---\n').map((doc) => /^kind: (\w+)$/m.exec(doc)?.[1]), ['Service', 'StatefulSet', 'PodDisruptionBudget', 'Service', 'Deployment', 'ServiceAccount', 'RoleBinding', 'PodDefault']);
  assert.match(out, /- '--memory'\n\s+- 1GiB\n/);
  writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n');
  assert.throws(() => readDataCaches(file), { message: `${file}: document 1 is v1/ConfigMap, expected flightcache.io/v1alpha1/DataCache` });
});

test('failingShards names each failed shard pod and each container stuck in a state that waiting does not heal', () => {
  assert.deepEqual(
    failingShards([
      { metadata: { name: 'c1-shards-1' }, status: { phase: 'Pending', containerStatuses: [{ name: 'shard', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "img:1"' } } }] } },
      { metadata: { name: 'c1-shards-0' }, status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on memory.' } },
      { metadata: { name: 'c1-shards-2' }, status: { phase: 'Pending', containerStatuses: [{ name: 'shard', state: { waiting: { reason: 'ContainerCreating' } } }] } },
      { metadata: { name: 'c1-shards-3' }, status: { phase: 'Running', containerStatuses: [{ name: 'shard', state: {} }] } },
    ]),
    ['pod c1-shards-0 failed: Evicted (The node was low on memory.)', 'pod c1-shards-1 container shard: ImagePullBackOff (Back-off pulling image "img:1")'],
  );
});

test('status: a cache that is not ready while shards are stuck is Failed, with the reasons in its Ready condition', () => {
  const c = cache();
  const failed = computeStatus(c, { shardsReady: 1, coordinatorAvailable: 1, failing: ['pod c1-shards-1 container shard: CrashLoopBackOff'] }, 't1');
  assert.equal(failed.phase, 'Failed');
  assert.deepEqual(failed.conditions!.map((x) => [x.type, x.status, x.reason, x.message]), [
    ['Ready', 'False', 'ShardsFailing', '1/2 shards ready, coordinator available; pod c1-shards-1 container shard: CrashLoopBackOff'],
    ['Degraded', 'False', 'AsDesired', '1/2 shards ready, coordinator available'],
  ]);
  assert.equal(computeStatus({ ...c, status: failed }, { shardsReady: 2, coordinatorAvailable: 1, failing: [] }, 't2').phase, 'Ready');
});

test('job first: a colocated cache takes its shard count from the TrainJob\'s trainer.numNodes, capping replicas', () => {
  const colocated = cache({ shards: 4, replicas: 3, placement: { colocateWith: { trainJob: 'gpt' } } });
  const job = (name: string, numNodes?: number): TrainJob => ({ apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'TrainJob', metadata: { name, namespace: 'ml' }, spec: numNodes === undefined ? {} : { trainer: { numNodes } } });
  assert.deepEqual([withColocatedShards(colocated, [job('other', 8), job('gpt', 2)]).spec.shards, withColocatedShards(colocated, [job('gpt', 2)]).spec.replicas], [2, 2]);
  assert.equal(withColocatedShards(colocated, [job('other', 8)]), colocated);
  assert.equal(withColocatedShards(colocated, [job('gpt')]), colocated);
  assert.equal(withColocatedShards(cache({ shards: 4 }), [job('gpt', 2)]).spec.shards, 4);
});

test('status: a colocated cache has a Colocated condition - TrainJobNotFound, then ShardsNotReady, then True once every shard is ready', () => {
  const c = cache({ placement: { colocateWith: { trainJob: 'gpt' } } });
  const colocated = (observed: Parameters<typeof computeStatus>[1]) => computeStatus(c, observed, 't1').conditions!.find((x) => x.type === 'Colocated');
  assert.deepEqual(colocated({ shardsReady: 0, coordinatorAvailable: 0, colocatedJobFound: false }), { type: 'Colocated', status: 'False', reason: 'TrainJobNotFound', message: 'TrainJob gpt does not exist yet', lastTransitionTime: 't1', observedGeneration: 3 });
  assert.deepEqual([colocated({ shardsReady: 1, coordinatorAvailable: 1, colocatedJobFound: true })?.reason, colocated({ shardsReady: 1, coordinatorAvailable: 1, colocatedJobFound: true })?.message], ['ShardsNotReady', '1/2 shards ready, coordinator available, beside TrainJob gpt']);
  assert.deepEqual(colocated({ shardsReady: 2, coordinatorAvailable: 1, colocatedJobFound: true }), { type: 'Colocated', status: 'True', reason: 'OneShardPerTrainerNode', message: '2/2 shards ready, coordinator available, one shard per node of TrainJob gpt', lastTransitionTime: 't1', observedGeneration: 3 });
  assert.equal(computeStatus(cache(), { shardsReady: 2, coordinatorAvailable: 1 }, 't1').conditions!.some((x) => x.type === 'Colocated'), false);
});
