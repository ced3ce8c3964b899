/**
 * `load` from `s3://` sources against a real S3-compatible server (moto's, started by the test on
 * loopback): the node (and a 3-shard cluster's shards) list and download the objects themselves,
 * with SigV4-signed requests, and the datasets equal pyarrow's (Iceberg: pyiceberg's) read of the
 * same files.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FlightClient } from '../../client/src/flight-client.js';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { startProcess, type StartedProcess } from '../helpers/process.js';
import { pythonScript, runPython, venvPython } from '../helpers/python.js';
import { signRequest } from '../../cache-server/loaders/s3-objects.js';
import { CLI, clusterStats, waitFor } from '../cluster/cluster-helpers.js';
import { compareWithPyarrow, runCli, writeFixtures } from './load-helpers.js';

let fixtures: string;
let s3: StartedProcess;

/** Starts `flightcache ARGS...` with the AWS variables pointing at the test's S3 server. */
function startWithS3(args: readonly string[]): Promise<StartedProcess> {
  const env = { ...process.env, FLIGHTCACHE_LOG_LEVEL: 'warn', AWS_ENDPOINT_URL: s3.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };
  return startProcess(process.execPath, [CLI, ...args], /^flightcache ready (grpc:\/\/\S+)$/, { env, timeoutMs: 60_000 });
}

before(async () => {
  fixtures = await writeFixtures();
  // A tokenizer.json and a small text corpus, for --tokenizer s3://.
  await runPython('tokenize_check.py', ['files', join(fixtures, 'tok')]);
  await runPython('tokenize_check.py', ['corpus', join(fixtures, 'tok', 'corpus'), '20', '2']);
  s3 = await startProcess(venvPython(), [pythonScript('s3_server.py'), fixtures, 'fixtures'], /^s3 ready (http:\/\/\S+)$/, { timeoutMs: 120_000 });
});

after(async () => {
  await s3.stop();
  rmSync(fixtures, { recursive: true, force: true });
});

test('a node loads s3:// prefixes, globs, hive trees and single objects of every format equal to pyarrow', async () => {
  const node = await startWithS3(['serve', '--port', '0']);
  try {
    const cases = [
      ['dir', 'dir', 'parquet', 'dir'],
      ['dir/part-*.parquet', 'glob', 'parquet', 'dir'],
      ['hive', 'hive', 'parquet', 'hive'],
      ['text/table.csv', 'csv', 'csv', 'text/table.csv'],
      ['text/table.jsonl', 'jsonl', 'jsonl', 'text/table.jsonl'],
      ['ipc/stream-zstd.arrow', 'ipc', 'ipc', 'ipc/stream-zstd.arrow'],
    ] as const;
    for (const [key, name, kind, local] of cases) {
      const run = await runCli(['load', `s3://fixtures/${key}`, '--name', name, '--endpoint', node.url]);
      assert.equal(run.code, 0, run.stderr);
      const compared = await compareWithPyarrow(node.url, name, kind, join(fixtures, local));
      assert.equal(compared.equal, true, `${key}: ${compared.detail}`);
    }
    const bad = await runCli(['load', 's3://fixtures/bad/truncated.parquet', '--name', 'dir', '--endpoint', node.url]);
    assert.match(bad.stderr, /^flightcache: INVALID_ARGUMENT: s3:\/\/fixtures\/bad\/truncated\.parquet: cannot read as Parquet: .*\n$/);
    const missing = await runCli(['load', 's3://nobucket/x', '--name', 'dir', '--endpoint', node.url]);
    assert.equal(missing.stderr, 'flightcache: NOT_FOUND: list s3://nobucket/x: NoSuchBucket (HTTP 404)\n');
    const kept = await compareWithPyarrow(node.url, 'dir', 'parquet', join(fixtures, 'dir'));
    assert.deepEqual([kept.equal, kept.rows], [true, 1050]);
  } finally {
    await node.stop();
  }
});

