/**
 * TLS and mTLS as pyarrow.flight (gRPC C++), the flightcache Python package and the TS client see
 * them, against the real CLI with certificates made by openssl: a single node over TLS and mTLS, the
 * refusals (no client certificate, a certificate of another CA, a server of another CA), and a
 * `serve --shards 3 --replicas 2` cluster whose every hop is mTLS.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ClusterStats } from '../../cache-server/cluster/cluster-actions.js';
import { Code } from '../../client/src/flight/errors.js';
import type { NodeStats } from '../../cache-server/node/node-actions.js';
import { FlightClient } from '../../client/src/flight-client.js';
import { makeTestPki, type TestPki } from '../helpers/certificates.js';
import { rejectsWith } from '../helpers/flight.js';
import { startProcess, type StartedProcess } from '../helpers/process.js';
import { waitFor } from '../cluster/cluster-helpers.js';
import { isProbeError, probeValue, repoRoot, runProbe, runPython, type GetResult } from '../helpers/python.js';

const CLI = join(repoRoot(), 'dist', 'cache-server', 'cli', 'main.js');
const READY = /^flightcache ready (grpc\+tls:\/\/\S+)$/;

const run = promisify(execFile);

process.env.PYTHONPATH = join(repoRoot(), 'client', 'python', 'src');

let pki: TestPki;
before(() => (pki = makeTestPki()));
after(() => pki.remove());

/** The server flags of the test node certificate, with --tls-ca when clients must present certificates. */
function serverTls(mtls: boolean): string[] {
  return ['--tls-cert', pki.node.cert, '--tls-key', pki.node.key, ...(mtls ? ['--tls-ca', pki.ca.cert] : [])];
}

/** Runs `flightcache serve` with `args` and `body` against it; the server must exit 0 on SIGTERM. */
async function withServer(args: string[], body: (url: string) => Promise<void>): Promise<void> {
  const server: StartedProcess = await startProcess(process.execPath, [CLI, 'serve', '--port', '0', ...args], READY, {
    env: { ...process.env, FLIGHTCACHE_LOG_LEVEL: 'warn' },
    timeoutMs: 60_000,
  });
  try {
    await body(server.url);
  } finally {
    assert.deepEqual(await server.stop(), { code: 0, signal: null }, server.stderr());
  }
}

/** Probe flags trusting `ca`, with a client certificate when given. */
function probeTls(ca: string, client?: { cert: string; key: string }): string[] {
  return ['--tls-ca', ca, ...(client ? ['--tls-cert', client.cert, '--tls-key', client.key] : [])];
}

/** Asserts a probe was refused with FlightUnavailableError (a failed TLS handshake). */
function assertRefused(result: unknown): void {
  assert.ok(isProbeError(result), `expected a refusal, got ${JSON.stringify(result)}`);
  assert.equal(result.error.type, 'FlightUnavailableError', JSON.stringify(result.error));
}

test('pyarrow round-trips every Arrow type over grpc+tls:// and refuses a server whose CA it does not trust', async () => {
  await withServer(serverTls(false), async (url) => {
    const roundtrip = probeValue(await runProbe<{ equal: boolean; detail?: string; endpoints: number }>(url, [...probeTls(pki.ca.cert), 'roundtrip', 'all_types']));
    assert.equal(roundtrip.equal, true, roundtrip.detail);
    assertRefused(await runProbe(url, [...probeTls(pki.wrongCa.cert), 'list']));
  });
});

