/**
 * Same-host reads of the Python package (client/python/src/flightcache/samehost.py, protocol in
 * docs/same-host.md) against real servers on this host, one test/python/samehost_reads.py scenario per
 * process (they watch this process's mappings): transport choice and equality with gRPC; credentials;
 * a dataset dropped mid-read; a socket broken mid-read. The exactly-once, resume, persistent-worker
 * and failover scenarios run over both transports as pytest tests (test/python/test_*.py, the
 * `transport` fixture), and so do the package's same-host unit tests.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import type { StartedProcess } from '../helpers/process.js';
import { putRows, serve, stop } from '../helpers/torch-scenarios.js';
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
