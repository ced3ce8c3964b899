import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultShmDir, loadClusterConfig, loadServeConfig, parseDuration } from './config.js';
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
    shmDir: defaultShmDir(2 * 1024 ** 3),
    shmSocket: undefined,
  });
});

test('the default shm directory is /dev/shm only when it holds the memory limit, or 1 GiB without one', () => {
  const GIB = 1024 ** 3;
  const sized = (bytes: number | undefined) => (directory: string): number | undefined => (directory === '/dev/shm' ? bytes : undefined);
  assert.equal(defaultShmDir(Infinity, sized(24 * GIB)), '/dev/shm');
  assert.equal(defaultShmDir(Infinity, sized(64 * 1024 ** 2)), undefined);
  assert.equal(defaultShmDir(8 * GIB, sized(8 * GIB)), '/dev/shm');
  assert.equal(defaultShmDir(8 * GIB, sized(4 * GIB)), undefined);
  assert.equal(defaultShmDir(100 * 1024 ** 2, sized(128 * 1024 ** 2)), '/dev/shm');
  assert.equal(defaultShmDir(Infinity, sized(undefined)), undefined);
});

test('shared memory takes the default directory unless --shm-dir or FLIGHTCACHE_SHM_DIR picks another one, or "off" private memory', () => {
  assert.equal(loadServeConfig({}, {}).shmDir, defaultShmDir(Infinity));
  assert.equal(loadServeConfig({}, { FLIGHTCACHE_SHM_DIR: '/mnt/shm' }).shmDir, '/mnt/shm');
  assert.equal(loadServeConfig({ 'shm-dir': 'off' }, { FLIGHTCACHE_SHM_DIR: '/mnt/shm' }).shmDir, undefined);
  assert.equal(loadServeConfig({}, { FLIGHTCACHE_SHM_DIR: 'OFF' }).shmDir, undefined);
  assert.equal(loadServeConfig({ 'shm-socket': '/run/fc.sock' }, {}).shmSocket, '/run/fc.sock');
  assert.equal(loadServeConfig({}, { FLIGHTCACHE_SHM_SOCKET: '/run/fc.sock' }).shmSocket, '/run/fc.sock');
  assert.throws(() => loadServeConfig({ 'shm-dir': 'shm' }, {}), {
    code: Code.INVALID_ARGUMENT,
    message: '--shm-dir must be an absolute directory path or off, got "shm"',
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
