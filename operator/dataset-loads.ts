/**
 * The datasets of a DataCache: each spec.datasets[] source is loaded once through the coordinator's
 * `load` action (again when its source, by hash, changes), datasets gone from spec are dropped, and
 * each one's status comes from the coordinator's /stats. Loads run in the background; the reconciler
 * is called back when one settles.
 */
import { createHash } from 'node:crypto';
import type { CoreV1Api } from '@kubernetes/client-node';
import type { LoadProgress } from '../cache-server/loaders/dataset-loader.js';
import { tokenizeBody, type TiktokenEncodingName } from '../cache-server/loaders/tokenize-options.js';
import type { S3Options } from '../cache-server/loaders/s3-credentials.js';
import { parseSigningKeys } from '../cache-server/auth/signing-keys.js';
import { TokenAuth } from '../cache-server/auth/token-auth.js';
import { UserDirectory } from '../cache-server/auth/users.js';
import { Code, FlightError } from '../client/src/flight/errors.js';
import type { Logger } from '../cache-server/logger.js';
import { CoordinatorClient, type CoordinatorAddresses, type CoordinatorView } from './coordinator-client.js';
import type { DataCache, DatasetSource, DatasetSpec, DatasetStatus } from './datacache.js';

/** The keys a dataset's secretRef Secret may hold: the load action's s3 settings. */
const SECRET_KEYS: readonly (keyof S3Options)[] = ['accessKeyId', 'secretAccessKey', 'sessionToken', 'region', 'endpoint'];

/** JSON with object keys sorted, so equal sources hash equally whatever order the API server keeps. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The hash status keeps of a dataset's source: a different hash in spec means a new load. */
export function sourceHash(source: DatasetSource): string {
  return createHash('sha256').update(canonical(source)).digest('hex').slice(0, 16);
}

/** The path the shards read for a source URI: s3:// as it is, file:// as a local path; INVALID_ARGUMENT otherwise. */
export function shardPath(uri: string, what: string): string {
  if (uri.startsWith('s3://')) return uri;
  if (uri.startsWith('file://')) return decodeURIComponent(new URL(uri).pathname);
  throw new FlightError(Code.INVALID_ARGUMENT, `${what} ${uri}: the shards read s3:// and file:// URIs`);
}

/** The s3 settings a secretRef Secret holds (base64 `data`); INVALID_ARGUMENT naming a key the load action does not know. */
export function s3Settings(secretName: string, data: Record<string, string>): S3Options {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) {
    if (!(SECRET_KEYS as readonly string[]).includes(key)) throw new FlightError(Code.INVALID_ARGUMENT, `Secret ${secretName} has key "${key}"; its keys must be among ${SECRET_KEYS.join(', ')}`);
    out[key] = Buffer.from(value, 'base64').toString('utf8');
  }
  return out;
}

/** The `load` action's body for a dataset (parseLoadRequest reads it); INVALID_ARGUMENT for a URI the shards cannot read. */
export function loadBody(dataset: DatasetSpec, s3?: S3Options): string {
  const { uri, format, columns, tokenize } = dataset.source;
  const options = {
    ...(columns !== undefined ? { columns } : {}),
    ...(s3 !== undefined ? { s3 } : {}),
    ...(tokenize !== undefined
      ? {
          // The one JSON form of the tokenize option, as a coordinator passes it to its shards.
          tokenize: tokenizeBody({
            column: tokenize.column,
            ...(tokenize.tokenizer !== undefined ? { tokenizer: shardPath(tokenize.tokenizer, `dataset ${dataset.name}: tokenizer`) } : { tiktoken: tokenize.tiktoken as TiktokenEncodingName }),
            maxLength: tokenize.maxLength,
            layout: tokenize.mode ?? 'none',
            specialTokens: tokenize.specialTokens ?? true,
          }),
        }
      : {}),
  };
  return JSON.stringify({
    name: dataset.name,
    source: shardPath(uri, `dataset ${dataset.name}: source`),
    // The CRD says arrow for Arrow IPC files, the loader ipc.
    ...(format !== undefined ? { format: format === 'arrow' ? 'ipc' : format } : {}),
    options,
  });
}

/** A load this operator started: for which source, and how it ended. */
interface Attempt {
  hash: string;
  done: boolean;
  error?: string;
}

/** What a coordinator's /stats says of a dataset (rows, bytes, health), kept by every state. */
function served(view: CoordinatorView | undefined, name: string): Pick<DatasetStatus, 'rows' | 'bytes' | 'health'> {
  if (!view?.stats) return {};
  const dataset = view.stats.datasets.find((d) => d.name === name);
  return dataset ? { rows: dataset.rows, bytes: dataset.bytes, health: dataset.status } : { health: 'missing' };
}

