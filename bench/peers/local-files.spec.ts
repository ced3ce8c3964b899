import assert from 'node:assert/strict';
import { test } from 'node:test';

import { localFilePlans } from './local-files.js';

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
