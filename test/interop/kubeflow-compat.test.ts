/**
 * Kubeflow Trainer compatibility: pyarrow reads `flightcache serve` with the DataCacheDataset's
 * pattern (path [index, total], then DoGet at every location of every endpoint).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { startProcess } from '../helpers/process.js';
import { repoRoot, runPython } from '../helpers/python.js';

const CLI = join(repoRoot(), 'dist', 'cache-server', 'cli', 'main.js');

interface KubeflowRead {
  shares: Array<{ total_records: number; ids: number[]; cursors: Array<string | null>; locations: string[] }>;
}

test('the DataCacheDataset reading pattern gets every row of a 7-batch dataset exactly once for 1, 2, 3 and 5 workers', async () => {
  const server = await startProcess(process.execPath, [CLI, 'serve', '--port', '0'], /^flightcache ready (grpc:\/\/\S+)$/, {
    env: { ...process.env, FLIGHTCACHE_LOG_LEVEL: 'warn' },
  });
  try {
    assert.deepEqual(await runPython('kubeflow_reader.py', [server.url, 'put', '7', '10']), { put: 70 });
    for (const total of [1, 2, 3, 5]) {
      const { shares } = await runPython<KubeflowRead>('kubeflow_reader.py', [server.url, 'read', String(total)]);
      assert.equal(shares.length, total);
      const ids = shares.flatMap((share) => share.ids);
      assert.deepEqual(ids, Array.from({ length: 70 }, (_, i) => i), `total ${total}`);
      const batches = shares.map((share) => share.cursors.length);
      assert.ok(Math.max(...batches) - Math.min(...batches) <= 1, `total ${total}: ${batches.join(',')}`);
      for (const share of shares) {
        assert.equal(share.total_records, share.ids.length);
        assert.ok(share.locations.every((uri) => uri === server.url));
        assert.ok(share.cursors.every((cursor) => cursor !== null && /^[A-Za-z0-9_-]+$/.test(cursor)));
      }
    }
  } finally {
    assert.deepEqual(await server.stop(), { code: 0, signal: null });
  }
});
