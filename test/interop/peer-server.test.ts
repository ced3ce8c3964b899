/**
 * Proves the Python probes against the pyarrow reference peer (test/python/peer_server.py).
 * The same probes are meant to run against flightcache's own server: swap startTarget.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { startProcess, type StartedProcess } from '../helpers/process.js';
import { isProbeError, pythonScript, runPython, runProbe, venvPython, type ProbeCredentials, type InteropReport, type GetResult, probeValue, assertBearerAuth } from '../helpers/python.js';

const CREDS: ProbeCredentials = { user: 'alice', password: 's3cret' };


function startTarget(extraArgs: string[] = []): Promise<StartedProcess> {
  return startProcess(venvPython(), [pythonScript('peer_server.py'), '--port', '0', ...extraArgs], /^peer ready (grpc:\/\/\S+)$/);
}

async function withTarget(extraArgs: string[], body: (url: string) => Promise<void>): Promise<void> {
  const server = await startTarget(extraArgs);
  try {
    await body(server.url);
  } finally {
    const status = await server.stop();
    assert.deepEqual(status, { code: 0, signal: null }, `server did not exit cleanly on SIGTERM: ${server.stderr()}`);
  }
}


test('the interop scenario passes every check against the pyarrow peer', async () => {
  await withTarget([], async (url) => {
    const report = probeValue(await runProbe<InteropReport>(url, ['interop']));
    assert.deepEqual(report.failed, [], JSON.stringify(report.checks, null, 2));
    assert.equal(report.passed, 17);
    assert.deepEqual(report.cleanup_errors, []);
    assert.deepEqual(probeValue(await runProbe<{ flights: unknown[] }>(url, ['list'])).flights, []);
  });
});

test('the interop scenario with credentials also passes the authentication checks', async () => {
  await withTarget(['--user', CREDS.user, '--password', CREDS.password], async (url) => {
    const report = probeValue(await runProbe<InteropReport>(url, ['interop'], CREDS));
    assert.deepEqual(report.failed, [], JSON.stringify(report.checks, null, 2));
    assert.equal(report.passed, 21);
    for (const name of ['auth.missing_token_rejected', 'auth.wrong_password_rejected', 'auth.forged_token_rejected']) {
      assert.equal(report.checks[name]?.pass, true, name);
    }
  });
});

test('handshake returns a bearer token and a wrong password is unauthenticated', async () => {
  await withTarget(['--user', CREDS.user, '--password', CREDS.password], async (url) => {
    await assertBearerAuth(url, CREDS, /^Bearer \S+$/);
  });
});

test('a batch over 64 MiB round trips unchanged', async () => {
  await withTarget([], async (url) => {
    const out = probeValue(await runProbe<{ equal: boolean; detail: string; received_batches: number[] }>(url, ['roundtrip', 'large']));
    assert.equal(out.equal, true, out.detail);
    assert.deepEqual(out.received_batches, [9_000_000]);
  });
});

test('an IPC file written by all_types.py is preloaded, put, listed, described and dropped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flightcache-peer-'));
  try {
    const file = join(dir, 'batches.arrows');
    const written = await runPython<{ rows: number; batches: number[] }>('all_types.py', ['batches', file]);
    assert.deepEqual(written, { variant: 'batches', path: file, rows: 32, batches: [10, 0, 12, 10] });
    await withTarget(['--load', `pre=${file}`], async (url) => {
      const pre = probeValue(await runProbe<GetResult>(url, ['get', 'pre', '--expect', 'batches']));
      assert.equal(pre.equal, true, pre.detail);
      assert.deepEqual(pre.batches, [10, 0, 12, 10]);

      const put = probeValue(await runProbe<GetResult>(url, ['put', 'copy', '--file', file]));
      const got = probeValue(await runProbe<GetResult>(url, ['get', 'copy', '--expect-file', file]));
      assert.equal(got.equal, true, got.detail);
      assert.equal(got.digest, put.digest);
      assert.equal(got.digest, pre.digest);

      const listed = probeValue(await runProbe<{ flights: { path: string[]; total_records: number }[] }>(url, ['list']));
      assert.deepEqual(listed.flights.map((f) => [f.path, f.total_records]), [[['pre'], 32], [['copy'], 32]]);

      const info = probeValue(await runProbe<{ endpoints: { ticket: string; locations: string[] }[] }>(url, ['info', 'copy']));
      assert.deepEqual(info.endpoints, [{ ticket: 'copy', locations: [] }]);
      const raw = probeValue(await runProbe<GetResult>(url, ['doget', info.endpoints[0]!.ticket]));
      assert.equal(raw.digest, put.digest);

      const schema = probeValue(await runProbe<{ fields: string[]; metadata: Record<string, string> }>(url, ['schema', 'copy']));
      assert.equal(schema.fields.length, 47);
      assert.equal(schema.metadata['flightcache.test'], 'all_types');

      assert.deepEqual(probeValue(await runProbe(url, ['action', 'drop', 'copy'])), { type: 'drop', results: ['copy'] });
      const gone = await runProbe(url, ['info', 'copy']);
      assert.ok(isProbeError(gone));
      assert.equal(gone.error.type, 'ArrowKeyError');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