test('Iceberg tables on S3 load as they do locally: field-id columns, position deletes, partition pruning', async () => {
  const node = await startWithS3(['serve', '--port', '0']);
  try {
    const cases = [
      ['iceberg/db/evolved', [], [], 994],
      ['iceberg/db/regions', ['--partition', 'region=us'], ['--where', "region == 'us'"], 100],
    ] as const;
    for (const [key, flags, where, rows] of cases) {
      const run = await runCli(['load', `s3://fixtures/${key}`, '--name', 'ice', '--endpoint', node.url, ...flags]);
      assert.equal(run.code, 0, run.stderr);
      const compared = await compareWithPyarrow(node.url, 'ice', 'iceberg', join(fixtures, key), where);
      assert.deepEqual([compared.equal, compared.rows], [true, rows], `${key}: ${compared.detail}`);
    }
    // One metadata file of the table: the table as it describes it (after the first append).
    const second = `iceberg/db/evolved/metadata/${readdirSync(join(fixtures, 'iceberg', 'db', 'evolved', 'metadata')).filter((n) => n.endsWith('.metadata.json')).sort()[1]!}`;
    assert.equal((await runCli(['load', `s3://fixtures/${second}`, '--name', 'ice', '--endpoint', node.url])).code, 0);
    const first = await compareWithPyarrow(node.url, 'ice', 'iceberg', join(fixtures, second));
    assert.deepEqual([first.equal, first.rows], [true, 500], first.detail);
    const missing = await runCli(['load', 's3://fixtures/iceberg/db/nothing', '--format', 'iceberg', '--name', 'ice', '--endpoint', node.url]);
    assert.equal(missing.stderr, 'flightcache: NOT_FOUND: s3://fixtures/iceberg/db/nothing: no Iceberg metadata (metadata/vN.metadata.json)\n');
  } finally {
    await node.stop();
  }
});

test('the shards of a cluster each download their share of an s3:// prefix', async () => {
  const cluster = await startWithS3(['serve', '--port', '0', '--shards', '3', '--replicas', '2']);
  const client = new FlightClient(cluster.url);
  try {
    await waitFor('three live shards', async () => ((await clusterStats(client)).members.filter((m) => m.live).length === 3 ? true : undefined), 60_000);
    const run = await runCli(['load', 's3://fixtures/hf', '--name', 'hf', '--split', 'train', '--endpoint', cluster.url]);
    assert.equal(run.code, 0, run.stderr);
    const compared = await compareWithPyarrow(cluster.url, 'hf', 'hf', join(fixtures, 'hf'), ['--split', 'train']);
    assert.deepEqual([compared.equal, compared.rows], [true, 200], compared.detail);
    assert.equal((await clusterStats(client)).datasets.find((d) => d.name === 'hf')!.partitions, 2);
    // Each shard reads its Iceberg data files and their delete files from S3 itself.
    const evolved = await runCli(['load', 's3://fixtures/iceberg/db/evolved', '--name', 'ice', '--endpoint', cluster.url]);
    assert.equal(evolved.code, 0, evolved.stderr);
    const iceberg = await compareWithPyarrow(cluster.url, 'ice', 'iceberg', join(fixtures, 'iceberg', 'db', 'evolved'));
    assert.deepEqual([iceberg.equal, iceberg.rows], [true, 994], iceberg.detail);
  } finally {
    client.close();
    await cluster.stop();
  }
});