test('under mTLS pyarrow and the CLI with a certificate of the CA read exact data; without one or with another CA\'s they are refused', async () => {
  await withServer(serverTls(true), async (url) => {
    const put = await runProbe(url, [...probeTls(pki.ca.cert, pki.client), 'put', 'm', '--variant', 'all_types']);
    assert.equal(isProbeError(put), false, JSON.stringify(put));
    const got = probeValue(await runProbe<GetResult>(url, [...probeTls(pki.ca.cert, pki.client), 'get', 'm', '--expect', 'all_types']));
    assert.equal(got.equal, true, got.detail);
    assertRefused(await runProbe(url, [...probeTls(pki.ca.cert), 'list']));
    assertRefused(await runProbe(url, [...probeTls(pki.ca.cert, pki.wrongClient), 'list']));
    const cliTls = ['--tls-ca', pki.ca.cert, '--tls-cert', pki.client.cert, '--tls-key', pki.client.key];
    const listed = await run(process.execPath, [CLI, 'ls', '--endpoint', url, ...cliTls]);
    assert.match(listed.stdout, /^m +\d+ +/m);
    await assert.rejects(run(process.execPath, [CLI, 'ls', '--endpoint', url, '--tls-ca', pki.ca.cert]), (err: { stderr: string }) =>
      /UNAVAILABLE: TLS connection to 127\.0\.0\.1:\d+ failed \(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED\)/.test(err.stderr),
    );
    const anonymous = new FlightClient(url, { tls: { ca: pki.read(pki.ca.cert) } });
    try {
      await rejectsWith(anonymous.action('health', ''), Code.UNAVAILABLE, /^TLS connection to 127\.0\.0\.1:\d+ failed \(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED\)/);
    } finally {
      anonymous.close();
    }
  });
});

test('a 3-shard cluster (serve --shards 3 --replicas 2) runs every hop over mTLS: pyarrow and the Python package read exact data from grpc+tls:// shards, and a killed shard is refilled from its peers', async () => {
  await withServer([...serverTls(true), '--shards', '3', '--replicas', '2'], async (url) => {
    const client = probeTls(pki.ca.cert, pki.client);
    const put = await runProbe(url, [...client, 'put', 'c', '--variant', 'batches']);
    assert.equal(isProbeError(put), false, JSON.stringify(put));
    const info = probeValue(await runProbe<{ endpoints: { locations: string[] }[] }>(url, [...client, 'info', 'c']));
    const locations = new Set(info.endpoints.flatMap((e) => e.locations));
    assert.ok(locations.size >= 2, `two copies of every partition: ${[...locations].join(', ')}`);
    for (const location of locations) assert.match(location, /^grpc\+tls:\/\/127\.0\.0\.1:\d+$/);
    const got = probeValue(await runProbe<GetResult>(url, [...client, 'get', 'c', '--expect', 'batches']));
    assert.equal(got.equal, true, got.detail);
    const shard = [...locations][0]!;
    assertRefused(await runProbe(shard, [...probeTls(pki.ca.cert), 'list']));
    const fromPackage = await runPython<{ equal: boolean; detail: string; locations: string[] }>('tls_client.py', [url, 'p', pki.ca.cert, pki.client.cert, pki.client.key], {
      timeoutMs: 60_000,
    });
    assert.equal(fromPackage.equal, true, fromPackage.detail);
    assert.ok(fromPackage.locations.every((location) => location.startsWith('grpc+tls://')), fromPackage.locations.join(', '));
    // A shard killed comes back empty on its port and is refilled by shard-to-shard fetches.
    const tls = { ca: pki.read(pki.ca.cert), cert: pki.read(pki.client.cert), key: pki.read(pki.client.key) };
    const admin = new FlightClient(url, { tls });
    try {
      const victim = (await admin.action<ClusterStats>('stats')).members.find((m) => locations.has(m.location))!;
      process.kill(victim.pid!, 'SIGKILL');
      // A restarted shard can be live (new pid) a moment before the coordinator notices it came back
      // empty, so the wait is for the refill itself: the shard holding partitions of c again.
      const refilled = new FlightClient(victim.location, { tls });
      try {
        await waitFor('the killed shard to be refilled and the datasets healthy', async () => {
          const stats = await admin.action<ClusterStats>('stats');
          const member = stats.members.find((m) => m.id === victim.id)!;
          if (!(member.live && member.pid !== undefined && member.pid !== victim.pid && stats.datasets.every((d) => d.status === 'healthy'))) return undefined;
          // The shard may still be starting its listener when the coordinator already counts it live.
          const held = await refilled.action<NodeStats>('stats').then((own) => own.datasets.map((d) => d.name), () => []);
          return held.some((name) => name.startsWith('c')) ? true : undefined;
        }, 30_000);
      } finally {
        refilled.close();
      }
    } finally {
      admin.close();
    }
    const again = probeValue(await runProbe<GetResult>(url, [...client, 'get', 'c', '--expect', 'batches']));
    assert.equal(again.equal, true, again.detail);
  });
});
