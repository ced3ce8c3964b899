/**
 * The operator loads a DataCache's datasets through a real coordinator and reports their status from
 * its /readyz and /stats: a real kube-apiserver + etcd (control-plane.ts; no kubelet, so the test
 * writes StatefulSet and Deployment status) and a real coordinator with two shard processes on
 * loopback (`flightcache serve --shards 2`), which the operator reaches through its address templates.
 * The data: Parquet files pyarrow writes (test/operator/operator_data.py, also the oracle) and the
 * tokenize tests' corpus and GPT-2 tokenizer.json (test/python/tokenize_check.py).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, Watch, setHeaderOptions } from '@kubernetes/client-node';
import { Reconciler } from '../../operator/reconciler.js';
import { sourceHash } from '../../operator/dataset-loads.js';
import type { DataCache, DatasetSource } from '../../operator/datacache.js';
import type { ClusterStats } from '../../cache-server/cluster/cluster-actions.js';
import { FlightClient } from '../../client/src/flight-client.js';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { installCrd, installDataCacheCrd, startControlPlane, TRAINER_CRDS, trainerUnavailableReason, unavailableReason, type ControlPlane } from './control-plane.js';
import { errorMessage, waitFor, waitGone } from './api-helpers.js';
import { freePort, startProcess, type StartedProcess } from '../helpers/process.js';
import { pythonScript, repoRoot, runPython, venvPython } from '../helpers/python.js';
import { CLI, startCli } from '../cluster/cluster-helpers.js';

const skip = unavailableReason();
if (skip) console.log(`# skipping the operator's dataset loads on a real API server: ${skip}`);

const NS = 'ml';
const GROUP = { group: 'flightcache.io', version: 'v1alpha1', plural: 'datacaches', namespace: NS };
const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const DATA_SCRIPT = join(repoRoot(), 'test', 'operator', 'operator_data.py');

/** What operator_data.py compare prints. */
interface Comparison {
  equal: boolean;
  rows: number;
  expected_rows: number;
  detail: string;
}

