import assert from 'node:assert/strict';
import { test } from 'node:test';

import { renderEpoch, type EpochReportInput } from './epoch-report.js';

const s = (median: number) => ({ median, min: median / 2, max: median * 2, runs: 3, samples: [median / 2, median, median * 2] });

const INPUT: EpochReportInput = {
  params: {
    dataBytes: 2 ** 20, rows: 1000, batches: 2, batchRows: 500, columns: 8, seed: 42, runs: 3, warmup: 1,
    ipcFileBytes: 2 ** 21, parquetFileBytes: 3 * 2 ** 20, parquetFiles: 2,
  },
  contenders: [
    { name: 'flightcache-pyarrow', description: 'ours', gbps: s(1), rowsPerSec: 2e6, ratioOursOver: null },
    { name: 'redis', description: 'theirs', gbps: s(0.5), rowsPerSec: 1e6, ratioOursOver: 2 },
  ],
  pairs: [{ ours: 'flightcache-pyarrow', peer: 'redis', ratio: 2 }],
  skipped: [{ name: 'ray-data', reason: 'no ray' }],
  limits: [{ name: 'memcpy', description: 'copy', gbps: s(10) }],
  sweeps: {
    batchSize: [{ contender: 'flightcache-pyarrow', batchRows: 8192, gbps: s(1) }],
    readers: [{ contender: 'pyarrow-flight', readers: 4, gbps: s(3) }],
    columns: [{ contender: 'flightcache-pyarrow', columns: 1, selectivity: 0.125, gbps: s(0.25) }],
    columnsNote: 'first k columns delivered; selectivity k=1 0.125',
  },
};

test('renderEpoch prints the data, every contender with its ratio, the pairs, skipped peers, limits and sweeps', () => {
  const lines = renderEpoch(INPUT).split('\n');
  assert.equal(lines[0], 'data: 1.0 MiB of Arrow buffers, 1000 rows x 8 columns (4 int64 + 4 float32), 2 batches of 500 rows, seed 42; IPC file 2.0 MiB, Parquet 3.0 MiB in 2 files');
  assert.ok(lines.includes('flightcache-pyarrow  1.000        0.500  2.000  2.00     3     -'), lines.join('\n'));
  assert.ok(lines.includes('redis                0.500        0.250  1.000  1.00     3     2.000'), lines.join('\n'));
  assert.ok(lines.includes('skipped ray-data: no ray'));
  assert.ok(lines.includes('  flightcache-pyarrow / redis: 2.000'));
  assert.ok(lines.includes('memcpy          10.000       5.000  20.000  3'), lines.join('\n'));
  assert.ok(lines.includes('sweep: first k columns delivered; selectivity k=1 0.125'));
  assert.ok(lines.includes('4        pyarrow-flight  3.000        1.500  6.000  3'), lines.join('\n'));
});

test('renderEpoch leaves out the sections that have nothing to show', () => {
  const text = renderEpoch({ ...INPUT, pairs: [], skipped: [], limits: [], sweeps: null });
  assert.doesNotMatch(text, /median ratios|skipped|physical limit|sweep:/);
});
