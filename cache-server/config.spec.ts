import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadServeConfig } from './config.js';
import { Code } from './flight/errors.js';

test('flags win over environment variables, which win over defaults', () => {
  const config = loadServeConfig({ port: '9000' }, { FLIGHTCACHE_PORT: '9100', FLIGHTCACHE_HOST: '0.0.0.0', FLIGHTCACHE_MEMORY: '2GiB' });
  assert.deepEqual(config, {
    host: '0.0.0.0',
    port: 9000,
    memoryBytes: 2 * 1024 ** 3,
    httpPort: undefined,
    credentials: undefined,
    advertiseHost: undefined,
    defaultDataset: undefined,
  });
});

test('the default dataset comes from --default-dataset or FLIGHTCACHE_DEFAULT_DATASET', () => {
  assert.equal(loadServeConfig({}, { FLIGHTCACHE_DEFAULT_DATASET: 'train' }).defaultDataset, 'train');
  assert.equal(loadServeConfig({ 'default-dataset': 'eval' }, { FLIGHTCACHE_DEFAULT_DATASET: 'train' }).defaultDataset, 'eval');
});

test('defaults are 127.0.0.1:8815 with no memory limit and no auth', () => {
  const config = loadServeConfig({}, {});
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 8815);
  assert.equal(config.memoryBytes, Infinity);
  assert.equal(config.credentials, undefined);
});

test('a port out of range is rejected naming the flag', () => {
  assert.throws(() => loadServeConfig({ port: '70000' }, {}), {
    code: Code.INVALID_ARGUMENT,
    message: '--port must be a port number 0-65535, got "70000"',
  });
});

test('a user without a password is rejected', () => {
  assert.throws(() => loadServeConfig({ user: 'alice' }, {}), {
    code: Code.INVALID_ARGUMENT,
    message: '--user and --password must be given together',
  });
});
