/**
 * The Python package in client/python as installed by pip, and its fork scenarios, which need a
 * process of their own that has not used Flight yet (test/python/torch_fork.py, with the package
 * imported from the working tree). Its other tests are pytest tests (test/python/test_*.py, run by
 * test/interop/pytest.test.ts).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { StartedProcess } from '../helpers/process.js';
import { putRows, serve, stop } from '../helpers/torch-scenarios.js';
import { repoRoot, runPython, venvPython } from '../helpers/python.js';

const ROWS = 1000;
const SERVER_BATCH_ROWS = 37;
const run = promisify(execFile);

process.env.PYTHONPATH = join(repoRoot(), 'client', 'python', 'src');
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