test('credentials come from a named profile of the shared files; missing profiles, keys, permissions and objects get precise errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flightcache-aws-'));
  const credentials = join(dir, 'credentials');
  const auth = await startProcess(venvPython(), [pythonScript('s3_server.py'), join(fixtures, 'dir'), 'authbucket', credentials], /^s3 ready (http:\/\/\S+)$/, { timeoutMs: 120_000 });
  // The endpoint and region come from the config file's profiles, the keys from the credentials file.
  const profiles = ['reader', 'nobody', 'ghost'].map((p) => `[profile ${p}]\nregion = us-east-1\nendpoint_url = ${auth.url}\n`);
  writeFileSync(join(dir, 'config'), profiles.join('\n'));
  const env: NodeJS.ProcessEnv = { ...process.env, FLIGHTCACHE_LOG_LEVEL: 'warn', AWS_SHARED_CREDENTIALS_FILE: credentials, AWS_CONFIG_FILE: join(dir, 'config'), AWS_PROFILE: 'reader' };
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_REGION']) delete env[name];
  const node = await startProcess(process.execPath, [CLI, 'serve', '--port', '0'], /^flightcache ready (grpc:\/\/\S+)$/, { env, timeoutMs: 60_000 });
  const client = new FlightClient(node.url);
  const load = (source: string, extra: readonly string[] = []) => runCli(['load', source, '--name', 'dir', '--endpoint', node.url, ...extra]);
  try {
    const run = await load('s3://authbucket/');
    assert.equal(run.code, 0, run.stderr);
    const nobodyKey = /\[nobody\]\naws_access_key_id = (\S+)/.exec(readFileSync(credentials, 'utf8'))![1]!;
    assert.equal((await load('s3://authbucket/', ['--s3-profile', 'nobody'])).stderr, `flightcache: PERMISSION_DENIED: list s3://authbucket/: AccessDenied: Access Denied (HTTP 403, access key ID ${nobodyKey})\n`);
    assert.equal((await load('s3://authbucket/', ['--s3-profile', 'missing'])).stderr, `flightcache: FAILED_PRECONDITION: AWS profile "missing" is in neither ${credentials} nor ${join(dir, 'config')}\n`);
    assert.equal(
      (await load('s3://authbucket/', ['--s3-profile', 'ghost'])).stderr,
      `flightcache: FAILED_PRECONDITION: s3:// sources need credentials: none given with the load, none in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, and profile "ghost" has no aws_access_key_id/aws_secret_access_key in ${credentials} or ${join(dir, 'config')}\n`,
    );
    assert.equal((await load('s3://authbucket/part-9.parquet')).stderr, 'flightcache: NOT_FOUND: source "s3://authbucket/part-9.parquet" does not exist\n');
    // As on AWS, a bucket outside the user's policy is AccessDenied, whether or not it exists.
    const readerKey = /\[reader\]\naws_access_key_id = (\S+)/.exec(readFileSync(credentials, 'utf8'))![1]!;
    assert.equal((await load('s3://otherbucket/x')).stderr, `flightcache: PERMISSION_DENIED: list s3://otherbucket/x: AccessDenied: Access Denied (HTTP 403, access key ID ${readerKey})\n`);
    // Keys given with the action win over the profile's.
    const body = JSON.stringify({ name: 'dir', source: 's3://authbucket/', options: { s3: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' } } });
    await assert.rejects(client.action('load', body), (err: unknown) =>
      err instanceof FlightError && err.code === Code.UNAUTHENTICATED && /^list s3:\/\/authbucket\/: InvalidAccessKeyId: .* \(HTTP 403, access key ID AKIAUNKNOWN\)$/.test(err.message));
    const kept = await compareWithPyarrow(node.url, 'dir', 'parquet', join(fixtures, 'dir'));
    assert.deepEqual([kept.equal, kept.rows], [true, 1050]);
  } finally {
    client.close();
    await node.stop();
    await auth.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('requests are signed exactly as botocore signs them (SigV4: an object key with a space, a list query)', async () => {
  const config = { endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
  const at = new Date(Date.UTC(2026, 11, 7, 1, 2, 3));
  for (const [path, query] of [['/bucket/dir/a b.parquet', {}], ['/bucket', { 'list-type': '2', prefix: 'dir/x y' }]] as const) {
    const signed = signRequest(config, path, query, at);
    const reference = await runPython<Record<string, string>>('sigv4_check.py', [signed.url, '20261207T010203Z']);
    assert.deepEqual(
      { authorization: signed.headers.authorization, 'x-amz-date': signed.headers['x-amz-date'], 'x-amz-content-sha256': signed.headers['x-amz-content-sha256'] },
      reference,
    );
  }
});

test('a node tokenizes with a tokenizer.json from s3://, downloaded once; the ids equal Python tokenizers with the same file', async () => {
  const node = await startWithS3(['serve', '--port', '0']);
  try {
    const flags = ['--tokenize', 'text', '--max-length', '64', '--pack', '--endpoint', node.url];
    const run = await runCli(['load', 's3://fixtures/tok/corpus', '--name', 'tok', '--tokenizer', 's3://fixtures/tok/gpt2.json', ...flags]);
    assert.equal(run.code, 0, run.stderr);
    const spec = { tokenizer: join(fixtures, 'tok', 'gpt2.json'), max_length: 64, pack: true };
    const compared = await runPython<{ equal: boolean; rows: number }>('tokenize_check.py', ['compare', node.url, 'tok', join(fixtures, 'tok', 'corpus'), JSON.stringify(spec)]);
    assert.equal(compared.equal, true);
    assert.ok(compared.rows > 100, `${compared.rows} rows`);
    const missing = await runCli(['load', 's3://fixtures/tok/corpus', '--name', 'tok', '--tokenizer', 's3://fixtures/tok/none.json', ...flags]);
    assert.match(missing.stderr, /^flightcache: NOT_FOUND: .*s3:\/\/fixtures\/tok\/none\.json/);
  } finally {
    await node.stop();
  }
});
