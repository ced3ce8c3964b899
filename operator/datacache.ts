/** The DataCache custom resource (flightcache.io/v1alpha1) as TypeScript types, matching manifests/base/datacache-crd.yaml. */

export const GROUP = 'flightcache.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const PLURAL = 'datacaches';
export const FIELD_MANAGER = 'flightcache-operator';
export const FINALIZER = 'flightcache.io/cleanup';
/** gRPC port of the coordinator and the shards. */
export const GRPC_PORT = 8815;
/** HTTP ops port (/healthz, /readyz, /metrics, /stats). */
export const HTTP_PORT = 8080;

/** Metadata fields the operator reads and writes. */
export interface ObjectMeta {
  name: string;
  namespace: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

/** Tokenize a text column into `input_ids` as the shards load it (issue 18; the load action's `tokenize`). */
export interface TokenizeSpec {
  column: string;
  /** A Hugging Face tokenizer.json: a path on the shards or an s3:// URL. Exactly one of tokenizer and tiktoken. */
  tokenizer?: string;
  tiktoken?: string;
  maxLength: number;
  mode?: 'pack' | 'truncate' | 'pad' | 'none';
  specialTokens?: boolean;
}

/** Where one dataset comes from. */
export interface DatasetSource {
  uri: string;
  format?: 'parquet' | 'arrow' | 'csv' | 'iceberg';
  columns?: string[];
  secretRef?: { name: string };
  tokenize?: TokenizeSpec;
}

/** One dataset the cache loads. */
export interface DatasetSpec {
  name: string;
  source: DatasetSource;
}

/** spec of a DataCache, after the API server applied the schema's defaults. */
export interface DataCacheSpec {
  image: string;
  shards: number;
  replicas: number;
  memoryPerShard: string;
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  datasets?: DatasetSpec[];
  placement?: {
    colocateWith?: { trainJob: string };
    nodeSelector?: Record<string, string>;
    affinity?: Record<string, unknown>;
    tolerations?: Record<string, unknown>[];
  };
  auth?: { credentialsSecret?: string; signingKeySecret?: string };
  sharedMemory?: { enabled?: boolean; hostPath?: string };
  lifecycle?: { policy?: 'Standing' | 'WithTrainJob'; trainJob?: string };
}

export type Phase = 'Pending' | 'Loading' | 'Ready' | 'Degraded' | 'Failed';

/** One status condition (Ready, Loaded, Degraded, Colocated). */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

/** Where the load of one dataset's source stands: Pending (waiting for the coordinator), Loading, Loaded or Failed. */
export type DatasetState = 'Pending' | 'Loading' | 'Loaded' | 'Failed';

/** status of one dataset: the source (by hash) it is about, and what the coordinator's /stats says of it. */
export interface DatasetStatus {
  name: string;
  /** sourceHash() of the source this entry is about: a new hash in spec means a new load. */
  sourceHash: string;
  state: DatasetState;
  rows?: number;
  bytes?: number;
  /** The coordinator's health of the dataset: healthy, degraded or lost (missing: it holds none). */
  health?: string;
  progress?: string;
  /** Why the load failed (the loader's message). */
  message?: string;
}

/** status of a DataCache. */
export interface DataCacheStatus {
  phase?: Phase;
  observedGeneration?: number;
  endpoint?: string;
  shardsReady?: number;
  shardsDesired?: number;
  conditions?: Condition[];
  datasets?: DatasetStatus[];
}

/** A DataCache object as the API server returns it. */
export interface DataCache {
  apiVersion: string;
  kind: 'DataCache';
  metadata: ObjectMeta;
  spec: DataCacheSpec;
  status?: DataCacheStatus;
}

/** A Kubernetes object the operator applies: any kind, identified by apiVersion, kind and metadata. */
export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string>; ownerReferences: OwnerReference[] };
  [field: string]: unknown;
}

/** An owner reference to the DataCache that controls an object. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
}
