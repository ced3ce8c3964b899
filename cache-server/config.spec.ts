import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import {
  loadLogLevel,
  loadEventRateLimit,
  cgroupMemoryLimit,
  defaultMemoryBytes,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_REQUEST_BYTES,
  defaultShmDir,
  loadAuth,
  loadClusterConfig,
  loadClientTls,
  loadServeConfig,
  parseDuration,
  requestLimits,
} from './config.js';
import { Code } from '../client/src/flight/errors.js';

test('flags win over environment variables, which win over defaults', () => {
  const config = loadServeConfig({ port: '9000' }, { FLIGHTCACHE_PORT: '9100', FLIGHTCACHE_HOST: '0.0.0.0', FLIGHTCACHE_MEMORY: '2GiB' });
  assert.deepEqual(config, {
    host: '0.0.0.0',
    port: 9000,
    memoryBytes: 2 * 1024 ** 3,
    httpPort: undefined,
    credentials: undefined,
    credentialsFile: undefined,
    authKeys: undefined,
    httpHost: undefined,
    advertiseHost: undefined,
    defaultDataset: undefined,
    requestLimits: requestLimits(),
    maxStreams: 128,
    shmDir: defaultShmDir(2 * 1024 ** 3),
    shmSocket: undefined,
    spillDir: undefined,
    tls: undefined,
  });
});

test('TLS files come from --tls-cert/--tls-key/--tls-ca, else FLIGHTCACHE_TLS_CERT/KEY/CA; cert and key go together', () => {
  const env = { FLIGHTCACHE_TLS_CERT: '/env/cert.pem', FLIGHTCACHE_TLS_KEY: '/env/key.pem', FLIGHTCACHE_TLS_CA: '/env/ca.pem' };
  assert.deepEqual(loadServeConfig({}, env).tls, { cert: '/env/cert.pem', key: '/env/key.pem', ca: '/env/ca.pem' });
  assert.deepEqual(loadServeConfig({ 'tls-cert': '/c.pem', 'tls-key': '/k.pem' }, {}).tls, { cert: '/c.pem', key: '/k.pem' });
  const message = '--tls-cert and --tls-key (FLIGHTCACHE_TLS_CERT, FLIGHTCACHE_TLS_KEY) must be given together; --tls-ca needs both';
  assert.throws(() => loadServeConfig({ 'tls-cert': '/c.pem' }, {}), { code: Code.INVALID_ARGUMENT, message });
  assert.throws(() => loadServeConfig({ 'tls-ca': '/ca.pem' }, {}), { code: Code.INVALID_ARGUMENT, message });
  assert.throws(() => loadClientTls({ 'tls-ca': '/nonexistent/ca.pem' }, {}), { code: Code.INVALID_ARGUMENT, message: '--tls-ca /nonexistent/ca.pem cannot be read' });
  assert.equal(loadClientTls({}, {}), undefined);
});

test('--log-level comes from the flag, else FLIGHTCACHE_LOG_LEVEL, else info, and must be a level pino knows', () => {
  assert.equal(loadLogLevel({ 'log-level': 'warn' }, { FLIGHTCACHE_LOG_LEVEL: 'debug' }), 'warn');
  assert.equal(loadLogLevel({}, { FLIGHTCACHE_LOG_LEVEL: 'debug' }), 'debug');
  assert.equal(loadLogLevel({}, {}), 'info');
  assert.throws(() => loadLogLevel({ 'log-level': 'WARN' }, {}), {
    code: Code.INVALID_ARGUMENT,
    message: '--log-level (FLIGHTCACHE_LOG_LEVEL) must be one of fatal, error, warn, info, debug, trace, silent, got "WARN"',
  });
});

test('--log-rate-limit is LINES/INTERVAL from the flag, else FLIGHTCACHE_LOG_RATE_LIMIT, else 5/10s; off turns it off', () => {
  assert.deepEqual(loadEventRateLimit({ 'log-rate-limit': '3/500ms' }, { FLIGHTCACHE_LOG_RATE_LIMIT: '9/1m' }), { lines: 3, intervalMs: 500 });
  assert.deepEqual(loadEventRateLimit({}, { FLIGHTCACHE_LOG_RATE_LIMIT: '9/1m' }), { lines: 9, intervalMs: 60_000 });
  assert.deepEqual(loadEventRateLimit({}, {}), { lines: 5, intervalMs: 10_000 });
  assert.equal(loadEventRateLimit({ 'log-rate-limit': 'off' }, {}), undefined);
  for (const bad of ['5', '0/1s', '5/0', '5/1s/2', 'x/1s']) {
    assert.throws(() => loadEventRateLimit({ 'log-rate-limit': bad }, {}), {
      code: Code.INVALID_ARGUMENT,
      message: `--log-rate-limit (FLIGHTCACHE_LOG_RATE_LIMIT) must be LINES/INTERVAL such as 5/10s, or off, got "${bad}"`,
    });
  }
});

