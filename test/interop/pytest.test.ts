/**
 * The Python package's pytest tests (test/python/test_*.py) against real servers they start from the
 * built CLI: one pytest run, which fails this test when any of them fails or none ran.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, runPytest, venvPython } from '../helpers/python.js';

test('the flightcache Python package passes its pytest tests', async () => {
  const { code, output } = await runPytest(venvPython(), join(repoRoot(), 'test', 'python'), 900_000);
  const summary = output.trim().split('\n').at(-1) ?? '';
  assert.equal(code, 0, output);
  // Exit code 0 rules out failures and errors; the summary shows that tests ran (pytest exits 5 when none do).
  assert.match(summary, /^[1-9]\d* passed(, \d+ (skipped|warnings?))* in /, output);
});
