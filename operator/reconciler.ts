/**
 * The DataCache controller: watches DataCaches and the StatefulSets/Deployments it owns, applies the
 * desired objects with server-side apply (field manager flightcache-operator), loads the datasets
 * through the coordinator (dataset-loads.ts), keeps a finalizer that drops them and deletes the
 * objects before the DataCache goes, and writes status only when it changes.
 */
import { createHash } from 'node:crypto';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  makeInformer,
  setHeaderOptions,
  type Informer,
  type KubeConfig,
  type KubernetesObject,
  type ObjectCache,
} from '@kubernetes/client-node';
import { silentLogger, type Logger } from '../cache-server/logger.js';
import { desiredObjects, objectNames } from './desired.js';
import { PODDEFAULT_GROUP, PODDEFAULT_PLURAL, PODDEFAULT_VERSION, podDefaultOf } from './poddefault.js';
import { computeStatus, failingShards, sameStatus } from './status.js';
import { DEFAULT_GRPC_ADDRESS, DEFAULT_HTTP_ADDRESS, type CoordinatorAddresses } from './coordinator-client.js';
import { DatasetLoads } from './dataset-loads.js';
import { TRAINJOB_GROUP, TRAINJOB_PLURAL, TRAINJOB_VERSION, cacheNameOf, heldJobAction, releaseJsonPatch, withColocatedShards, type TrainJob } from './trainjob.js';
import { FIELD_MANAGER, FINALIZER, GROUP, PLURAL, VERSION, type DataCache, type DatasetStatus, type ManifestObject } from './datacache.js';

/** Annotation holding the hash of what the operator last applied to an object. */
export const APPLIED_HASH = 'flightcache.io/applied-hash';
const MANAGED = 'app.kubernetes.io/managed-by=flightcache-operator';
const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const JSON_PATCH = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

export interface ReconcilerOptions {
  /** How often every DataCache is reconciled again without an event (ms). */
  resyncMs?: number;
  logger?: Logger;
  /** The clock for condition transition times. */
  now?: () => string;
  /** host:port templates of each cache's coordinator ({name}, {namespace}); default its Service's DNS name. */
  coordinator?: Partial<CoordinatorAddresses>;
}

/** How often a cache with a load in progress is reconciled again, for its progress in status (ms). */
const LOAD_PROGRESS_MS = 1000;

