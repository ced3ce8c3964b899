/**
 * pyarrow.flight (Arrow C++ over gRPC C++) against our server, started with the real CLI: every RPC,
 * every Arrow type pyarrow writes, batches over 64 MiB, auth, error codes, and request limits.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startProcess, type StartedProcess } from '../helpers/process.js';
import { isProbeError, repoRoot, runPython, runProbe, type ProbeCredentials, type InteropReport, type GetResult, probeValue, assertBearerAuth } from '../helpers/python.js';

const CREDS: ProbeCredentials = { user: 'alice', password: 's3cret' };
const CLI = join(repoRoot(), 'dist', 'cache-server', 'cli', 'main.js');


/** Runs the CLI to completion. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Starts `flightcache serve` on a free port and runs `body` against it; the server must exit 0 on SIGTERM. */
async function withServer(args: string[], body: (url: string, server: StartedProcess) => Promise<void>): Promise<void> {
  const server = await startProcess(process.execPath, [CLI, 'serve', '--port', '0', ...args], /^flightcache ready (grpc:\/\/\S+)$/, {
    env: { ...process.env, FLIGHTCACHE_LOG_LEVEL: 'warn' },
  });
  try {
    await body(server.url, server);
  } finally {
    const status = await server.stop();
    assert.deepEqual(status, { code: 0, signal: null }, `server did not exit cleanly on SIGTERM: ${server.stderr()}`);
  }
}


test('pyarrow passes the whole interop scenario against our server, including a batch over 64 MiB', async () => {
  await withServer([], async (url) => {
    const report = probeValue(await runProbe<InteropReport>(url, ['interop', '--large']));
    assert.deepEqual(report.failed, [], JSON.stringify(report.checks, null, 2));
    assert.equal(report.passed, 18);
    assert.deepEqual(report.cleanup_errors, []);
  });
});

