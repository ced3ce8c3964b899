/**
 * The Python package in client/python (flightcache.Client, flightcache.torch) against real servers:
 * each test runs one test/python/torch_*.py scenario group in its own process, with the package
 * imported from the working tree (PYTHONPATH=client/python/src), and checks which scenarios passed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { StartedProcess } from '../helpers/process.js';
import { COVERAGE, putRows, RESUME, serve, stop } from '../helpers/torch-scenarios.js';
import { repoRoot, runPython, venvPython } from '../helpers/python.js';

const ROWS = 1000;
const SERVER_BATCH_ROWS = 37;
const run = promisify(execFile);

process.env.PYTHONPATH = join(repoRoot(), 'client', 'python', 'src');
// These are the gRPC tests; test/interop/same-host.test.ts runs the same scenarios over shared memory.
process.env.FLIGHTCACHE_TRANSPORT = 'grpc';

interface Passed {
  passed: string[];
}

let server: StartedProcess;

before(async () => {
  server = await serve();
  await putRows(server.url, 'cov', ROWS, SERVER_BATCH_ROWS);
});

after(async () => {
  await stop(server);
});

test('pip installs client/python offline and the installed package imports', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flightcache-pip-'));
  try {
    // A copy, so the build's own build/ and egg-info stay out of the working tree.
    cpSync(join(repoRoot(), 'client', 'python'), join(dir, 'src'), { recursive: true });
    await run(venvPython(), ['-m', 'pip', 'install', '--quiet', '--no-index', '--no-build-isolation', '--no-deps', '--target', join(dir, 'site'), join(dir, 'src')]);
    const { stdout } = await run(venvPython(), ['-c', 'import flightcache, flightcache.torch; print(flightcache.__file__)'], {
      env: { ...process.env, PYTHONPATH: join(dir, 'site') },
    });
    assert.equal(stdout.trim(), join(dir, 'site', 'flightcache', '__init__.py'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('flightcache.Client puts, lists, describes, reads and drops datasets', async () => {
  const result = await runPython<Passed>('torch_client.py', [server.url]);
  assert.deepEqual(result.passed, ['put, datasets, schema, stats, shares, reads, drop']);
});

test('flightcache.Client authenticates with user and password or a bearer token', async () => {
  const secured = await serve('--user', 'trainer', '--password', 'secret');
  try {
    const result = await runPython<Passed>('torch_client.py', [secured.url, 'auth', 'trainer', 'secret']);
    assert.deepEqual(result.passed, ['basic and bearer credentials']);
  } finally {
    await stop(secured);
  }
});

test('FlightCacheDataset reads every row once for 1-3 ranks with 0 or 2 workers, in stored order', async () => {
  const result = await runPython<Passed>('torch_coverage.py', [server.url, 'cov', String(ROWS), String(SERVER_BATCH_ROWS), 'plain']);
  assert.deepEqual(result.passed, [...COVERAGE, 'stored order']);
});

test('FlightCacheDataset with shuffle reads every row once, deterministically per seed and epoch', async () => {
  const result = await runPython<Passed>('torch_coverage.py', [server.url, 'cov', String(ROWS), String(SERVER_BATCH_ROWS), 'shuffle']);
  assert.deepEqual(result.passed, [...COVERAGE, 'deterministic per seed and epoch', 'different per epoch']);
});

test('FlightCacheDataset resumes an epoch exactly with the same or another world size and worker count', async () => {
  const result = await runPython<Passed>('torch_resume.py', [server.url, 'cov', String(ROWS), 'plain']);
  assert.deepEqual(result.passed, RESUME);
});

test('FlightCacheDataset resumes a shuffled epoch exactly with the same or another world size', async () => {
  const result = await runPython<Passed>('torch_resume.py', [server.url, 'cov', String(ROWS), 'shuffle']);
  assert.deepEqual(result.passed, RESUME);
});

test('FlightCacheDataLoader with persistent workers get each epoch and a loaded state, and read each epoch once in the order fresh workers read it', async () => {
  const result = await runPython<Passed>('torch_persistent.py', [server.url, 'cov', String(ROWS)]);
  assert.deepEqual(result.passed, ['set_epoch reaches persistent workers, each epoch read once', 'a loaded state reaches persistent workers']);
});

test('a logistic regression trained from the cache matches the same training on a local Arrow file', async () => {
  const result = await runPython<Passed>('torch_training.py', [server.url, 'logistic']);
  assert.equal(result.passed.length, 1);
  assert.match(result.passed[0]!, /^accuracy 0\.9\d\d from the cache equals the local file$/);
});

test('forked DataLoader workers fail fast after Flight use and make_dataloader picks a safe context', async () => {
  const result = await runPython<Passed>('torch_fork.py', [server.url, 'cov', String(ROWS)]);
  assert.deepEqual(result.passed, [
    'fork before Flight use',
    'fork after Flight use raises',
    'FlightCacheDataLoader refuses fork',
    'Client in a forked child raises',
    'make_dataloader (forkserver)',
    'spawn',
  ]);
});

test('reads fail over to another replica when shard processes are killed mid-epoch', async () => {
  const cluster = await serve('--shards', '3', '--replicas', '2');
  try {
    const result = await runPython<Passed>('torch_failover.py', [cluster.url, 'failover']);
    assert.deepEqual(result.passed, ['FlightCacheDataset mid-epoch', 'dead first location', 'DataLoader with 2 workers mid-epoch']);
  } finally {
    await stop(cluster);
  }
});