/** Reconciles DataCaches against one API server. */
export class Reconciler {
  private readonly objects: KubernetesObjectApi;
  private readonly custom: CustomObjectsApi;
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly logger: Logger;
  private readonly now: () => string;
  private readonly resyncMs: number;
  private readonly pending = new Set<string>();
  private informers: (Informer<KubernetesObject> & ObjectCache<KubernetesObject>)[] = [];
  private caches: (Informer<KubernetesObject> & ObjectCache<KubernetesObject>) | undefined;
  private trainJobs: (Informer<KubernetesObject> & ObjectCache<KubernetesObject>) | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  /** Whether the API server serves Kubeflow's PodDefaults (checked at start and at each resync until it does). */
  private podDefaults = false;
  private draining: Promise<void> | undefined;
  private stopped = false;
  private readonly loads: DatasetLoads;
  private readonly progressTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly kc: KubeConfig,
    options: ReconcilerOptions = {},
  ) {
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? (() => new Date().toISOString().replace(/\.\d+Z$/, 'Z'));
    this.resyncMs = options.resyncMs ?? 60_000;
    this.loads = new DatasetLoads({
      core: this.core,
      addresses: { grpc: options.coordinator?.grpc ?? DEFAULT_GRPC_ADDRESS, http: options.coordinator?.http ?? DEFAULT_HTTP_ADDRESS },
      logger: this.logger,
      onSettled: (namespace, name) => this.enqueue(namespace, name),
    });
  }

  /** Starts the watches and the periodic resync; resolves once the first lists arrived. */
  async start(): Promise<void> {
    this.caches = makeInformer(this.kc, `/apis/${GROUP}/${VERSION}/${PLURAL}`, () => this.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL }));
    const statefulSets = makeInformer(this.kc, '/apis/apps/v1/statefulsets', () => this.apps.listStatefulSetForAllNamespaces({ labelSelector: MANAGED }), MANAGED);
    const deployments = makeInformer(this.kc, '/apis/apps/v1/deployments', () => this.apps.listDeploymentForAllNamespaces({ labelSelector: MANAGED }), MANAGED);
    const pods = makeInformer(this.kc, '/api/v1/pods', () => this.core.listPodForAllNamespaces({ labelSelector: MANAGED }), MANAGED);
    const byCache = (obj: KubernetesObject) => this.enqueue(obj.metadata?.namespace, obj.metadata?.name);
    const byOwner = (obj: KubernetesObject) => this.enqueue(obj.metadata?.namespace, obj.metadata?.labels?.['app.kubernetes.io/instance']);
    for (const [informer, handler] of [[this.caches, byCache], [statefulSets, byOwner], [deployments, byOwner], [pods, byOwner]] as const) this.watch(informer, handler);
    await Promise.all(this.informers.map((i) => i.start()));
    // TrainJobs are watched where Kubeflow Trainer's CRD is installed: checked now and, until it is, at each resync.
    await this.watchTrainJobs();
    this.podDefaults = await this.served(PODDEFAULT_GROUP, PODDEFAULT_VERSION, PODDEFAULT_PLURAL);
    this.resyncTimer = setInterval(() => {
      if (!this.trainJobs) void this.watchTrainJobs().catch((err: unknown) => this.logger.warn({ err }, 'could not start the TrainJob watch'));
      void this.checkPodDefaults().then(() => this.resync(), (err: unknown) => this.logger.warn({ err }, 'could not check for the PodDefault API'));
    }, this.resyncMs);
    this.resyncTimer.unref();
  }

  /** Starts the TrainJob watch once the API server serves TrainJobs, then reconciles every cache (a held TrainJob may wait). */
  private async watchTrainJobs(): Promise<void> {
    if (this.trainJobs || this.stopped || !(await this.served(TRAINJOB_GROUP, TRAINJOB_VERSION, TRAINJOB_PLURAL))) return;
    const trainJobs = makeInformer(this.kc, `/apis/${TRAINJOB_GROUP}/${TRAINJOB_VERSION}/${TRAINJOB_PLURAL}`, () =>
      this.custom.listClusterCustomObject({ group: TRAINJOB_GROUP, version: TRAINJOB_VERSION, plural: TRAINJOB_PLURAL }),
    );
    this.trainJobs = trainJobs;
    this.watch(trainJobs, (obj) => this.trainJobChanged(obj));
    trainJobs.on('delete', (obj) => void this.deleteWithTrainJob(obj as TrainJob));
    await trainJobs.start();
    this.logger.info({ resource: `${TRAINJOB_PLURAL}.${TRAINJOB_GROUP}` }, 'watching TrainJobs');
  }

  /** Notices a PodDefault CRD installed after start (Kubeflow added to the cluster later). */
  private async checkPodDefaults(): Promise<void> {
    if (this.podDefaults || this.stopped) return;
    this.podDefaults = await this.served(PODDEFAULT_GROUP, PODDEFAULT_VERSION, PODDEFAULT_PLURAL);
    if (this.podDefaults) this.logger.info({ resource: `${PODDEFAULT_PLURAL}.${PODDEFAULT_GROUP}` }, 'writing a PodDefault per DataCache');
  }

  /** The objects of a cache: those that run it, and its PodDefault where Kubeflow's API serves them. */
  private owned(cache: DataCache): ManifestObject[] {
    return [...desiredObjects(cache), ...(this.podDefaults ? [podDefaultOf(cache)] : [])];
  }

  /** A TrainJob concerns the cache it names and the caches colocated with it. */
  private trainJobChanged(obj: KubernetesObject): void {
    const namespace = obj.metadata?.namespace;
    this.enqueue(namespace, cacheNameOf(obj as TrainJob));
    for (const cache of (this.caches?.list(namespace) ?? []) as DataCache[]) {
      if (cache.spec.placement?.colocateWith?.trainJob === obj.metadata?.name) this.enqueue(namespace, cache.metadata.name);
    }
  }

  /** Routes an informer's events to `handler`, restarting it after a failed watch. */
  private watch(informer: Informer<KubernetesObject> & ObjectCache<KubernetesObject>, handler: (obj: KubernetesObject) => void): void {
    informer.on('add', handler);
    informer.on('update', handler);
    informer.on('delete', handler);
    // The informer stops on errors other than 410 Gone: restart it after a pause.
    informer.on('error', (err: unknown) => {
      this.logger.warn({ err }, 'watch failed; restarting in 1s');
      setTimeout(() => void (this.stopped ? undefined : informer.start().catch(() => undefined)), 1000).unref();
    });
    this.informers.push(informer);
  }

  /** Stops the watches and waits for the reconcile in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    for (const timer of this.progressTimers.values()) clearTimeout(timer);
    await Promise.all(this.informers.map((i) => i.stop()));
    await this.draining;
  }

  /** Queues every known DataCache for reconciliation. */
  resync(): void {
    for (const obj of this.caches?.list() ?? []) this.enqueue(obj.metadata?.namespace, obj.metadata?.name);
  }

  /** Resolves once the queue is empty. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private enqueue(namespace: string | undefined, name: string | undefined): void {
    if (!namespace || !name || this.stopped) return;
    this.pending.add(`${namespace}/${name}`);
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0 && !this.stopped) {
      const key = this.pending.values().next().value as string;
      this.pending.delete(key);
      const [namespace, name] = key.split('/') as [string, string];
      try {
        await this.reconcile(namespace, name);
      } catch (err) {
        this.logger.warn({ err, cache: key }, 'reconcile failed; retrying in 1s');
        setTimeout(() => this.enqueue(namespace, name), 1000).unref();
      }
    }
  }

  /** Brings one DataCache's objects and status to what its spec asks for. */
  async reconcile(namespace: string, name: string): Promise<void> {
    const stored = await this.readCache(namespace, name);
    if (!stored) return;
    const jobs = (this.trainJobs?.list(namespace) ?? []) as TrainJob[];
    const cache = withColocatedShards(stored, jobs);
    if (cache.metadata.deletionTimestamp) {
      await this.cleanUp(cache);
      return;
    }
    if (!cache.metadata.finalizers?.includes(FINALIZER)) {
      await this.custom.patchNamespacedCustomObject(
        { group: GROUP, version: VERSION, plural: PLURAL, namespace, name, body: { metadata: { resourceVersion: cache.metadata.resourceVersion, finalizers: [...(cache.metadata.finalizers ?? []), FINALIZER] } } },
        MERGE_PATCH,
      );
    }
    for (const object of this.owned(cache)) await this.apply(object);
    const names = objectNames(name);
    const sts = await this.apps.readNamespacedStatefulSet({ namespace, name: names.shards });
    const deploy = await this.apps.readNamespacedDeployment({ namespace, name: names.coordinator });
    const pods = await this.core.listNamespacedPod({ namespace, labelSelector: `app.kubernetes.io/instance=${name},app.kubernetes.io/component=shard` });
    const coordinatorAvailable = deploy.status?.availableReplicas ?? 0;
    const datasets = await this.datasets(cache, coordinatorAvailable);
    const status = computeStatus(
      cache,
      {
        shardsReady: sts.status?.readyReplicas ?? 0,
        coordinatorAvailable,
        failing: failingShards(pods.items),
        colocatedJobFound: jobs.some((job) => job.metadata.name === cache.spec.placement?.colocateWith?.trainJob),
        ...(datasets !== undefined ? { datasets } : {}),
      },
      this.now(),
    );
    if (!sameStatus(cache.status, status)) {
      await this.custom.patchNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, plural: PLURAL, namespace, name, body: { status } }, MERGE_PATCH);
      this.logger.info({ cache: `${namespace}/${name}`, phase: status.phase }, 'status updated');
    }
    await this.releaseHeldJobs({ ...cache, status });
  }

  /**
   * The datasets' status after starting the loads and drops they need (undefined for a cache that
   * has none); while a load runs the cache is reconciled again every second, so status shows its progress.
   */
  private async datasets(cache: DataCache, coordinatorAvailable: number): Promise<DatasetStatus[] | undefined> {
    if (!cache.spec.datasets?.length && !cache.status?.datasets?.length) return undefined;
    const datasets = await this.loads.reconcile(cache, coordinatorAvailable);
    const key = `${cache.metadata.namespace}/${cache.metadata.name}`;
    if (datasets.some((d) => d.state === 'Loading' || d.state === 'Pending') && !this.progressTimers.has(key)) {
      const timer = setTimeout(() => {
        this.progressTimers.delete(key);
        this.enqueue(cache.metadata.namespace, cache.metadata.name);
      }, LOAD_PROGRESS_MS);
      timer.unref();
      this.progressTimers.set(key, timer);
    }
    return datasets;
  }

  /** Unsuspends the suspended TrainJobs that wait for this cache once it may serve them; reports a failed cache to them. */
  private async releaseHeldJobs(cache: DataCache): Promise<void> {
    const { namespace, name } = cache.metadata;
    for (const job of (this.trainJobs?.list(namespace) ?? []) as TrainJob[]) {
      if (cacheNameOf(job) !== name || job.spec.suspend !== true) continue;
      const action = heldJobAction(job, cache);
      if (action === 'release') {
        await this.custom.patchNamespacedCustomObject(
          { group: TRAINJOB_GROUP, version: TRAINJOB_VERSION, plural: TRAINJOB_PLURAL, namespace, name: job.metadata.name, body: releaseJsonPatch(job, cache) },
          JSON_PATCH,
        );
        this.logger.info({ trainJob: `${namespace}/${job.metadata.name}`, cache: name }, 'TrainJob released');
      } else if (action === 'report') await this.reportFailed(job, cache);
    }
  }

  /**
   * A Warning Event on the TrainJob saying why its cache failed; its name hashes the reason, so each
   * reason is reported once (a resync finds it exists) and a new reason gets a new Event.
   */
  private async reportFailed(job: TrainJob, cache: DataCache): Promise<void> {
    const reason = cache.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? 'unknown';
    const message = `DataCache ${cache.metadata.name} failed: ${reason}; the TrainJob stays suspended`;
    const { namespace, name, uid } = job.metadata;
    const eventName = `${name}.flightcache-${createHash('sha256').update(message).digest('hex').slice(0, 12)}`;
    const now = new Date();
    await this.core
      .createNamespacedEvent({
        namespace,
        body: {
          metadata: { name: eventName, namespace },
          involvedObject: { apiVersion: job.apiVersion, kind: 'TrainJob', name, namespace, uid },
          reason: 'DataCacheFailed',
          message,
          type: 'Warning',
          source: { component: FIELD_MANAGER },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      })
      .then(
        () => this.logger.warn({ trainJob: `${namespace}/${name}`, cache: cache.metadata.name }, 'reported a failed cache'),
        (err: unknown) => {
          if ((err as { code?: number }).code !== 409) throw err;
        },
      );
  }

  /**
   * lifecycle WithTrainJob: the TrainJob's deletion deletes the caches that live with it (their
   * finalizer then cleans up). Only deletions this operator sees; a cache the Kubeflow initializer
   * made is also owned by its TrainJob, so the garbage collector catches the rest.
   */
  private async deleteWithTrainJob(job: TrainJob): Promise<void> {
    const namespace = job.metadata.namespace;
    for (const cache of (this.caches?.list(namespace) ?? []) as DataCache[]) {
      const lifecycle = cache.spec.lifecycle;
      if (lifecycle?.policy !== 'WithTrainJob' || lifecycle.trainJob !== job.metadata.name) continue;
      try {
        await this.custom.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace, name: cache.metadata.name });
        this.logger.info({ cache: `${namespace}/${cache.metadata.name}`, trainJob: job.metadata.name }, 'deleted with its TrainJob');
      } catch (err) {
        if ((err as { code?: number }).code !== 404) this.logger.warn({ err, cache: cache.metadata.name }, 'could not delete the cache of a deleted TrainJob');
      }
    }
  }

  /** Whether the API server serves a resource (false when its CRD is not installed). */
  private async served(group: string, version: string, plural: string): Promise<boolean> {
    try {
      await this.custom.listClusterCustomObject({ group, version, plural, limit: 1 });
      return true;
    } catch (err) {
      return ignoreNotFound(err) ?? false;
    }
  }

  /** Server-side applies an object unless it already carries the hash of this exact content. */
  private async apply(object: ManifestObject): Promise<void> {
    const hash = createHash('sha256').update(JSON.stringify(object)).digest('hex').slice(0, 32);
    const existing = await this.readOptional(object);
    if (existing?.metadata?.annotations?.[APPLIED_HASH] === hash) return;
    const body = { ...object, metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, [APPLIED_HASH]: hash } } };
    await this.objects.patch(body, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    this.logger.info({ kind: object.kind, name: object.metadata.name }, 'applied');
  }

  /** Deletes what the DataCache owns (no garbage collector is assumed), then drops the finalizer. */
  private async cleanUp(cache: DataCache): Promise<void> {
    if (!cache.metadata.finalizers?.includes(FINALIZER)) return;
    await this.loads.dropAll(cache);
    for (const object of this.owned(cache).reverse()) {
      if (await this.readOptional(object)) await this.objects.delete(object, undefined, undefined, undefined, undefined, 'Background').catch(ignoreNotFound);
    }
    const { namespace, name, resourceVersion } = cache.metadata;
    await this.custom.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, plural: PLURAL, namespace, name, body: { metadata: { resourceVersion, finalizers: cache.metadata.finalizers.filter((f) => f !== FINALIZER) } } },
      MERGE_PATCH,
    );
    this.logger.info({ cache: `${namespace}/${name}` }, 'cleaned up');
  }

  private async readCache(namespace: string, name: string): Promise<DataCache | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace, name })) as DataCache;
    } catch (err) {
      return ignoreNotFound(err);
    }
  }

  private async readOptional(object: ManifestObject): Promise<KubernetesObject | undefined> {
    try {
      return await this.objects.read({ apiVersion: object.apiVersion, kind: object.kind, metadata: { name: object.metadata.name, namespace: object.metadata.namespace } });
    } catch (err) {
      return ignoreNotFound(err);
    }
  }
}

function ignoreNotFound(err: unknown): undefined {
  if ((err as { code?: number }).code === 404) return undefined;
  throw err;
}