test('with credentials pyarrow authenticates with Basic -> Bearer and is refused without a token', async () => {
  await withServer(['--user', CREDS.user, '--password', CREDS.password], async (url) => {
    const report = probeValue(await runProbe<InteropReport>(url, ['interop'], CREDS));
    assert.deepEqual(report.failed, [], JSON.stringify(report.checks, null, 2));
    assert.equal(report.passed, 21);
    await assertBearerAuth(url, CREDS, /^Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  });
});

test('the CLI puts an IPC file that pyarrow wrote and gets back the same rows; pyarrow sees precise errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flightcache-cli-'));
  try {
    const file = join(dir, 'all.arrows');
    await runPython('all_types.py', ['all_types', file]);
    await withServer([], async (url) => {
      const run = async (args: string[]): Promise<string> => {
        const result = await cli([...args, '--endpoint', url]);
        assert.equal(result.code, 0, result.stderr);
        return result.stdout.trimEnd();
      };
      assert.equal(await run(['put', file, '--name', 'all']), 'put all: 8 rows in 1 batches');
      const got = probeValue(await runProbe<GetResult>(url, ['get', 'all', '--expect-file', file]));
      assert.equal(got.equal, true, got.detail);
      const out = join(dir, 'back.arrows');
      assert.match(await run(['get', 'all', '--out', out]), /^all: 8 rows in 1 record batches and 1 dictionary batches, 3\.\d KiB written to /);
      const back = probeValue(await runProbe<GetResult>(url, ['put', 'back', '--file', out]));
      assert.equal(back.digest, got.digest);
      assert.deepEqual((await run(['ls'])).split('\n'), ['NAME  ROWS  BYTES', 'all   8     9.5 KiB', 'back  8     9.5 KiB']);
      const stats = JSON.parse(await run(['stats'])) as { rows: number; datasets: Array<{ name: string }> };
      assert.equal(stats.rows, 16);
      assert.equal(await run(['drop', 'back']), 'dropped back');
      assert.deepEqual(await cli(['get', 'back', '--endpoint', url]), {
        code: 1,
        stdout: '',
        stderr: 'flightcache: NOT_FOUND: unknown dataset "back"\n',
      });
      const unknown = await runProbe(url, ['info', 'nope']);
      assert.ok(isProbeError(unknown));
      assert.equal(unknown.error.type, 'ArrowKeyError');
      assert.match(unknown.error.message, /unknown dataset "nope"/);
      const ticket = await runProbe(url, ['doget', 'not-a-ticket']);
      assert.ok(isProbeError(ticket));
      assert.equal(ticket.error.type, 'ArrowInvalid');
      assert.match(ticket.error.message, /malformed ticket/);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pyarrow lists actions, reads stats and health, gets UNIMPLEMENTED for DoExchange and unknown actions, and INVALID_ARGUMENT for a non-JSON command', async () => {
  await withServer([], async (url) => {
    interface ErrorOf {
      type: string;
      message: string;
    }
    const out = await runPython<{
      actions: string[];
      stats: { datasets: Array<{ name: string; rows: number }>; rows: number };
      health: { status: string };
      exchange: ErrorOf;
      unknown_action: ErrorOf;
      command: ErrorOf;
    }>('rpc_extras.py', [url]);
    assert.deepEqual(out.actions, ['drop', 'stats', 'health', 'fetch', 'describe', 'select', 'same-host', 'load', 'tombstone', 'tombstones', 'CreatePreparedStatement', 'ClosePreparedStatement']);
    assert.deepEqual(out.stats.datasets.map((d) => [d.name, d.rows]), [['extras', 3]]);
    assert.equal(out.stats.rows, 3);
    assert.equal(out.health.status, 'ok');
    assert.equal(out.exchange.type, 'ArrowNotImplementedError');
    assert.match(out.exchange.message, /DoExchange is not supported by a cache node/);
    assert.equal(out.unknown_action.type, 'ArrowNotImplementedError');
    assert.match(out.unknown_action.message, /unknown action "explode"; known actions: drop, stats, health, fetch/);
    assert.equal(out.command.type, 'ArrowInvalid');
    assert.match(out.command.message, /command descriptor must be a UTF-8 JSON object such as \{"dataset":"name","rank":0,"world_size":2\}/);
  });
});


test('pyarrow gets RESOURCE_EXHAUSTED naming --max-message and --max-request for oversized requests; the server still round trips', async () => {
  await withServer(['--max-message', '64MiB', '--max-request', '64KiB'], async (url) => {
    const put = await runProbe(url, ['put', 'large', '--variant', 'large']);
    assert.ok(isProbeError(put));
    // pyarrow names the status in the message; its debug context (grpc_status) is not always there.
    assert.match(put.error.message, /^gRPC returned resource exhausted error, with message: gRPC message of \d+ bytes exceeds the maximum message size of 67108864 bytes: DoPut requests are limited by --max-message \(FLIGHTCACHE_MAX_MESSAGE\)/);
    const action = await runProbe(url, ['action', 'stats', 'x'.repeat(80_000)]);
    assert.ok(isProbeError(action));
    assert.match(action.error.message, /^gRPC returned resource exhausted error, with message: gRPC message of 80011 bytes exceeds the maximum message size of 65536 bytes: DoAction requests are limited by --max-request \(FLIGHTCACHE_MAX_REQUEST\)/);
    const info = await runProbe(url, ['info', 'large']);
    assert.ok(isProbeError(info));
    assert.match(info.error.message, /unknown dataset "large"/);
    const roundtrip = probeValue(await runProbe<{ equal: boolean; detail?: string }>(url, ['roundtrip', 'all_types']));
    assert.equal(roundtrip.equal, true, roundtrip.detail);
  });
});

/** Runs `flightcache hash-password` with `password` on stdin and returns the hash it prints. */
function hashWithCli(password: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [CLI, 'hash-password'], { timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout.trim()),
    );
    child.stdin!.end(`${password}\n`);
  });
}

test('pyarrow with users of a --credentials-file (hashes from hash-password): a token for one dataset reads it and is refused another', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flightcache-users-'));
  try {
    const users = { reader: { password: await hashWithCli('r-pass'), read: ['open'] }, loader: { password: await hashWithCli('l-pass'), read: ['*'], write: ['*'] } };
    assert.match(users.reader.password, /^scrypt\$16384\$8\$1\$/);
    writeFileSync(join(dir, 'users.json'), JSON.stringify({ users }));
    writeFileSync(join(dir, 'cluster.key'), 'k'.repeat(44) + '\n');
    await withServer(['--credentials-file', join(dir, 'users.json'), '--auth-key-file', join(dir, 'cluster.key')], async (url) => {
      const loader = { user: 'loader', password: 'l-pass' };
      const reader = { user: 'reader', password: 'r-pass' };
      for (const name of ['open', 'closed']) assert.equal(isProbeError(await runProbe(url, ['put', name, '--variant', 'all_types'], loader)), false);
      const got = probeValue(await runProbe<GetResult>(url, ['get', 'open', '--expect', 'all_types'], reader));
      assert.equal(got.equal, true, got.detail);
      const closed = await runProbe(url, ['info', 'closed'], reader);
      assert.ok(isProbeError(closed));
      assert.match(closed.error.message, /user "reader" may not read dataset "closed"; its scopes: read \[open\], write \[\], no admin/);
      const put = await runProbe(url, ['put', 'open', '--variant', 'all_types'], reader);
      assert.ok(isProbeError(put));
      assert.match(put.error.message, /user "reader" may not write dataset "open"/);
      const wrong = await runProbe(url, ['handshake'], { user: 'reader', password: 'l-pass' });
      assert.ok(isProbeError(wrong));
      assert.match(wrong.error.message, /wrong user or password/);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
