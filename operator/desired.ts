/**
 * The pure half of the reconciler: a DataCache to the objects that run it (coordinator Deployment and
 * Service, shards StatefulSet and headless Service, PodDisruptionBudget, and the coordinators'
 * ServiceAccount with its RoleBinding for their Lease), each owned by the DataCache.
 */
import { API_VERSION, GRPC_PORT, HTTP_PORT, type DataCache, type ManifestObject } from './datacache.js';

/** Names of the objects of one DataCache. */
export function objectNames(cacheName: string): { coordinator: string; shards: string; shardsService: string; pdb: string } {
  return { coordinator: `${cacheName}-coordinator`, shards: `${cacheName}-shards`, shardsService: `${cacheName}-shards`, pdb: `${cacheName}-shards` };
}

/** Coordinator replicas: active/standby on the Lease named like the Deployment, so losing the leader's node costs seconds, not a reschedule. */
export const COORDINATOR_REPLICAS = 2;

/** The ClusterRole (in the operator's manifests) that lets coordinators hold their Lease; each cache binds it in its namespace. */
export const COORDINATOR_CLUSTER_ROLE = 'flightcache-coordinator';

/** The coordinator's gRPC endpoint inside the cluster. */
export function endpointOf(cache: DataCache): string {
  return `grpc://${objectNames(cache.metadata.name).coordinator}.${cache.metadata.namespace}.svc:${GRPC_PORT}`;
}

/** The objects a DataCache needs, in apply order. */
export function desiredObjects(cache: DataCache): ManifestObject[] {
  const names = objectNames(cache.metadata.name);
  const ns = cache.metadata.namespace;
  const spec = cache.spec;
  const base = { 'app.kubernetes.io/name': 'flightcache', 'app.kubernetes.io/instance': cache.metadata.name, 'app.kubernetes.io/managed-by': 'flightcache-operator' };
  const coordinatorLabels = { ...base, 'app.kubernetes.io/component': 'coordinator' };
  const shardLabels = { ...base, 'app.kubernetes.io/component': 'shard' };
  const meta = (name: string, labels: Record<string, string>) => ({
    name,
    namespace: ns,
    labels,
    ownerReferences: [{ apiVersion: API_VERSION, kind: 'DataCache', name: cache.metadata.name, uid: cache.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
  });
  const shardDns = `${names.shardsService}.${ns}.svc:${GRPC_PORT}`;
  const auth = authMounts(cache);
  const shm = sharedMemory(cache);
  const coordinatorPod = {
    metadata: { labels: coordinatorLabels },
    spec: {
      ...podSecurity(),
      // The coordinators' own account, whose token (in-cluster config) holds the Lease and nothing else.
      serviceAccountName: names.coordinator,
      automountServiceAccountToken: true,
      containers: [
        {
          name: 'coordinator',
          image: spec.image,
          args: [
            'coordinator', '--host', '0.0.0.0', '--port', String(GRPC_PORT), '--http-host', '0.0.0.0', '--http-port', String(HTTP_PORT), '--replicas', String(spec.replicas), '--shard-dns', shardDns,
            '--leader-lease', names.coordinator, ...auth.args,
          ],
          // --leader-namespace and --leader-identity default to these.
          env: [
            { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          ],
          ports: ports(),
          readinessProbe: { httpGet: { path: '/readyz', port: 'http' } },
          livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
          securityContext: containerSecurity(),
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, ...auth.mounts],
        },
      ],
      volumes: [{ name: 'tmp', emptyDir: {} }, ...auth.volumes],
    },
  };
  const shardPod = {
    metadata: { labels: shardLabels },
    spec: {
      ...podSecurity(),
      ...placement(cache, shardLabels),
      containers: [
        {
          name: 'shard',
          image: spec.image,
          args: ['shard', '--host', '0.0.0.0', '--port', String(GRPC_PORT), '--http-host', '0.0.0.0', '--http-port', String(HTTP_PORT), '--memory', `${spec.memoryPerShard}B`, '--advertise-host', '$(POD_IP)', ...shm.args, ...auth.args],
          env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }, ...shm.env],
          ports: ports(),
          readinessProbe: { httpGet: { path: '/readyz', port: 'http' } },
          livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
          ...(spec.resources ? { resources: spec.resources } : {}),
          securityContext: containerSecurity(),
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, shm.mount, ...auth.mounts],
        },
      ],
      volumes: [{ name: 'tmp', emptyDir: {} }, shm.volume, ...auth.volumes],
    },
  };
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(names.shardsService, shardLabels),
      // Headless and publishing not-ready addresses: the coordinator's --shard-dns sees every shard pod.
      spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector: shardLabels, ports: servicePorts() },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta(names.shards, shardLabels),
      spec: { serviceName: names.shardsService, replicas: spec.shards, podManagementPolicy: 'Parallel', selector: { matchLabels: shardLabels }, template: shardPod },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta(names.pdb, shardLabels),
      spec: { maxUnavailable: 1, selector: { matchLabels: shardLabels } },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(names.coordinator, coordinatorLabels),
      // Routes to ready pods only: the standby answers /readyz 503 until it leads.
      spec: { selector: coordinatorLabels, ports: servicePorts() },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(names.coordinator, coordinatorLabels),
      spec: { replicas: COORDINATOR_REPLICAS, selector: { matchLabels: coordinatorLabels }, template: coordinatorPod },
    },
    // Applied right after the Deployment (its pods are retried until their account exists).
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(names.coordinator, coordinatorLabels) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(names.coordinator, coordinatorLabels),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: COORDINATOR_CLUSTER_ROLE },
      subjects: [{ kind: 'ServiceAccount', name: names.coordinator, namespace: ns }],
    },
  ];
}

