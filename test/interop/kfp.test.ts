/**
 * The flightcache.kfp component's pytest tests (test/python/test_kfp.py) in the kfp venv that
 * scripts/kfp-venv.sh makes (kfp needs protobuf<7, so it stays out of the shared venv, whose pytest run
 * skips that file): the example pipeline compiles to its exact spec and the component loads into a real node.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, runPytest } from '../helpers/python.js';

const KFP_PYTHON = join(process.env.FLIGHTCACHE_KFP_VENV ?? join(homedir(), '.cache', 'flightcache', 'kfp-venv'), 'bin', 'python');
const skip = existsSync(KFP_PYTHON) ? undefined : `no ${KFP_PYTHON}: run bash scripts/kfp-venv.sh`;
if (skip) console.log(`# skipping the KFP component tests: ${skip}`);

test('the KFP component compiles into the example pipeline and loads a source into a real node', { skip }, async () => {
  const { code, output } = await runPytest(KFP_PYTHON, join(repoRoot(), 'test', 'python', 'test_kfp.py'), 300_000);
  assert.equal(code, 0, output);
  // Every test of the file ran here: none skipped for a missing kfp.
  assert.match(output.trim().split('\n').at(-1) ?? '', /^3 passed(, \d+ warnings?)? in /, output);
});
