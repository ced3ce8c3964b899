import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { repoRoot, runPython } from '../../test/helpers/python.js';
import { nodeWorker } from './contender.js';
import { EpochWorker, type EpochRun } from './worker.js';

test('the Node parquet worker reads every generated Parquet file, one batch per row group, with the generator\'s rows and checksum', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fc-node-parquet-'));
  let worker: EpochWorker | undefined;
  try {
    const script = join(repoRoot(), 'bench', 'py', 'epoch_data.py');
    const data = await runPython<{ rows: number; checksum: number; parquetDir: string; parquetFiles: number }>(script, [
      'generate', '--dir', dir, '--mib', '2', '--batch-rows', '8192', '--parquet-files', '2',
    ]);
    assert.deepEqual({ rows: data.rows, files: data.parquetFiles }, { rows: 6 * 8192, files: 2 });
    worker = await EpochWorker.start('node-parquet', nodeWorker('parquet', { path: data.parquetDir }), 60_000);
    for (let epoch = 0; epoch < 2; epoch++) {
      const run: EpochRun = await worker.run(60_000);
      assert.deepEqual(
        { rows: run.rows, checksum: run.checksum, bytes: run.bytes, batches: run.batches },
        { rows: data.rows, checksum: data.checksum, bytes: data.rows * 48, batches: 6 },
      );
    }
  } finally {
    await worker?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the Node parquet worker fails an epoch over a directory without Parquet files, naming it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fc-node-parquet-'));
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  let worker: EpochWorker | undefined;
  try {
    worker = await EpochWorker.start('node-parquet', nodeWorker('parquet', { path: empty }), 60_000);
    await assert.rejects(worker.run(60_000), (err: Error) => err.message.includes(`node-worker: Error: node-worker: no .parquet files in ${empty}`));
  } finally {
    await worker?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