test('--max-streams comes from the flag, else FLIGHTCACHE_MAX_STREAMS, and must be 1-65535', () => {
  assert.equal(loadServeConfig({ 'max-streams': '16' }, { FLIGHTCACHE_MAX_STREAMS: '32' }).maxStreams, 16);
  assert.equal(loadServeConfig({}, { FLIGHTCACHE_MAX_STREAMS: '32' }).maxStreams, 32);
  assert.throws(() => loadServeConfig({ 'max-streams': '0' }, {}), {
    code: Code.INVALID_ARGUMENT,
    message: '--max-streams must be an integer 1-65535, got "0"',
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
  assert.equal(loadServeConfig({}, {}).shmDir, defaultShmDir(defaultMemoryBytes()));
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

test('the disk tier is off unless --spill-dir or FLIGHTCACHE_SPILL_DIR names an existing absolute directory', () => {
  const dir = tmpdir();
  assert.equal(loadServeConfig({}, {}).spillDir, undefined);
  assert.equal(loadServeConfig({ 'spill-dir': dir }, { FLIGHTCACHE_SPILL_DIR: '/elsewhere' }).spillDir, dir);
  assert.equal(loadServeConfig({}, { FLIGHTCACHE_SPILL_DIR: dir }).spillDir, dir);
  for (const bad of ['spill', join(dir, 'no-such-dir-for-flightcache')]) {
    assert.throws(() => loadServeConfig({ 'spill-dir': bad }, {}), {
      code: Code.INVALID_ARGUMENT,
      message: `--spill-dir must be the absolute path of an existing directory, got "${bad}"`,
    });
  }
});

test('the default dataset comes from --default-dataset or FLIGHTCACHE_DEFAULT_DATASET', () => {
  assert.equal(loadServeConfig({}, { FLIGHTCACHE_DEFAULT_DATASET: 'train' }).defaultDataset, 'train');
  assert.equal(loadServeConfig({ 'default-dataset': 'eval' }, { FLIGHTCACHE_DEFAULT_DATASET: 'train' }).defaultDataset, 'eval');
});

test('defaults are 127.0.0.1:8815, 80% of the cgroup limit or physical memory, and no auth', () => {
  const config = loadServeConfig({}, {});
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 8815);
  assert.equal(config.memoryBytes, Math.floor(0.8 * Math.min(cgroupMemoryLimit() ?? Infinity, totalmem())));
  assert.equal(config.credentials, undefined);
});

test('the default memory limit is 80% of the smaller of the cgroup limit and physical memory', () => {
  assert.equal(defaultMemoryBytes(10 * 1024 ** 3, 64 * 1024 ** 3), 8 * 1024 ** 3);
  assert.equal(defaultMemoryBytes(undefined, 10 * 1024 ** 3), 8 * 1024 ** 3);
  assert.equal(defaultMemoryBytes(64 * 1024 ** 3, 10 * 1024 ** 3), 8 * 1024 ** 3);
});

const fakeRoots: string[] = [];
after(() => fakeRoots.forEach((root) => rmSync(root, { recursive: true, force: true })));

/** A fake /sys/fs/cgroup and /proc/self/cgroup holding `files` (paths relative to the root). */
function fakeCgroup(procCgroup: string, files: Record<string, string>): { root: string; proc: string } {
  const root = mkdtempSync(join(tmpdir(), 'cgroup-'));
  fakeRoots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  writeFileSync(join(root, 'proc-self-cgroup'), procCgroup);
  return { root, proc: join(root, 'proc-self-cgroup') };
}

test('the cgroup limit is read from v2 memory.max of the process cgroup, else of the mount root', () => {
  const own = fakeCgroup('0::/pods/a\n', { 'pods/a/memory.max': '2147483648\n', 'memory.max': '999\n' });
  assert.equal(cgroupMemoryLimit(own.root, own.proc), 2 ** 31);
  const namespaced = fakeCgroup('0::/pods/a\n', { 'memory.max': '1073741824\n' });
  assert.equal(cgroupMemoryLimit(namespaced.root, namespaced.proc), 2 ** 30);
  const unlimited = fakeCgroup('0::/\n', { 'memory.max': 'max\n' });
  assert.equal(cgroupMemoryLimit(unlimited.root, unlimited.proc), undefined);
});

test('the cgroup limit is read from v1 memory.limit_in_bytes, and v1 "no limit" (about 2^63) is none', () => {
  const v1 = fakeCgroup('4:memory:/docker/x\n0::/\n', { 'memory/docker/x/memory.limit_in_bytes': '536870912\n' });
  assert.equal(cgroupMemoryLimit(v1.root, v1.proc), 2 ** 29);
  const none = fakeCgroup('4:cpu,memory:/x\n', { 'memory/x/memory.limit_in_bytes': '9223372036854771712\n' });
  assert.equal(cgroupMemoryLimit(none.root, none.proc), undefined);
  const absent = fakeCgroup('', {});
  assert.equal(cgroupMemoryLimit(absent.root, absent.proc), undefined);
});

test('a port out of range is rejected naming the flag', () => {
  assert.throws(() => loadServeConfig({ port: '70000' }, {}), {
    code: Code.INVALID_ARGUMENT,
    message: '--port must be a port number 0-65535, got "70000"',
  });
});

test('signing keys come from --auth-key-file, else FLIGHTCACHE_AUTH_KEY_FILE, else the key in FLIGHTCACHE_AUTH_KEY', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keys-'));
  fakeRoots.push(dir);
  writeFileSync(join(dir, 'a'), `${'a'.repeat(32)}\n${'o'.repeat(32)}\n`);
  writeFileSync(join(dir, 'b'), 'b'.repeat(32));
  const text = (keys: Buffer[] | undefined): string[] | undefined => keys?.map(String);
  assert.deepEqual(text(loadServeConfig({ 'auth-key-file': join(dir, 'a') }, { FLIGHTCACHE_AUTH_KEY_FILE: join(dir, 'b') }).authKeys), ['a'.repeat(32), 'o'.repeat(32)]);
  assert.deepEqual(text(loadServeConfig({}, { FLIGHTCACHE_AUTH_KEY_FILE: join(dir, 'b'), FLIGHTCACHE_AUTH_KEY: 'k'.repeat(32) }).authKeys), ['b'.repeat(32)]);
  assert.deepEqual(text(loadServeConfig({}, { FLIGHTCACHE_AUTH_KEY: 'k'.repeat(32) }).authKeys), ['k'.repeat(32)]);
  assert.throws(() => loadServeConfig({ 'auth-key-file': join(dir, 'missing') }, {}), { code: Code.INVALID_ARGUMENT, message: /^cannot read --auth-key-file / });
});

test('auth is off without users, on with --user/--password or a credentials file', () => {
  assert.equal(loadAuth(loadServeConfig({}, {})), undefined);
  assert.ok(loadAuth(loadServeConfig({ user: 'a', password: 'b' }, {})));
  assert.throws(() => loadAuth(loadServeConfig({ 'credentials-file': '/nonexistent/creds.json' }, {})), {
    code: Code.INVALID_ARGUMENT,
    message: /^cannot read credentials file \/nonexistent\/creds\.json: /,
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

test('--leader-lease makes a coordinator active/standby on that Lease: namespace and identity default to the pod\'s, the lease to 3 s', () => {
  assert.equal(loadClusterConfig({}, {}).leaderLease, undefined);
  assert.deepEqual(loadClusterConfig({ 'leader-lease': 'c', 'leader-namespace': 'ml', 'leader-identity': 'c-0', 'leader-lease-duration': '5s', kubeconfig: '/k' }, { POD_NAMESPACE: 'x', POD_NAME: 'y' }).leaderLease, {
    name: 'c',
    namespace: 'ml',
    identity: 'c-0',
    leaseSeconds: 5,
    kubeconfig: '/k',
  });
  assert.deepEqual(loadClusterConfig({}, { FLIGHTCACHE_LEADER_LEASE: 'c', POD_NAMESPACE: 'ml', POD_NAME: 'c-1' }).leaderLease, { name: 'c', namespace: 'ml', identity: 'c-1', leaseSeconds: 3 });
  const anywhere = loadClusterConfig({ 'leader-lease': 'c' }, {}).leaderLease!;
  assert.deepEqual([anywhere.namespace, anywhere.identity.startsWith(`${hostname()}_`)], ['default', true]);
  assert.throws(() => loadClusterConfig({ 'leader-lease': 'c', 'leader-lease-duration': '1500ms' }, {}), {
    code: Code.INVALID_ARGUMENT,
    message: '--leader-lease-duration must be whole seconds, at least 1s, got "1500ms"',
  });
  assert.throws(() => loadClusterConfig({ kubeconfig: '/k', 'leader-namespace': 'ml' }, {}), {
    code: Code.INVALID_ARGUMENT,
    message: '--kubeconfig, --leader-namespace need --leader-lease NAME (FLIGHTCACHE_LEADER_LEASE)',
  });
});
