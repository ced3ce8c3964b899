/**
 * scripts/setup-venv.sh (what `npm test` and .ci/run call first): a local wheel store is preferred and
 * enough offline, PyPI fills in what a store lacks through the wheel cache, a re-run installs nothing,
 * an optional pin that cannot be had is skipped, and an offline machine without a store fails saying so.
 * Each case uses its own venv, requirements file, stores and cache, never the repo's .venv.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { repoRoot, venvPython } from '../helpers/python.js';

const SCRIPT = join(repoRoot(), 'scripts', 'setup-venv.sh');
const work = mkdtempSync(join(tmpdir(), 'fc-setup-venv-'));
const store = join(work, 'store');
const emptyStore = join(work, 'empty-store');

interface Run {
  code: number;
  output: string;
}

/** Runs the script with these settings; resolves with its exit code and stdout+stderr. */
function setupVenv(name: string, requirements: string, env: Record<string, string>): Promise<Run> {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'requirements.txt');
  writeFileSync(file, requirements);
  const settings = { FLIGHTCACHE_VENV: join(dir, 'venv'), FLIGHTCACHE_REQUIREMENTS: file, FLIGHTCACHE_WHEEL_CACHE: join(dir, 'cache'), ...env };
  return new Promise((resolve) => {
    execFile('bash', [SCRIPT], { env: { ...process.env, ...settings }, timeout: 300_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, output: stdout + stderr });
    });
  });
}

/** Builds a dependency-free wheel fc_setup_probe==1.0 into the local store (with the repo venv's pip). */
before(async () => {
  const source = join(work, 'probe');
  mkdirSync(join(source, 'fc_setup_probe'), { recursive: true });
  mkdirSync(emptyStore);
  writeFileSync(join(source, 'fc_setup_probe', '__init__.py'), 'VALUE = 42\n');
  writeFileSync(
    join(source, 'pyproject.toml'),
    '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "fc_setup_probe"\nversion = "1.0"\n',
  );
  await new Promise<void>((resolve, reject) =>
    execFile(venvPython(), ['-m', 'pip', 'wheel', '--quiet', '--no-deps', '--no-build-isolation', '--no-index', '-w', store, source], { timeout: 120_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(),
    ),
  );
  assert.deepEqual(readdirSync(store), ['fc_setup_probe-1.0-py3-none-any.whl']);
});

after(() => rmSync(work, { recursive: true, force: true }));

const PROBE_ONLY = 'fc_setup_probe==1.0\nfc-no-such-package==9.9  # optional: a peer no store has\n';

test('offline, a local wheel store installs every required pin, skips an unavailable optional one, and a re-run installs nothing', async () => {
  const first = await setupVenv('offline', PROBE_ONLY, { FLIGHTCACHE_WHEELS: store, FLIGHTCACHE_OFFLINE: '1' });
  assert.equal(first.code, 0, first.output);
  assert.match(first.output, new RegExp(`^setup-venv: local wheel store: ${store}$`, 'm'));
  assert.match(first.output, /^setup-venv: installing fc_setup_probe==1\.0$/m);
  assert.match(first.output, /^setup-venv: optional fc-no-such-package==9\.9 not installed, its benchmark peer will be skipped: /m);
  assert.match(first.output, /^setup-venv: ready: fc_setup_probe 1\.0$/m);
  assert.doesNotMatch(first.output, /downloading/);

  const again = await setupVenv('offline', PROBE_ONLY, { FLIGHTCACHE_WHEELS: store, FLIGHTCACHE_OFFLINE: '1' });
  assert.equal(again.code, 0, again.output);
  assert.match(again.output, /^setup-venv: reusing .*\/offline\/venv$/m);
  assert.match(again.output, /^setup-venv: required packages already satisfied$/m);
  assert.doesNotMatch(again.output, /^setup-venv: installing fc_setup_probe/m);
});

test('offline without a store that holds wheels fails before installing, naming the setting', async () => {
  const run = await setupVenv('no-store', PROBE_ONLY, { FLIGHTCACHE_WHEELS: emptyStore, FLIGHTCACHE_OFFLINE: '1' });
  assert.equal(run.code, 1, run.output);
  assert.match(run.output, /^setup-venv: FLIGHTCACHE_OFFLINE=1 and neither a local wheel store nor .*\/no-store\/cache holds wheels$/m);
});

test('online, what the store lacks comes from PyPI into the wheel cache, which alone serves an offline re-install', async () => {
  const requirements = 'fc_setup_probe==1.0\nsix==1.17.0\n';
  const online = await setupVenv('online', requirements, { FLIGHTCACHE_WHEELS: store });
  assert.equal(online.code, 0, online.output);
  assert.match(online.output, /^setup-venv: downloading into .*\/online\/cache: fc_setup_probe==1\.0 six==1\.17\.0$/m);
  assert.match(online.output, /^setup-venv: ready: fc_setup_probe 1\.0, six 1\.17\.0$/m);
  const cached = readdirSync(join(work, 'online', 'cache')).sort();
  assert.deepEqual(cached, ['fc_setup_probe-1.0-py3-none-any.whl', 'six-1.17.0-py2.py3-none-any.whl']);

  rmSync(join(work, 'online', 'venv'), { recursive: true });
  const fromCache = await setupVenv('online', requirements, { FLIGHTCACHE_WHEELS: emptyStore, FLIGHTCACHE_OFFLINE: '1' });
  assert.equal(fromCache.code, 0, fromCache.output);
  assert.doesNotMatch(fromCache.output, /downloading/);
  assert.match(fromCache.output, /^setup-venv: ready: fc_setup_probe 1\.0, six 1\.17\.0$/m);
});
