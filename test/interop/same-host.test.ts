/**
 * Same-host reads of the Python package (client/python/src/flightcache/samehost.py, protocol in
 * docs/same-host.md): unit checks of its frames, mappings and decoding, run from test/python.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';

import { repoRoot, runPython } from '../helpers/python.js';

process.env.PYTHONPATH = join(repoRoot(), 'client', 'python', 'src');

interface Passed {
  passed: string[];
}

test('same-host frames, private mappings, in-place decoding, gathers, errors and the transport setting behave as specified', async () => {
  const result = await runPython<Passed>('samehost_units.py', []);
  assert.deepEqual(result.passed, [
    'frames carry descriptors in order and reject bad lengths and closed connections',
    "stored messages decode in place, gathers and projections give DoGet's batches",
    'mappings are private: in-place writes stay in this process',
    'dictionary batches decode and gather',
    "error frames map to pyarrow's exceptions; transport setting",
  ]);
});
