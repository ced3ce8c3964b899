/**
 * S3 reads through a proxy the test starts in front of moto's server: Parquet and Arrow IPC objects
 * are read with HTTP Range requests (a projected Parquet read moves its column chunks and footer,
 * not the object), transient failures (503 SlowDown, reset connections) are retried with backoff up
 * to a bound named in the error, and an object replaced mid-load fails the load with ABORTED while
 * the cache keeps serving what it had.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startProcess, type StartedProcess } from '../helpers/process.js';
import { pythonScript, runPython, venvPython } from '../helpers/python.js';
import { CLI } from '../cluster/cluster-helpers.js';
import { signRequest } from '../../cache-server/loaders/s3-objects.js';
import { compareWithPyarrow, runCli } from './load-helpers.js';
import { startS3Proxy, type ProxiedRequest, type S3Proxy } from './s3-proxy.js';

let dir: string;
let sizes: Record<string, number>;
let s3: StartedProcess;
let proxy: S3Proxy;
let node: StartedProcess;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flightcache-ranged-'));
  sizes = await runPython<Record<string, number>>('ranged_fixtures.py', [dir]);
  s3 = await startProcess(venvPython(), [pythonScript('s3_server.py'), dir, 'fixtures'], /^s3 ready (http:\/\/\S+)$/, { timeoutMs: 120_000 });
  proxy = await startS3Proxy(s3.url);
  const env = { ...process.env, FLIGHTCACHE_LOG_LEVEL: 'warn', AWS_ENDPOINT_URL: proxy.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };
  node = await startProcess(process.execPath, [CLI, 'serve', '--port', '0'], /^flightcache ready (grpc:\/\/\S+)$/, { env, timeoutMs: 60_000 });
});

after(async () => {
  await node.stop();
  await proxy.close();
  await s3.stop();
  rmSync(dir, { recursive: true, force: true });
});

const load = (key: string, name: string, extra: readonly string[] = []) => runCli(['load', `s3://fixtures/${key}`, '--name', name, '--endpoint', node.url, ...extra]);

/** The GETs of one object since request number `from`. */
const getsOf = (key: string, from: number): ProxiedRequest[] => proxy.requests.slice(from).filter((r) => r.method === 'GET' && r.path === `/fixtures/${key}`);

async function assertEqual(name: string, file: string, columns: string | undefined, rows: number): Promise<void> {
  const compared = await compareWithPyarrow(node.url, name, file.endsWith('.arrow') ? 'ipc' : 'parquet', join(dir, file), columns ? ['--columns', columns] : []);
  assert.deepEqual([compared.equal, compared.rows], [true, rows], compared.detail);
}

test('a projected Parquet load from S3 fetches the footer and that column chunk of each row group in ranges, not the object', async () => {
  const from = proxy.requests.length;
  const run = await load('wide.parquet', 'wide', ['--columns', 'c3']);
  assert.equal(run.code, 0, run.stderr);
  await assertEqual('wide', 'wide.parquet', 'c3', 100_000);
  const gets = getsOf('wide.parquet', from);
  assert.deepEqual(gets.filter((g) => g.range === undefined), [], 'every GET of the object asks for a range');
  const moved = gets.reduce((sum, g) => sum + g.bytes, 0);
  // One of eight float64 columns: 800,000 bytes of values at least, far below the 7.9 MB object.
  assert.ok(moved >= 800_000 && moved < sizes['wide.parquet']! / 6, `${moved} bytes of ${sizes['wide.parquet']} moved`);
});

test('an Arrow IPC file from S3 is read in ranged windows, each byte once', async () => {
  const from = proxy.requests.length;
  const run = await load('wide.arrow', 'wide-ipc');
  assert.equal(run.code, 0, run.stderr);
  await assertEqual('wide-ipc', 'wide.arrow', undefined, 100_000);
  const gets = getsOf('wide.arrow', from);
  assert.deepEqual(gets.filter((g) => g.range === undefined), []);
  assert.ok(gets.reduce((sum, g) => sum + g.bytes, 0) <= sizes['wide.arrow']!, 'no byte is fetched twice');
});

test('503 SlowDown answers and reset connections are retried, and the load completes equal to pyarrow', async () => {
  for (const fault of ['slowdown', 'reset'] as const) {
    const from = proxy.requests.length;
    proxy.fail(3, fault);
    const run = await load('wide.parquet', 'retried', ['--columns', 'c0,c5']);
    assert.equal(run.code, 0, `${fault}: ${run.stderr}`);
    assert.equal(proxy.requests.slice(from).filter((r) => r.failed).length, 3);
    await assertEqual('retried', 'wide.parquet', 'c0,c5', 100_000);
  }
});

test('when the attempts run out the load fails UNAVAILABLE naming how many were made, and the cache is unchanged', async () => {
  proxy.before((req) => req.headers.range !== undefined && req.url === '/fixtures/wide.parquet', async () => proxy.fail(1_000, 'slowdown'));
  const run = await load('wide.parquet', 'wide', ['--columns', 'c0']);
  proxy.fail(0, 'slowdown');
  assert.equal(node.stderr().includes('Error'), false, node.stderr());
  assert.match(run.stderr, /^flightcache: UNAVAILABLE: s3:\/\/fixtures\/wide\.parquet bytes \d+-\d+: SlowDown \(HTTP 503\) \(gave up after 5 attempts\)\n$/);
  assert.equal(run.code, 1);
  await assertEqual('wide', 'wide.parquet', 'c3', 100_000);
});

test('an object replaced while it loads fails the load with ABORTED (If-Match on its ETag), and the cache is unchanged', async () => {
  // Between the HEAD that opens the object and its first ranged GET, another writer replaces it.
  proxy.before(
    (req) => req.headers.range !== undefined && req.url === '/fixtures/wide.parquet',
    async () => {
      // This moto checks that requests are signed, not the signatures (it enforces IAM only when given users).
      const { headers } = signRequest({ endpoint: s3.url, region: 'us-east-1', accessKeyId: 'test', secretAccessKey: 'test' }, '/fixtures/wide.parquet', {});
      const put = await fetch(`${s3.url}/fixtures/wide.parquet`, { method: 'PUT', headers: { authorization: headers.authorization! }, body: readFileSync(join(dir, 'other.parquet')) });
      assert.equal(put.status, 200, await put.text());
    },
  );
  const run = await load('wide.parquet', 'wide', ['--columns', 'c1']);
  assert.match(run.stderr, /^flightcache: ABORTED: s3:\/\/fixtures\/wide\.parquet changed while it was read \(ETag "[0-9a-f]+" when the load opened it\); load it again\n$/);
  await assertEqual('wide', 'wide.parquet', 'c3', 100_000);
  // Loaded again, it is the new object.
  assert.equal((await load('wide.parquet', 'wide', ['--columns', 'c1'])).code, 0);
  await assertEqual('wide', 'other.parquet', 'c1', 50_000);
});