/** A running load's progress (the coordinator's /stats entry) as one line. */
export function progressOf(load: LoadProgress | undefined): string {
  if (!load) return 'starting';
  const tokens = load.tokens !== undefined ? `, ${load.tokens} tokens` : '';
  return `${load.files}/${load.filesTotal} files, ${load.rows} rows${tokens}`;
}

export interface DatasetLoadsOptions {
  core: CoreV1Api;
  addresses: CoordinatorAddresses;
  logger: Logger;
  /** Called when a load settles, to reconcile its cache again. */
  onSettled: (namespace: string, name: string) => void;
}

/** The loads and drops of every DataCache this operator reconciles. */
export class DatasetLoads {
  private readonly attempts = new Map<string, Attempt>();

  constructor(private readonly options: DatasetLoadsOptions) {}

  /**
   * The coordinator of a cache. With spec.auth its calls carry a cluster token signed with the key of
   * auth.signingKeySecret (the key every process of the cache verifies); `waiting` while that Secret
   * does not exist; FAILED_PRECONDITION when the cache has auth but no signing key.
   */
  private async connect(cache: DataCache): Promise<{ client: CoordinatorClient } | { waiting: string }> {
    const auth = cache.spec.auth;
    if (!auth) return { client: new CoordinatorClient(this.options.addresses, cache) };
    if (!auth.signingKeySecret) {
      throw new FlightError(Code.FAILED_PRECONDITION, 'spec.auth has no signingKeySecret: the operator signs its calls to the coordinator with that key');
    }
    const secret = await this.readSecret(cache.metadata.namespace, auth.signingKeySecret);
    if (!secret) return { waiting: `waiting for Secret ${auth.signingKeySecret}` };
    const where = `Secret ${auth.signingKeySecret} key "key"`;
    const text = secret.key === undefined ? '' : Buffer.from(secret.key, 'base64').toString('utf8');
    const token = new TokenAuth({ users: new UserDirectory(undefined), keys: parseSigningKeys(text, where) }).clusterToken();
    return { client: new CoordinatorClient(this.options.addresses, cache, token) };
  }

