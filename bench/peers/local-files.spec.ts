import assert from 'node:assert/strict';
import { test } from 'node:test';

import { localFilePlans, parquetJsPlan, parquetJsProblem } from './local-files.js';

const tail = (args: string[]): string[] => args.slice(1);

test('localFilePlans reads Parquet and IPC with pyarrow and IPC with node', () => {
  const plans = localFilePlans('/v/python', { parquetDir: '/d/parquet', ipcPath: '/d/data.arrow' });
  assert.deepEqual(
    plans.map((p) => [p.name, p.command.command, ...tail(p.command.args)]),
    [
      ['parquet-pyarrow', '/v/python', 'parquet', '--path', '/d/parquet'],
      ['ipc-mmap-pyarrow', '/v/python', 'ipc', '--path', '/d/data.arrow'],
      ['ipc-js', process.execPath, 'ipc', '--path', '/d/data.arrow'],
    ],
  );
});

test('parquetJsPlan runs the node worker of kind parquet on the Parquet directory', () => {
  const plan = parquetJsPlan('/d/parquet');
  assert.equal(plan.name, 'parquet-js');
  assert.equal(plan.command.command, process.execPath);
  assert.match(plan.command.args[0]!, /dist\/bench\/peers\/node-worker\.js$/);
  assert.deepEqual(tail(plan.command.args), ['parquet', '--path', '/d/parquet']);
});

test('parquetJsProblem finds the installed parquet-wasm dependency', () => {
  assert.equal(parquetJsProblem(), undefined);
});

test('parquetJsProblem names a package that cannot be resolved', () => {
  const problem = parquetJsProblem('parquet-wasm-not-installed');
  assert.match(problem ?? '', /^cannot resolve the npm package parquet-wasm-not-installed \(a dependency: run npm install\): .*parquet-wasm-not-installed/);
});
