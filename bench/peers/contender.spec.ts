import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';

import { repoRoot, venvPython } from '../../test/helpers/python.js';
import { nodeWorker, pythonImportProblem, pythonWorker } from './contender.js';

test('pythonWorker runs bench/py/epoch_worker.py with the kind and --key value options in order', () => {
  assert.deepEqual(pythonWorker('/v/python', 'flight', { url: 'grpc://h:1', name: 'epoch' }), {
    command: '/v/python',
    args: [join(repoRoot(), 'bench', 'py', 'epoch_worker.py'), 'flight', '--url', 'grpc://h:1', '--name', 'epoch'],
  });
});

test('pythonWorker passes an environment only when one is given', () => {
  const env = { A: '1' };
  assert.equal(pythonWorker('p', 'ipc', { path: 'f' }, env).env, env);
  assert.equal('env' in pythonWorker('p', 'ipc', { path: 'f' }), false);
});

test('nodeWorker runs the compiled node-worker.js with this Node', () => {
  assert.deepEqual(nodeWorker('ipc', { path: '/d/data.arrow' }), {
    command: process.execPath,
    args: [join(repoRoot(), 'dist', 'bench', 'peers', 'node-worker.js'), 'ipc', '--path', '/d/data.arrow'],
  });
});

test('pythonImportProblem is undefined for importable modules and names the failing import otherwise', async () => {
  const python = venvPython();
  assert.equal(await pythonImportProblem(python, ['json', 'pyarrow']), undefined);
  const problem = await pythonImportProblem(python, ['json', 'no_such_module_for_flightcache']);
  assert.equal(problem, `${python} cannot import json; import no_such_module_for_flightcache: ModuleNotFoundError: No module named 'no_such_module_for_flightcache'`);
});
