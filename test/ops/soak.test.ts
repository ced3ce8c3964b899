/**
 * The short soak (the `soak` bench suite at about 15 s): a coordinator and 3 shards with R = 2 read
 * by every reader kind and written by put/append/load/drop cycles while a shard is SIGKILLed, another
 * frozen past the down timeout, every shard restarted in turn and the coordinator killed. Every
 * finished pass delivers each row exactly once, and no process's memory runs away.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSoakWith } from '../../bench/suites/soak.js';

const MiB = 1024 * 1024;
/** A server holds 16 Ki rows of 12 bytes here; Node's own footprint is about 100 MiB. */
const SERVER_RSS_LIMIT = 384 * MiB;
/** A Python worker imports torch and pyarrow (about 600 MiB) before reading anything. */
const WORKER_RSS_LIMIT = 1024 * MiB;

test('through a shard kill, a freeze past the down timeout, a rolling restart and a coordinator kill, readers lose and repeat no row and RSS stays bounded', { timeout: 300_000 }, async () => {
  const run = await runSoakWith({ seconds: 15, readers: 6, writers: 2, batches: 16, batchRows: 1024 });
  const { totals } = run;
  assert.deepEqual(
    run.faults.map((f) => [f.fault, f.target]),
    [['kill', 'shard0'], ['freeze', 'shard1'], ['rolling-restart', 'shard0'], ['rolling-restart', 'shard1'], ['rolling-restart', 'shard2'], ['coordinator-kill', 'coordinator']],
  );
  assert.deepEqual([totals.lost, totals.duplicated, totals.hung], [0, 0, 0]);
  assert.deepEqual(totals.readers.map((r) => r.kind).sort(), ['client', 'client-shuffle', 'dataset', 'dataset-shm', 'dataset-shuffle', 'pyarrow']);
  for (const reader of totals.readers) {
    assert.ok(reader.passes > 0, `${reader.kind} finished no pass`);
    assert.equal(reader.rowsDelivered, reader.passes * run.rows, reader.kind);
  }
  assert.ok(totals.writerChecks.passes > 0, 'no writer read its data back');
  assert.deepEqual([totals.writerChecks.lost, totals.writerChecks.duplicated], [0, 0]);
  for (const op of ['put', 'append', 'load', 'drop']) assert.ok((totals.writerOps[op] ?? 0) > 0, `no ${op} succeeded: ${JSON.stringify(totals.writerOps)}`);
  for (const process of run.rss) {
    const limit = /^(coordinator|shard\d)$/.test(process.role) ? SERVER_RSS_LIMIT : WORKER_RSS_LIMIT;
    assert.ok(process.peakBytes < limit, `${process.role} peaked at ${(process.peakBytes / MiB).toFixed(1)} MiB`);
  }
  assert.deepEqual(run.rss.map((r) => r.role).sort(), ['coordinator', 'readers0', 'shard0', 'shard1', 'shard2', 'writers']);
});