describe('DataCache datasets loaded through a real coordinator', { skip }, () => {
  let cp: ControlPlane;
  let custom: CustomObjectsApi;
  let apps: AppsV1Api;
  let core: CoreV1Api;
  let reconciler: Reconciler | undefined;
  let cluster: StartedProcess;
  let httpPort: number;
  let dir: string;
  let corpus: string;

  const getCache = async (name: string) => (await custom.getNamespacedCustomObject({ ...GROUP, name })) as DataCache;
  const create = (name: string, spec: Record<string, unknown>) => custom.createNamespacedCustomObject({ ...GROUP, body: { apiVersion: 'flightcache.io/v1alpha1', kind: 'DataCache', metadata: { name }, spec } });
  const patchSpec = (name: string, spec: Record<string, unknown>) => custom.patchNamespacedCustomObject({ ...GROUP, name, body: { spec } }, MERGE_PATCH);
  /** What a kubelet would report once the pods run: every shard ready, the coordinator available. */
  const podsReady = async (name: string, shards: number) => {
    // The Deployment is applied last.
    await waitFor('the Deployment', () => apps.readNamespacedDeployment({ namespace: NS, name: `${name}-coordinator` }));
    await apps.patchNamespacedStatefulSetStatus({ namespace: NS, name: `${name}-shards`, body: { status: { replicas: shards, readyReplicas: shards, availableReplicas: shards } } }, MERGE_PATCH);
    await apps.patchNamespacedDeploymentStatus({ namespace: NS, name: `${name}-coordinator`, body: { status: { replicas: 1, readyReplicas: 1, availableReplicas: 1 } } }, MERGE_PATCH);
  };
  const stats = async (): Promise<ClusterStats> => (await (await fetch(`http://127.0.0.1:${httpPort}/stats`)).json()) as ClusterStats;
  const held = async (name: string) => (await stats()).datasets.find((d) => d.name === name);
  /** Waits until the cache's status satisfies `check`, the status's own generation observed. */
  const statusWhere = (name: string, what: string, check: (cache: DataCache) => boolean, timeoutMs = 60_000) =>
    waitFor(what, async () => {
      const cache = await getCache(name);
      return cache.status?.observedGeneration === cache.metadata.generation && check(cache) ? cache : undefined;
    }, timeoutMs);
  const condition = (cache: DataCache, type: string) => {
    const c = cache.status?.conditions?.find((x) => x.type === type);
    return c && [c.status, c.reason, c.message];
  };
  /**
   * Watches one DataCache and records each status written: phase and each dataset's state and
   * progress. The watch starts at resourceVersion 0 (the API server's cache as it is): a watch
   * without one waits for that cache to reach etcd's newest revision and, when writes to other
   * objects keep it behind, ends with ERROR "Too large resource version". Other events (an ERROR's
   * Status) and the watch's end go to `ended`, for failure messages.
   */
  const recordStatuses = async (name: string) => {
    const seen: string[][] = [];
    const ended: string[] = [];
    const controller = await new Watch(cp.kubeConfig).watch(
      `/apis/flightcache.io/v1alpha1/namespaces/${NS}/datacaches`,
      { fieldSelector: `metadata.name=${name}`, resourceVersion: '0' },
      (type, obj: DataCache) => {
        if (type !== 'ADDED' && type !== 'MODIFIED') return void ended.push(`${type} ${JSON.stringify(obj)}`);
        const entry = [obj.status?.phase ?? '', ...(obj.status?.datasets ?? []).map((d) => `${d.name} ${d.state} ${d.progress ?? ''}`)];
        if (JSON.stringify(seen.at(-1)) !== JSON.stringify(entry)) seen.push(entry);
      },
      (err: unknown) => void ended.push(`watch ended: ${err instanceof Error ? err.message : String(err)}`),
    );
    // The request may reach the API server after the call returned: its first event is the status now.
    await waitFor('the watch to start', async () => {
      if (seen.length > 0) return true;
      throw new Error(`no object yet; ${JSON.stringify(ended)}`);
    });
    return { seen, ended, stop: () => controller.abort() };
  };
  const events = (version = 'events'): DatasetSource => ({ uri: `file://${dir}/${version}`, format: 'parquet' });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flightcache-operator-loads-'));
    corpus = join(dir, 'corpus');
    await runPython(DATA_SCRIPT, ['write', dir]);
    await runPython('tokenize_check.py', ['files', dir], { timeoutMs: 120_000 });
    await runPython('tokenize_check.py', ['corpus', corpus, '24', '2'], { timeoutMs: 120_000 });
    httpPort = await freePort();
    cluster = await startCli(['serve', '--port', '0', '--shards', '2', '--replicas', '1', '--shm-dir', 'off', '--http-port', String(httpPort)]);
    await waitFor('the coordinator ready with its two shards', async () => ((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status === 200 && (await stats()).members.filter((m) => m.live).length === 2 ? true : undefined), 60_000);
    cp = await startControlPlane();
    custom = cp.kubeConfig.makeApiClient(CustomObjectsApi);
    apps = cp.kubeConfig.makeApiClient(AppsV1Api);
    core = cp.kubeConfig.makeApiClient(CoreV1Api);
    await installDataCacheCrd(cp, NS);
    // Every DataCache's coordinator is the one started above (in a cluster: NAME-coordinator.NS.svc).
    reconciler = new Reconciler(cp.kubeConfig, { resyncMs: 500, coordinator: { grpc: new URL(cluster.url).host, http: `127.0.0.1:${httpPort}` } });
    await reconciler.start();
  });

  after(async () => {
    await reconciler?.stop();
    await cp?.stop();
    const status = cluster ? await cluster.stop() : { code: 0, signal: null };
    if (dir) rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(status, { code: 0, signal: null }, cluster?.stderr());
  });

  test('the schema refuses a tokenize without exactly one tokenizer, packed rows with other columns, and an unknown mode', async () => {
    const withSource = (source: Record<string, unknown>) => create('bad', { image: 'img:1', datasets: [{ name: 't', source: { uri: 's3://b/corpus/', ...source } }] });
    await assert.rejects(withSource({ tokenize: { column: 'text', maxLength: 8 } }), (err: unknown) => {
      assert.match(errorMessage(err), /spec\.datasets\[0\]\.source\.tokenize: Invalid value: "object": tokenize names exactly one of tokenizer and tiktoken/);
      return true;
    });
    await assert.rejects(withSource({ tokenize: { column: 'text', tiktoken: 'cl100k_base', tokenizer: 's3://b/tokenizer.json', maxLength: 8 } }), (err: unknown) => {
      assert.match(errorMessage(err), /tokenize names exactly one of tokenizer and tiktoken/);
      return true;
    });
    await assert.rejects(withSource({ columns: ['text', 'id'], tokenize: { column: 'text', tiktoken: 'cl100k_base', maxLength: 8, mode: 'pack' } }), (err: unknown) => {
      assert.match(errorMessage(err), /spec\.datasets\[0\]\.source: Invalid value: "object": packed rows hold several documents, so columns can name only the tokenize column/);
      return true;
    });
    await assert.rejects(withSource({ tokenize: { column: 'text', tiktoken: 'cl100k_base', maxLength: 8, mode: 'shuffle' } }), (err: unknown) => {
      assert.match(errorMessage(err), /spec\.datasets\[0\]\.source\.tokenize\.mode: Unsupported value: "shuffle": supported values: "pack", "truncate", "pad", "none"/);
      return true;
    });
  });

  test('a Parquet dataset loads through the coordinator: Ready with the rows pyarrow counts, and Flight reads back pyarrow\'s table', async () => {
    await create('d1', { image: 'img:1', shards: 2, datasets: [{ name: 'events', source: events() }] });
    // Pods not ready: the coordinator is not asked, the dataset waits.
    const pending = await statusWhere('d1', 'Pending', (c) => c.status?.phase === 'Pending');
    assert.deepEqual(pending.status?.datasets, [{ name: 'events', sourceHash: sourceHash(events()), state: 'Pending', message: 'coordinator not observed' }]);
    assert.deepEqual(condition(pending, 'Loaded'), ['False', 'Loading', '0/1 datasets loaded; events pending: coordinator not observed']);
    await podsReady('d1', 2);
    const ready = await statusWhere('d1', 'Ready', (c) => c.status?.phase === 'Ready');
    const stored = await held('events');
    assert.ok(stored);
    assert.equal(stored.rows, 1200);
    assert.deepEqual(ready.status?.datasets, [{ name: 'events', sourceHash: sourceHash(events()), state: 'Loaded', rows: 1200, bytes: stored.bytes, health: 'healthy', progress: 'done' }]);
    assert.deepEqual(condition(ready, 'Loaded'), ['True', 'AllLoaded', '1/1 datasets loaded']);
    assert.deepEqual(condition(ready, 'Ready'), ['True', 'AllShardsReady', '2/2 shards ready, coordinator available']);
    const compared = await runPython<Comparison>(DATA_SCRIPT, ['compare', cluster.url, 'events', join(dir, 'events')]);
    assert.deepEqual(compared, { equal: true, rows: 1200, expected_rows: 1200, detail: '' });
  });

  test('a resync of the loaded cache writes nothing and loads nothing again', async () => {
    const loadsOf = async () => (await stats()).loads.filter((l) => l.name === 'events').length;
    const [version, loads] = [(await getCache('d1')).metadata.resourceVersion, await loadsOf()];
    await reconciler!.reconcile(NS, 'd1');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await reconciler!.idle();
    assert.equal((await getCache('d1')).metadata.resourceVersion, version);
    assert.equal(await loadsOf(), loads);
  });

  test('changing the source loads the new one, whose rows replace the old; status says Loading with its progress meanwhile', async () => {
    const statuses = await recordStatuses('d1');
    await patchSpec('d1', { datasets: [{ name: 'events', source: events('events-v2') }] });
    const ready = await statusWhere('d1', 'the new source loaded', (c) => c.status?.phase === 'Ready' && c.status.datasets?.[0]?.sourceHash === sourceHash(events('events-v2')));
    // The watch, served from the API server's cache, may lag the read that saw Ready.
    await waitFor('the watch to see the new source loaded', async () => (statuses.seen.length > 1 && statuses.seen.at(-1)?.[0] === 'Ready' ? true : undefined));
    statuses.stop();
    // The first event is the Ready status before the change; the load's own statuses follow.
    const trace = JSON.stringify({ seen: statuses.seen, ended: statuses.ended });
    assert.deepEqual(statuses.seen[0], ['Ready', 'events Loaded done'], trace);
    assert.deepEqual(statuses.seen.at(-1), ['Ready', 'events Loaded done'], trace);
    const during = statuses.seen.slice(1, -1);
    assert.ok(during.length > 0, trace);
    for (const [phase, dataset] of during) {
      assert.equal(phase, 'Loading', trace);
      // While the coordinator lists the source its progress counts no files yet.
      assert.match(dataset!, /^events Loading (starting|\d+\/[01] files, \d+ rows)$/, trace);
    }
    assert.deepEqual(ready.status?.datasets?.map((d) => [d.name, d.state, d.rows]), [['events', 'Loaded', 500]]);
    const compared = await runPython<Comparison>(DATA_SCRIPT, ['compare', cluster.url, 'events', join(dir, 'events-v2')]);
    assert.deepEqual(compared, { equal: true, rows: 500, expected_rows: 500, detail: '' });
  });

  test('a tokenize dataset loads packed rows equal to Hugging Face tokenizers with the same tokenizer.json', async () => {
    const tokens = { name: 'tokens', source: { uri: `file://${corpus}`, format: 'parquet', tokenize: { column: 'text', tokenizer: `file://${join(dir, 'gpt2.json')}`, maxLength: 128, mode: 'pack' } } };
    await patchSpec('d1', { datasets: [{ name: 'events', source: events('events-v2') }, tokens] });
    const ready = await statusWhere('d1', 'both datasets loaded', (c) => c.status?.phase === 'Ready' && c.status.datasets?.length === 2);
    const status = ready.status?.datasets?.find((d) => d.name === 'tokens');
    const compared = await runPython<{ equal: boolean; rows: number; schema: Record<string, string>; mismatch?: unknown }>(
      'tokenize_check.py',
      ['compare', cluster.url, 'tokens', corpus, JSON.stringify({ tokenizer: join(dir, 'gpt2.json'), max_length: 128, pack: true, cluster: true })],
      { timeoutMs: 300_000 },
    );
    assert.equal(compared.equal, true, JSON.stringify(compared.mismatch));
    assert.deepEqual(compared.schema, { input_ids: 'fixed_size_list<item: int32 not null>[128]', position_ids: 'fixed_size_list<item: int32 not null>[128]' });
    assert.ok(compared.rows > 10, `${compared.rows} rows`);
    assert.deepEqual([status?.state, status?.rows, status?.health], ['Loaded', compared.rows, 'healthy']);
    // The tokenize defaults the CRD applies are part of the source, and so of its hash.
    const stored = ready.spec.datasets?.find((d) => d.name === 'tokens');
    assert.deepEqual(stored?.source.tokenize, { ...tokens.source.tokenize, specialTokens: true });
    assert.equal(status?.sourceHash, sourceHash(stored!.source));
  });

  test("a source that cannot load: Failed, Loaded=False with the loader's message, and the previous generation serves on", async () => {
    await patchSpec('d1', { datasets: [{ name: 'events', source: events('missing') }, { name: 'tokens', source: (await getCache('d1')).spec.datasets![1]!.source }] });
    const failed = await statusWhere('d1', 'Failed', (c) => c.status?.phase === 'Failed');
    const message = `NOT_FOUND: source "${join(dir, 'missing')}" does not exist`;
    assert.deepEqual(condition(failed, 'Loaded'), ['False', 'LoadFailed', `dataset events: ${message}`]);
    assert.deepEqual(condition(failed, 'Ready'), ['False', 'LoadFailed', `dataset events: ${message}`]);
    assert.deepEqual(failed.status?.datasets?.map((d) => [d.name, d.state, d.rows, d.message]), [['events', 'Failed', 500, message], ['tokens', 'Loaded', failed.status?.datasets?.[1]?.rows, undefined]]);
    assert.equal((await held('events'))?.rows, 500);
    // Not retried on resync: a failed source loads again only when it changes.
    const loads = (await stats()).loads.filter((l) => l.name === 'events').length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal((await stats()).loads.filter((l) => l.name === 'events').length, loads);
  });

  test('a secretRef Secret is waited for, and one with a key the load does not know fails the load naming it', async () => {
    await create('d2', { image: 'img:1', shards: 1, datasets: [{ name: 'remote', source: { uri: 's3://bucket/data/', format: 'parquet', secretRef: { name: 's3-creds' } } }] });
    await podsReady('d2', 1);
    const waiting = await statusWhere('d2', 'waiting for the Secret', (c) => c.status?.datasets?.[0]?.message === 'waiting for Secret s3-creds');
    assert.deepEqual([waiting.status?.phase, waiting.status?.datasets?.[0]?.state], ['Loading', 'Pending']);
    await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 's3-creds' }, stringData: { accessKeyId: 'AKIA', AWS_SECRET_ACCESS_KEY: 'x' } } });
    const failed = await statusWhere('d2', 'Failed', (c) => c.status?.phase === 'Failed');
    assert.deepEqual(condition(failed, 'Loaded'), [
      'False',
      'LoadFailed',
      'dataset remote: INVALID_ARGUMENT: Secret s3-creds has key "AWS_SECRET_ACCESS_KEY"; its keys must be among accessKeyId, secretAccessKey, sessionToken, region, endpoint',
    ]);
    await custom.deleteNamespacedCustomObject({ ...GROUP, name: 'd2' });
  });

  test("s3:// sources load with the keys of their secretRef Secret (moto enforcing IAM); a Secret whose user may not read fails with S3's refusal", async () => {
    const credentials = join(dir, 's3-credentials');
    const s3 = await startProcess(venvPython(), [pythonScript('s3_server.py'), join(dir, 'events'), 'data', credentials], /^s3 ready (http:\/\/\S+)$/, { timeoutMs: 120_000 });
    try {
      const keys = (user: string) => {
        const [, id, secret] = new RegExp(`\\[${user}\\]\naws_access_key_id = (\\S+)\naws_secret_access_key = (\\S+)`).exec(readFileSync(credentials, 'utf8'))!;
        return { accessKeyId: id!, secretAccessKey: secret!, endpoint: s3.url, region: 'us-east-1' };
      };
      for (const user of ['reader', 'nobody']) await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: `s3-${user}` }, stringData: keys(user) } });
      await create('d5', {
        image: 'img:1',
        shards: 1,
        datasets: [
          { name: 's3events', source: { uri: 's3://data/', format: 'parquet', secretRef: { name: 's3-reader' } } },
          { name: 's3denied', source: { uri: 's3://data/', format: 'parquet', secretRef: { name: 's3-nobody' } } },
        ],
      });
      await podsReady('d5', 1);
      const failed = await statusWhere('d5', 'both loads settled', (c) => c.status?.datasets?.every((d) => d.state === 'Loaded' || d.state === 'Failed') === true);
      assert.equal(failed.status?.phase, 'Failed');
      const message = `PERMISSION_DENIED: list s3://data/: AccessDenied: Access Denied (HTTP 403, access key ID ${keys('nobody').accessKeyId})`;
      assert.deepEqual(failed.status?.datasets?.map((d) => [d.name, d.state, d.rows, d.message]), [['s3events', 'Loaded', 1200, undefined], ['s3denied', 'Failed', undefined, message]]);
      assert.deepEqual(condition(failed, 'Loaded'), ['False', 'LoadFailed', `dataset s3denied: ${message}`]);
      const compared = await runPython<Comparison>(DATA_SCRIPT, ['compare', cluster.url, 's3events', join(dir, 'events')]);
      assert.deepEqual(compared, { equal: true, rows: 1200, expected_rows: 1200, detail: '' });
      await custom.deleteNamespacedCustomObject({ ...GROUP, name: 'd5' });
      await waitGone('d5 to go', () => getCache('d5'));
      assert.equal(await held('s3events'), undefined);
    } finally {
      await s3.stop();
    }
  });

  test('a dataset removed from spec is dropped from the coordinator and from status', async () => {
    const source = (await getCache('d1')).spec.datasets![1]!.source;
    await patchSpec('d1', { datasets: [{ name: 'tokens', source }] });
    const ready = await statusWhere('d1', 'events dropped', (c) => c.status?.phase === 'Ready' && c.status.datasets?.length === 1);
    assert.deepEqual(ready.status?.datasets?.map((d) => d.name), ['tokens']);
    assert.equal(await held('events'), undefined);
    assert.notEqual(await held('tokens'), undefined);
  });

  test('deleting the DataCache drops its datasets, then the DataCache goes', async () => {
    await custom.deleteNamespacedCustomObject({ ...GROUP, name: 'd1' });
    await waitGone('d1 to go', () => getCache('d1'));
    assert.deepEqual((await stats()).datasets.map((d) => d.name), []);
  });

  test('the TrainJob watch starts when the TrainJob CRD is installed after the operator: a held TrainJob is released', { skip: trainerUnavailableReason() }, async () => {
    for (const path of TRAINER_CRDS) await installCrd(cp, path);
    const trainJobs = { group: 'trainer.kubeflow.org', version: 'v1alpha1', plural: 'trainjobs', namespace: NS };
    await create('d3', { image: 'img:1', shards: 1 });
    await custom.createNamespacedCustomObject({
      ...trainJobs,
      body: { apiVersion: 'trainer.kubeflow.org/v1alpha1', kind: 'TrainJob', metadata: { name: 'late', annotations: { 'flightcache.io/cache': 'd3' } }, spec: { runtimeRef: { name: 'torch-distributed' }, suspend: true } },
    });
    await podsReady('d3', 1);
    await statusWhere('d3', 'Ready', (c) => c.status?.phase === 'Ready');
    const job = await waitFor('the TrainJob released', async () => {
      const found = (await custom.getNamespacedCustomObject({ ...trainJobs, name: 'late' })) as { spec: { suspend?: boolean }; metadata: { annotations?: Record<string, string> } };
      return found.spec.suspend === false ? found : undefined;
    });
    assert.equal(job.metadata.annotations?.['flightcache.io/released'], 'true');
  });

  test('a cache with spec.auth: the operator signs its calls with the key of signingKeySecret; with no signing key its loads fail saying why', async () => {
    const key = randomBytes(32).toString('base64');
    writeFileSync(join(dir, 'auth.key'), `${key}\n`);
    const securedHttp = await freePort();
    const secured = await startCli(['serve', '--port', '0', '--shards', '1', '--shm-dir', 'off', '--http-port', String(securedHttp), '--user', 'admin', '--password', 'pw', '--auth-key-file', join(dir, 'auth.key')]);
    const admin = new FlightClient(secured.url);
    const anonymous = new FlightClient(secured.url);
    try {
      await admin.handshake('admin', 'pw');
      await waitFor('the secured cluster with its shard', async () => ((await admin.action<ClusterStats>('stats')).members.filter((m) => m.live).length === 1 ? true : undefined), 60_000);
      // This operator's caches live at the secured cluster.
      await reconciler!.stop();
      reconciler = new Reconciler(cp.kubeConfig, { resyncMs: 500, coordinator: { grpc: new URL(secured.url).host, http: `127.0.0.1:${securedHttp}` } });
      await reconciler.start();
      await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'signing-key' }, stringData: { key } } });
      await create('d6', { image: 'img:1', shards: 1, auth: { signingKeySecret: 'signing-key' }, datasets: [{ name: 'secured', source: events() }] });
      await create('d7', { image: 'img:1', shards: 1, auth: { credentialsSecret: 'users' }, datasets: [{ name: 'unsigned', source: events() }] });
      await podsReady('d6', 1);
      await podsReady('d7', 1);
      const ready = await statusWhere('d6', 'Ready', (c) => c.status?.phase === 'Ready');
      assert.deepEqual(ready.status?.datasets?.map((d) => [d.name, d.state, d.rows, d.health]), [['secured', 'Loaded', 1200, 'healthy']]);
      const failed = await statusWhere('d7', 'Failed', (c) => c.status?.phase === 'Failed');
      assert.deepEqual(condition(failed, 'Loaded'), ['False', 'LoadFailed', 'dataset unsigned: FAILED_PRECONDITION: spec.auth has no signingKeySecret: the operator signs its calls to the coordinator with that key']);
      // Authentication is on: the same call without a token is refused.
      await assert.rejects(anonymous.action('stats'), (err: unknown) => err instanceof FlightError && err.code === Code.UNAUTHENTICATED);
      await custom.deleteNamespacedCustomObject({ ...GROUP, name: 'd6' });
      await custom.deleteNamespacedCustomObject({ ...GROUP, name: 'd7' });
      await waitGone('d6 to go', () => getCache('d6'));
      await waitGone('d7 to go', () => getCache('d7'));
      assert.deepEqual((await admin.action<ClusterStats>('stats')).datasets.map((d) => d.name), []);
    } finally {
      admin.close();
      anonymous.close();
      assert.deepEqual(await secured.stop(), { code: 0, signal: null }, secured.stderr());
    }
  });

  test('flightcache operator --coordinator-address/--coordinator-http-address: the process loads a DataCache at the coordinator they name, and its finalizer drops it', async () => {
    await reconciler!.stop();
    reconciler = undefined;
    writeFileSync(join(dir, 'kubeconfig'), cp.kubeConfig.exportConfig());
    const operator = spawn(
      process.execPath,
      [CLI, 'operator', '--lease-namespace', NS, '--lease-duration', '2s', '--resync-seconds', '1', '--coordinator-address', new URL(cluster.url).host, '--coordinator-http-address', `127.0.0.1:${httpPort}`],
      { env: { ...process.env, KUBECONFIG: join(dir, 'kubeconfig'), FLIGHTCACHE_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    operator.stderr.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
    try {
      await create('d4', { image: 'img:1', shards: 1, datasets: [{ name: 'events4', source: events() }] });
      await podsReady('d4', 1);
      const ready = await statusWhere('d4', 'Ready', (c) => c.status?.phase === 'Ready');
      assert.deepEqual(ready.status?.datasets?.map((d) => [d.name, d.state, d.rows]), [['events4', 'Loaded', 1200]]);
      await custom.deleteNamespacedCustomObject({ ...GROUP, name: 'd4' });
      await waitGone('d4 to go', () => getCache('d4'));
      assert.equal(await held('events4'), undefined);
    } finally {
      operator.kill('SIGTERM');
      const [code] = (await once(operator, 'exit')) as [number | null];
      assert.equal(code, 0, log);
    }
  });
});
