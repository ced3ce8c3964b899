/**
 * Kubeflow Notebooks' binding (pure): one PodDefault (kubeflow.org/v1alpha1) per DataCache, in its
 * namespace, owned by it. Kubeflow's admission webhook applies a PodDefault to the pods whose labels
 * match its selector, and the notebook form lists it by `desc`; a notebook that picks it gets
 * FLIGHTCACHE_ENDPOINT and, with shared memory on, the shards' host directory at /shm and the node's
 * name as FLIGHTCACHE_HOST_ID (the same-host path, when the notebook runs beside a shard).
 */
import { API_VERSION, type DataCache, type ManifestObject } from './datacache.js';
import { readerPodParts } from './trainjob.js';

export const PODDEFAULT_GROUP = 'kubeflow.org';
export const PODDEFAULT_VERSION = 'v1alpha1';
export const PODDEFAULT_PLURAL = 'poddefaults';

/** The pod label (value "true") that selects a cache's PodDefault. */
export function podDefaultLabel(cacheName: string): string {
  return `flightcache.io/${cacheName}`;
}

/** The PodDefault of a DataCache. */
export function podDefaultOf(cache: DataCache): ManifestObject {
  const name = cache.metadata.name;
  return {
    apiVersion: `${PODDEFAULT_GROUP}/${PODDEFAULT_VERSION}`,
    kind: 'PodDefault',
    metadata: {
      name: `flightcache-${name}`,
      namespace: cache.metadata.namespace,
      labels: { 'app.kubernetes.io/name': 'flightcache', 'app.kubernetes.io/instance': name, 'app.kubernetes.io/managed-by': 'flightcache-operator' },
      ownerReferences: [{ apiVersion: API_VERSION, kind: 'DataCache', name, uid: cache.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      desc: `Read the flightcache DataCache ${name}`,
      selector: { matchLabels: { [podDefaultLabel(name)]: 'true' } },
      ...readerPodParts(cache),
    },
  };
}
