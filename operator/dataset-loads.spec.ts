import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, FlightError } from '../client/src/flight/errors.js';
import { parseLoadRequest } from '../cache-server/loaders/load-request.js';
import { loadBody, progressOf, s3Settings, shardPath, sourceHash } from './dataset-loads.js';
import { computeStatus } from './status.js';
import type { DataCache, DatasetStatus } from './datacache.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

test('loadBody: a file:// Parquet source with columns is the load action body for its local path', () => {
  const body = loadBody({ name: 'train', source: { uri: 'file:///data/train%20set/', format: 'parquet', columns: ['id', 'text'] } });
  assert.deepEqual(JSON.parse(body), { name: 'train', source: '/data/train set/', format: 'parquet', options: { columns: ['id', 'text'] } });
  assert.deepEqual(parseLoadRequest(body), { name: 'train', source: '/data/train set/', format: 'parquet', columns: ['id', 'text'] });
});

test('loadBody: an s3:// Arrow source with S3 settings loads as ipc, the settings in options.s3', () => {
  const body = loadBody({ name: 'logs', source: { uri: 's3://bucket/logs/', format: 'arrow' } }, { accessKeyId: 'AKIA', secretAccessKey: 'secret', region: 'eu-west-1' });
  assert.deepEqual(parseLoadRequest(body), { name: 'logs', source: 's3://bucket/logs/', format: 'ipc', s3: { accessKeyId: 'AKIA', secretAccessKey: 'secret', region: 'eu-west-1' } });
});

test('loadBody: each tokenize mode becomes the layout the loader reads back; the tokenizer URI a shard path', () => {
  const tokenized = (tokenize: Record<string, unknown>) =>
    parseLoadRequest(loadBody({ name: 't', source: { uri: 's3://b/corpus/', tokenize: { column: 'text', maxLength: 64, ...tokenize } } })).tokenize;
  assert.deepEqual(tokenized({ tokenizer: 'file:///models/gpt2.json', mode: 'pack' }), { tokenizer: '/models/gpt2.json', column: 'text', maxLength: 64, layout: 'pack', specialTokens: true });
  assert.deepEqual(tokenized({ tokenizer: 's3://b/tok.json', mode: 'pad', specialTokens: false }), { tokenizer: 's3://b/tok.json', column: 'text', maxLength: 64, layout: 'pad', specialTokens: false });
  assert.deepEqual(tokenized({ tiktoken: 'cl100k_base', mode: 'truncate' }), { tiktoken: 'cl100k_base', column: 'text', maxLength: 64, layout: 'truncate', specialTokens: true });
  assert.deepEqual(tokenized({ tiktoken: 'gpt2' }), { tiktoken: 'gpt2', column: 'text', maxLength: 64, layout: 'none', specialTokens: true });
});

test('shardPath: a scheme other than s3:// and file:// is INVALID_ARGUMENT naming the URI', () => {
  assert.throws(
    () => loadBody({ name: 'x', source: { uri: 'gs://bucket/x/' } }),
    (err: unknown) => err instanceof FlightError && err.code === Code.INVALID_ARGUMENT && err.message === 'dataset x: source gs://bucket/x/: the shards read s3:// and file:// URIs',
  );
  assert.equal(shardPath('s3://b/k', 'source'), 's3://b/k');
});

test('s3Settings: a Secret of load settings decodes; an unknown key is INVALID_ARGUMENT naming it', () => {
  assert.deepEqual(s3Settings('creds', { accessKeyId: b64('AKIA'), secretAccessKey: b64('s3cr3t'), endpoint: b64('http://127.0.0.1:9000') }), {
    accessKeyId: 'AKIA',
    secretAccessKey: 's3cr3t',
    endpoint: 'http://127.0.0.1:9000',
  });
  assert.throws(
    () => s3Settings('creds', { AWS_ACCESS_KEY_ID: b64('AKIA') }),
    (err: unknown) =>
      err instanceof FlightError && err.message === 'Secret creds has key "AWS_ACCESS_KEY_ID"; its keys must be among accessKeyId, secretAccessKey, sessionToken, region, endpoint',
  );
});

test('sourceHash: equal sources hash equally whatever their key order; any change changes it', () => {
  const a = sourceHash({ uri: 's3://b/x/', format: 'parquet', tokenize: { column: 'text', maxLength: 8, tiktoken: 'gpt2' } });
  assert.equal(a, sourceHash({ tokenize: { tiktoken: 'gpt2', maxLength: 8, column: 'text' }, format: 'parquet', uri: 's3://b/x/' }));
  assert.notEqual(a, sourceHash({ uri: 's3://b/x/', format: 'parquet', tokenize: { column: 'text', maxLength: 9, tiktoken: 'gpt2' } }));
  assert.match(a, /^[0-9a-f]{16}$/);
});

