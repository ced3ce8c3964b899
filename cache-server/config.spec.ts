import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_REQUEST_BYTES, loadClusterConfig, loadServeConfig, parseDuration, requestLimits } from './config.js';
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
    requestLimits: requestLimits(),
  });
});

test('request limits default to 256 MiB for DoPut messages and 4 MiB for the others, each naming its setting', () => {
  assert.equal(DEFAULT_MAX_MESSAGE_BYTES, 256 * 1024 ** 2);
  assert.equal(DEFAULT_MAX_REQUEST_BYTES, 4 * 1024 ** 2);
  assert.deepEqual(loadServeConfig({}, {}).requestLimits, {
    data: { bytes: 256 * 1024 ** 2, raisedBy: '--max-message (FLIGHTCACHE_MAX_MESSAGE)' },
    control: { bytes: 4 * 1024 ** 2, raisedBy: '--max-request (FLIGHTCACHE_MAX_REQUEST)' },
  });
});

test('--max-message and --max-request come from flags, else FLIGHTCACHE_MAX_MESSAGE / FLIGHTCACHE_MAX_REQUEST', () => {
  const fromEnv = loadServeConfig({}, { FLIGHTCACHE_MAX_MESSAGE: '1GiB', FLIGHTCACHE_MAX_REQUEST: '1MiB' }).requestLimits;
  assert.deepEqual([fromEnv.data.bytes, fromEnv.control.bytes], [1024 ** 3, 1024 ** 2]);
  const fromFlags = loadServeConfig({ 'max-message': '64MiB', 'max-request': '128KiB' }, { FLIGHTCACHE_MAX_MESSAGE: '1GiB' }).requestLimits;
  assert.deepEqual([fromFlags.data.bytes, fromFlags.control.bytes], [64 * 1024 ** 2, 128 * 1024]);
});

test('request limits outside 64 KiB..2 GiB-1 are rejected naming the setting', () => {
  assert.throws(() => loadServeConfig({ 'max-message': '2GiB' }, {}), {
    code: Code.INVALID_ARGUMENT,
    message: '--max-message must be between 65536 and 2147483647 bytes, got "2GiB" (2147483648 bytes)',
  });
  assert.throws(() => loadServeConfig({}, { FLIGHTCACHE_MAX_REQUEST: '1K' }), {
    code: Code.INVALID_ARGUMENT,
    message: '--max-request must be between 65536 and 2147483647 bytes, got "1K" (1024 bytes)',
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

test('durations take milliseconds, seconds, minutes and hours, and a bare number as seconds', () => {
  assert.deepEqual(
    ['500ms', '30s', '2m', '1h', '45', '1.5s', ' 10S '].map((text) => parseDuration(text, '--replace-after')),
    [500, 30_000, 120_000, 3_600_000, 45_000, 1500, 10_000],
  );
});

test('a duration of 0 or off means never', () => {
  assert.deepEqual(['0', '0s', 'off', 'OFF'].map((text) => parseDuration(text, '--replace-after')), [0, 0, 0, 0]);
});

test('--replace-after comes from the flag, else FLIGHTCACHE_REPLACE_AFTER, else is left to the coordinator', () => {
  assert.equal(loadClusterConfig({ 'replace-after': '2m' }, { FLIGHTCACHE_REPLACE_AFTER: '5s' }).replaceAfterMs, 120_000);
  assert.equal(loadClusterConfig({}, { FLIGHTCACHE_REPLACE_AFTER: '5s' }).replaceAfterMs, 5000);
  assert.equal(loadClusterConfig({}, {}).replaceAfterMs, undefined);
});

test('a malformed duration is an invalid argument naming the setting and the value', () => {
  for (const bad of ['', 'soon', '-5s', '5 days', '1d', '30s5', '1e3s', '999999999h']) {
    assert.throws(() => parseDuration(bad, '--replace-after'), {
      code: Code.INVALID_ARGUMENT,
      message: `--replace-after must be a duration such as 30s, 2m or 500ms (0 or off: never), got "${bad}"`,
    });
  }
});