function ports(): Record<string, unknown>[] {
  return [
    { name: 'grpc', containerPort: GRPC_PORT, protocol: 'TCP' },
    { name: 'http', containerPort: HTTP_PORT, protocol: 'TCP' },
  ];
}

function servicePorts(): Record<string, unknown>[] {
  return [
    { name: 'grpc', port: GRPC_PORT, targetPort: 'grpc', protocol: 'TCP' },
    { name: 'http', port: HTTP_PORT, targetPort: 'http', protocol: 'TCP' },
  ];
}

/** The restricted PodSecurity profile: non-root, RuntimeDefault seccomp, no service account token. */
function podSecurity(): Record<string, unknown> {
  return { automountServiceAccountToken: false, securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } } };
}

function containerSecurity(): Record<string, unknown> {
  return { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } };
}

/**
 * Shared memory on: the host directory (docs/same-host.md, Kubernetes) at /shm, --shm-dir /shm and the
 * node's name as FLIGHTCACHE_HOST_ID so trainer pods on the node match. Off: a memory-backed emptyDir
 * at /dev/shm sized to the cache, since a container's own /dev/shm is 64 MiB.
 */
function sharedMemory(cache: DataCache): { args: string[]; env: Record<string, unknown>[]; volume: Record<string, unknown>; mount: Record<string, unknown> } {
  const shm = cache.spec.sharedMemory;
  if (shm?.enabled) {
    return {
      args: ['--shm-dir', '/shm'],
      env: [{ name: 'FLIGHTCACHE_HOST_ID', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
      volume: { name: 'shm', hostPath: { path: shm.hostPath ?? '/dev/shm/flightcache', type: 'DirectoryOrCreate' } },
      mount: { name: 'shm', mountPath: '/shm' },
    };
  }
  return { args: [], env: [], volume: { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: cache.spec.memoryPerShard } }, mount: { name: 'shm', mountPath: '/dev/shm' } };
}

/** Secrets of spec.auth mounted read-only, with the flags that read them. */
function authMounts(cache: DataCache): { args: string[]; volumes: Record<string, unknown>[]; mounts: Record<string, unknown>[] } {
  const auth = cache.spec.auth ?? {};
  const out = { args: [] as string[], volumes: [] as Record<string, unknown>[], mounts: [] as Record<string, unknown>[] };
  if (auth.credentialsSecret) {
    out.args.push('--credentials-file', '/etc/flightcache/credentials/credentials');
    out.volumes.push({ name: 'credentials', secret: { secretName: auth.credentialsSecret, items: [{ key: 'credentials', path: 'credentials' }] } });
    out.mounts.push({ name: 'credentials', mountPath: '/etc/flightcache/credentials', readOnly: true });
  }
  if (auth.signingKeySecret) {
    out.args.push('--auth-key-file', '/etc/flightcache/signing-key/key');
    out.volumes.push({ name: 'signing-key', secret: { secretName: auth.signingKeySecret, items: [{ key: 'key', path: 'key' }] } });
    out.mounts.push({ name: 'signing-key', mountPath: '/etc/flightcache/signing-key', readOnly: true });
  }
  return out;
}

/**
 * Where shards run: the GPU pool's nodeSelector, affinity and tolerations as given; with
 * colocateWith.trainJob, required pod affinity to that TrainJob's trainer pods and one shard per node.
 */
function placement(cache: DataCache, shardLabels: Record<string, string>): Record<string, unknown> {
  const p = cache.spec.placement ?? {};
  const out: Record<string, unknown> = {};
  if (p.nodeSelector) out.nodeSelector = p.nodeSelector;
  if (p.tolerations) out.tolerations = p.tolerations;
  if (p.affinity) out.affinity = p.affinity;
  if (p.colocateWith) {
    out.affinity = {
      podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: { matchLabels: { 'jobset.sigs.k8s.io/jobset-name': p.colocateWith.trainJob, 'jobset.sigs.k8s.io/replicatedjob-name': 'node' } }, topologyKey: 'kubernetes.io/hostname' },
        ],
      },
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: shardLabels }, topologyKey: 'kubernetes.io/hostname' }] },
    };
  }
  return out;
}