test('progressOf: files, rows and (tokenizing) tokens of a running load; starting before the coordinator lists it', () => {
  const load = { name: 'a', source: '/d', state: 'loading' as const, files: 2, filesTotal: 5, rows: 1000, bytes: 10, bytesTotal: 50 };
  assert.equal(progressOf(load), '2/5 files, 1000 rows');
  assert.equal(progressOf({ ...load, tokens: 52000, tokensPerSecond: 9000 }), '2/5 files, 1000 rows, 52000 tokens');
  assert.equal(progressOf(undefined), 'starting');
});

const cache = (): DataCache => ({
  apiVersion: 'flightcache.io/v1alpha1',
  kind: 'DataCache',
  metadata: { name: 'c1', namespace: 'ml', generation: 2 },
  spec: { image: 'img:1', shards: 2, replicas: 1, memoryPerShard: '1Gi', datasets: [{ name: 'a', source: { uri: 's3://b/a/' } }, { name: 'b', source: { uri: 's3://b/b/' } }] },
});
const up = { shardsReady: 2, coordinatorAvailable: 1 };
const entry = (name: string, state: DatasetStatus['state'], extra: Partial<DatasetStatus> = {}): DatasetStatus => ({ name, sourceHash: 'h', state, ...extra });
const summary = (datasets: DatasetStatus[], observed = up) => {
  const status = computeStatus(cache(), { ...observed, datasets }, 't1');
  return [status.phase, status.conditions!.map((c) => [c.type, c.status, c.reason, c.message])];
};

test('status with datasets: Loading until each is loaded, then Ready with Loaded=True', () => {
  assert.deepEqual(summary([entry('a', 'Loaded', { health: 'healthy' }), entry('b', 'Loading', { progress: '1/4 files, 100 rows' })]), [
    'Loading',
    [
      ['Ready', 'False', 'Loading', '1/2 datasets loaded; b loading: 1/4 files, 100 rows'],
      ['Degraded', 'False', 'AsDesired', '2/2 shards ready, coordinator available'],
      ['Loaded', 'False', 'Loading', '1/2 datasets loaded; b loading: 1/4 files, 100 rows'],
    ],
  ]);
  assert.deepEqual(summary([entry('a', 'Loaded', { health: 'healthy' }), entry('b', 'Loaded', { health: 'healthy' })]), [
    'Ready',
    [
      ['Ready', 'True', 'AllShardsReady', '2/2 shards ready, coordinator available'],
      ['Degraded', 'False', 'AsDesired', '2/2 shards ready, coordinator available'],
      ['Loaded', 'True', 'AllLoaded', '2/2 datasets loaded'],
    ],
  ]);
});

test('status with datasets: a failed load is Failed with Loaded=False and its message; a degraded dataset makes the cache Degraded', () => {
  assert.deepEqual(summary([entry('a', 'Failed', { message: 'NOT_FOUND: source "/x" does not exist', rows: 5 }), entry('b', 'Loading')]), [
    'Failed',
    [
      ['Ready', 'False', 'LoadFailed', 'dataset a: NOT_FOUND: source "/x" does not exist'],
      ['Degraded', 'False', 'AsDesired', '2/2 shards ready, coordinator available'],
      ['Loaded', 'False', 'LoadFailed', 'dataset a: NOT_FOUND: source "/x" does not exist'],
    ],
  ]);
  assert.deepEqual(summary([entry('a', 'Loaded', { health: 'degraded' }), entry('b', 'Loaded', { health: 'healthy' })]), [
    'Degraded',
    [
      ['Ready', 'True', 'AllShardsReady', '2/2 shards ready, coordinator available'],
      ['Degraded', 'True', 'DatasetsDegraded', 'dataset a degraded'],
      ['Loaded', 'True', 'AllLoaded', '2/2 datasets loaded'],
    ],
  ]);
});

test('status with datasets: shards not ready keep the pods phase, the Loaded condition still says where the loads stand', () => {
  assert.deepEqual(summary([entry('a', 'Pending', { message: 'coordinator not observed' }), entry('b', 'Pending', { message: 'coordinator not observed' })], { shardsReady: 1, coordinatorAvailable: 0 }), [
    'Pending',
    [
      ['Ready', 'False', 'ShardsNotReady', '1/2 shards ready, coordinator unavailable'],
      ['Degraded', 'False', 'AsDesired', '1/2 shards ready, coordinator unavailable'],
      ['Loaded', 'False', 'Loading', '0/2 datasets loaded; a pending: coordinator not observed; b pending: coordinator not observed'],
    ],
  ]);
});
