/**
 * Same-host reads of the Python package (client/python/src/flightcache/samehost.py, protocol in
 * docs/same-host.md) against real servers on this host (its unit tests: test/python/test_samehost_units.py):
 * transport choice and equality with gRPC; the gRPC package tests' exactly-once, resume
 * and failover scenarios run again with FLIGHTCACHE_TRANSPORT=shm (which fails instead of falling
 * back to gRPC, so they cannot pass over gRPC); credentials; a dataset dropped mid-read; a socket
 * broken mid-read.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import type { StartedProcess } from '../helpers/process.js';
import { COVERAGE, putRows, RESUME, serve, stop } from '../helpers/torch-scenarios.js';
import { repoRoot, runPython } from '../helpers/python.js';

const ROWS = 1000;
const SERVER_BATCH_ROWS = 37;

process.env.PYTHONPATH = join(repoRoot(), 'client', 'python', 'src');
process.env.FLIGHTCACHE_TRANSPORT = 'shm';

interface Passed {
  passed: string[];
}

/** Puts the test's rows (ROWS, in SERVER_BATCH_ROWS-row batches unless given). */
function put(url: string, name: string, rows = ROWS, batchRows = SERVER_BATCH_ROWS): Promise<void> {
  return putRows(url, name, rows, batchRows);
}

let server: StartedProcess;

before(async () => {
  server = await serve();
  await put(server.url, 'cov');
});

after(async () => {
  await stop(server);
});

test('auto reads shared memory on the same host, grpc opts out, and both give the same batches and cursors', async () => {
  const result = await runPython<Passed>('samehost_reads.py', [server.url, 'cov', String(ROWS), 'choice']);
  assert.deepEqual(result.passed, [
    'auto picks shm on the same host, grpc opts out',
    'same batches, cursors and resume as gRPC',
    'tensors share mapped memory, safely',
    'shuffled dataset',
    'workers hand tensors over as references into mapped regions',
  ]);
});

test('over shared memory every row is read once for 1-3 ranks with 0 or 2 workers, in stored order', async () => {
  const result = await runPython<Passed>('torch_coverage.py', [server.url, 'cov', String(ROWS), String(SERVER_BATCH_ROWS), 'plain']);
  assert.deepEqual(result.passed, [...COVERAGE, 'stored order']);
});

test('over shared memory shuffled reads cover every row once, deterministically per seed and epoch', async () => {
  const result = await runPython<Passed>('torch_coverage.py', [server.url, 'cov', String(ROWS), String(SERVER_BATCH_ROWS), 'shuffle']);
  assert.deepEqual(result.passed, [...COVERAGE, 'deterministic per seed and epoch', 'different per epoch']);
});

for (const mode of ['plain', 'shuffle']) {
  test(`over shared memory an epoch (${mode}) resumes exactly with the same or another world size and worker count`, async () => {
    const result = await runPython<Passed>('torch_resume.py', [server.url, 'cov', String(ROWS), mode]);
    assert.deepEqual(result.passed, RESUME);
  });
}

test('over shared memory, persistent workers get each epoch and a loaded state, and read each epoch once in the order fresh workers read it', async () => {
  const result = await runPython<Passed>('torch_persistent.py', [server.url, 'cov', String(ROWS)]);
  assert.deepEqual(result.passed, ['set_epoch reaches persistent workers, each epoch read once', 'a loaded state reaches persistent workers']);
});

test('a reader with credentials maps shared memory; without them it is refused on both transports', async () => {
  const secured = await serve('--user', 'trainer', '--password', 'secret');
  try {
    const result = await runPython<Passed>('samehost_reads.py', [secured.url, 'auth', 'trainer', 'secret']);
    assert.deepEqual(result.passed, ['with credentials shm, without them refused']);
  } finally {
    await stop(secured);
  }
});

test('a dataset dropped mid-read leaves the tensors received unchanged and shows the memory still held', async () => {
  await put(server.url, 'dropped');
  const result = await runPython<Passed>('samehost_reads.py', [server.url, 'dropped', String(ROWS), 'dropped']);
  assert.deepEqual(result.passed, ['dropped mid-read: received tensors unchanged, memory held shown in stats until the reader closes']);
});

test('shuffled reads of a dataset whose dictionaries change work over shared memory (gRPC refuses them)', async () => {
  const result = await runPython<Passed>('samehost_reads.py', [server.url, 'dicts', String(ROWS), 'dictionaries']);
  assert.deepEqual(result.passed, ['shuffled reads of changing dictionaries over shm; refused over gRPC']);
});

test('a same-host socket broken mid-read continues over gRPC at the exact row', async () => {
  // Enough batch frames that the node cannot have sent them all before the socket breaks.
  await put(server.url, 'broken', 60_000, 10);
  const result = await runPython<Passed>('samehost_reads.py', [server.url, 'broken', '60000', 'broken']);
  assert.deepEqual(result.passed, ['broken socket: continues over gRPC at the exact row']);
});

test('same-host reads fail over to another replica at the exact row when shard processes are killed mid-epoch', async () => {
  const cluster = await serve('--shards', '3', '--replicas', '2');
  try {
    const result = await runPython<Passed>('torch_failover.py', [cluster.url, 'failover']);
    assert.deepEqual(result.passed, ['FlightCacheDataset mid-epoch', 'dead first location', 'DataLoader with 2 workers mid-epoch']);
  } finally {
    await stop(cluster);
  }
});