  /** A Secret's data, or undefined when it does not exist. */
  private async readSecret(namespace: string, name: string): Promise<Record<string, string> | undefined> {
    try {
      return (await this.options.core.readNamespacedSecret({ namespace, name })).data ?? {};
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  /**
   * Reads the coordinator's /readyz and /stats once its Deployment has an available replica, starts
   * the loads spec asks for that are not loaded yet, drops the datasets gone from spec, and returns
   * each dataset's status (spec order, then those still to drop).
   */
  async reconcile(cache: DataCache, coordinatorAvailable: number): Promise<DatasetStatus[]> {
    const { namespace, name } = cache.metadata;
    const previous = new Map((cache.status?.datasets ?? []).map((d) => [d.name, d]));
    let connected: { client: CoordinatorClient } | { waiting: string };
    try {
      connected = await this.connect(cache);
    } catch (err) {
      // A cache whose auth the operator cannot sign for: every load fails, saying why.
      const message = FlightError.from(err).toString();
      return (cache.spec.datasets ?? []).map((d) => ({ name: d.name, sourceHash: sourceHash(d.source), state: 'Failed', message }));
    }
    const client = 'client' in connected ? connected.client : undefined;
    const view: CoordinatorView | undefined = 'waiting' in connected ? { ready: false, error: connected.waiting } : coordinatorAvailable >= 1 ? await connected.client.observe() : undefined;
    const out: DatasetStatus[] = [];
    for (const dataset of cache.spec.datasets ?? []) out.push(await this.datasetStatus(cache, dataset, previous.get(dataset.name), client, view));
    for (const [datasetName, before] of previous) {
      if (cache.spec.datasets?.some((d) => d.name === datasetName)) continue;
      this.attempts.delete(`${namespace}/${name}/${datasetName}`);
      try {
        if (!client || !view?.ready) throw new Error(view?.error ?? 'coordinator not observed');
        await client.drop(datasetName);
        this.options.logger.info({ cache: `${namespace}/${name}`, dataset: datasetName }, 'dataset dropped');
      } catch (err) {
        out.push({ ...before, message: `not dropped yet: ${FlightError.from(err).message}` });
      }
    }
    return out;
  }

  /** One spec dataset's status, after starting its load when it needs one and the coordinator is ready. */
  private async datasetStatus(cache: DataCache, dataset: DatasetSpec, before: DatasetStatus | undefined, client: CoordinatorClient | undefined, view: CoordinatorView | undefined): Promise<DatasetStatus> {
    const hash = sourceHash(dataset.source);
    const key = `${cache.metadata.namespace}/${cache.metadata.name}/${dataset.name}`;
    const base = { name: dataset.name, sourceHash: hash, ...served(view, dataset.name) };
    const running = view?.stats?.loads.find((l) => l.name === dataset.name && (l.state === 'listing' || l.state === 'loading'));
    const attempt = this.attempts.get(key);
    if (attempt?.hash === hash && !attempt.done) return { ...base, state: 'Loading', progress: progressOf(running) };
    if (attempt?.hash === hash && attempt.error !== undefined) return { ...base, state: 'Failed', message: attempt.error };
    // A failed source is not retried until it changes, also by a new operator (status remembers).
    if (attempt === undefined && before?.sourceHash === hash && before.state === 'Failed') return { ...before, ...base };
    // Loaded (by this operator or one before it) and still held: nothing to do. A coordinator that
    // lost it (restarted: it keeps nothing on disk) gets it loaded again.
    const loaded = attempt?.hash === hash || (before?.sourceHash === hash && before.state === 'Loaded');
    if (loaded && view?.stats && base.health !== 'missing') return { ...base, state: 'Loaded', progress: 'done' };
    if (loaded && !view?.stats) return { name: dataset.name, sourceHash: hash, state: 'Loaded', ...(before?.sourceHash === hash ? pick(before) : {}), progress: 'done' };
    // A load an earlier operator started is waited for.
    if (running) return { ...base, state: 'Loading', progress: progressOf(running) };
    if (!client || !view?.stats) return { ...base, state: 'Pending', message: view?.error ?? 'coordinator not observed' };
    return this.start(cache, client, dataset, key, base);
  }

  /** Drops every dataset of a cache (its finalizer); errors are logged, not thrown: deleting the pods frees the memory anyway. */
  async dropAll(cache: DataCache): Promise<void> {
    const { namespace, name } = cache.metadata;
    const names = new Set([...(cache.spec.datasets ?? []).map((d) => d.name), ...(cache.status?.datasets ?? []).map((d) => d.name)]);
    for (const dataset of names) {
      this.attempts.delete(`${namespace}/${name}/${dataset}`);
      try {
        const connected = await this.connect(cache);
        if ('waiting' in connected) throw new Error(connected.waiting);
        await connected.client.drop(dataset);
        this.options.logger.info({ cache: `${namespace}/${name}`, dataset }, 'dataset dropped');
      } catch (err) {
        this.options.logger.warn({ err, cache: `${namespace}/${name}`, dataset }, 'could not drop the dataset of a deleted cache');
      }
    }
  }

  /** Reads the dataset's Secret, sends the load and returns its first status (Loading, or Pending/Failed before it could start). */
  private async start(cache: DataCache, client: CoordinatorClient, dataset: DatasetSpec, key: string, base: Omit<DatasetStatus, 'state'>): Promise<DatasetStatus> {
    const { namespace, name } = cache.metadata;
    const hash = base.sourceHash;
    let body: string;
    try {
      const secretName = dataset.source.secretRef?.name;
      let s3: S3Options | undefined;
      if (secretName !== undefined) {
        const secret = await this.readSecret(namespace, secretName);
        // A Secret made after its DataCache is waited for, not a failed load.
        if (!secret) return { ...base, state: 'Pending', message: `waiting for Secret ${secretName}` };
        s3 = s3Settings(secretName, secret);
      }
      body = loadBody(dataset, s3);
    } catch (err) {
      const error = FlightError.from(err);
      this.attempts.set(key, { hash, done: true, error: error.toString() });
      return { ...base, state: 'Failed', message: error.toString() };
    }
    const attempt: Attempt = { hash, done: false };
    this.attempts.set(key, attempt);
    this.options.logger.info({ cache: `${namespace}/${name}`, dataset: dataset.name, source: dataset.source.uri }, 'load started');
    client
      .load(body)
      .then(
        (result) => this.options.logger.info({ cache: `${namespace}/${name}`, dataset: dataset.name, rows: result.rows }, 'load done'),
        (err: unknown) => {
          attempt.error = FlightError.from(err).toString();
          this.options.logger.warn({ cache: `${namespace}/${name}`, dataset: dataset.name, error: attempt.error }, 'load failed');
        },
      )
      .finally(() => {
        attempt.done = true;
        if (this.attempts.get(key) === attempt) this.options.onSettled(namespace, name);
      });
    return { ...base, state: 'Loading', progress: 'starting' };
  }
}

/** The rows, bytes and health a status entry last recorded. */
function pick(status: DatasetStatus): Pick<DatasetStatus, 'rows' | 'bytes' | 'health'> {
  return { ...(status.rows !== undefined ? { rows: status.rows } : {}), ...(status.bytes !== undefined ? { bytes: status.bytes } : {}), ...(status.health !== undefined ? { health: status.health } : {}) };
}
