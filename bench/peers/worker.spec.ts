import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { repoRoot, runPython, venvPython } from '../../test/helpers/python.js';
import { nodeWorker, pythonWorker } from './contender.js';
import { EpochWorker, parseWorkerLine, type WorkerCommand } from './worker.js';

const RESULT = { seconds: 0.5, rows: 10, bytes: 480, batches: 2, checksum: 7 };

/** A fake worker: `body` run by this Node. */
function fakeWorker(body: string): WorkerCommand {
  return { command: process.execPath, args: ['-e', body] };
}

// Ready, then RESULT for every `run`; stops on `exit`.
const PROTOCOL = `
const rl = require('node:readline').createInterface({ input: process.stdin });
console.log(JSON.stringify({ ready: true }));
rl.on('line', (line) => {
  if (line === 'exit') { rl.close(); return; }
  console.log(JSON.stringify(${JSON.stringify(RESULT)}));
});`;

test('parseWorkerLine recognizes ready, error and result lines', () => {
  assert.deepEqual(parseWorkerLine('{"ready": true, "kind": "ipc"}'), { kind: 'ready' });
  assert.deepEqual(parseWorkerLine('{"error": "bad"}'), { kind: 'error', message: 'bad' });
  assert.deepEqual(parseWorkerLine(JSON.stringify({ ...RESULT, extra: 1 })), { kind: 'run', run: RESULT });
});

test('parseWorkerLine keeps a result line\'s CPU seconds and rejects an invalid one', () => {
  assert.deepEqual(parseWorkerLine(JSON.stringify({ ...RESULT, cpuSeconds: 1.5 })), { kind: 'run', run: { ...RESULT, cpuSeconds: 1.5 } });
  assert.throws(() => parseWorkerLine(JSON.stringify({ ...RESULT, cpuSeconds: -1 })), /invalid "cpuSeconds"/);
  assert.throws(() => parseWorkerLine(JSON.stringify({ ...RESULT, cpuSeconds: 'x' })), /invalid "cpuSeconds"/);
});

test('parseWorkerLine rejects non-JSON, non-objects and results with a missing or negative field', () => {
  assert.throws(() => parseWorkerLine('INFO starting'), /worker printed a line that is not JSON: INFO starting/);
  assert.throws(() => parseWorkerLine('[1]'), /worker printed a non-object/);
  assert.throws(() => parseWorkerLine('{"seconds": 1, "rows": 1, "bytes": 1, "batches": 1}'), /no valid "checksum"/);
  assert.throws(() => parseWorkerLine(JSON.stringify({ ...RESULT, rows: -1 })), /no valid "rows"/);
});

test('EpochWorker starts a worker, runs epochs one after another and closes it', async () => {
  const worker = await EpochWorker.start('fake', fakeWorker(PROTOCOL), 30_000);
  assert.deepEqual(await worker.run(30_000), RESULT);
  assert.deepEqual(await worker.run(30_000), RESULT);
  await worker.close();
});

test('EpochWorker.start rejects with the stderr of a worker that exits before it is ready', async () => {
  const command = fakeWorker("console.error('no such dataset'); process.exit(2);");
  await assert.rejects(EpochWorker.start('broken', command, 30_000), /broken exited \(code 2, signal null\)\n--- stderr ---\nno such dataset/);
});

test('EpochWorker.run rejects with the stderr of a worker that dies during an epoch', async () => {
  const body = `console.log(JSON.stringify({ ready: true }));
process.stdin.on('data', () => { console.error('segfault in reader'); process.exit(3); });`;
  const worker = await EpochWorker.start('dying', fakeWorker(body), 30_000);
  await assert.rejects(worker.run(30_000), /dying exited \(code 3, signal null\)\n--- stderr ---\nsegfault in reader/);
  await worker.close();
});

test('EpochWorker.run surfaces an error line as an error naming the worker', async () => {
  const body = `console.log(JSON.stringify({ ready: true }));
process.stdin.on('data', () => console.log(JSON.stringify({ error: 'unknown command' })));`;
  const worker = await EpochWorker.start('erring', fakeWorker(body), 30_000);
  await assert.rejects(worker.run(30_000), /^Error: erring: unknown command$/);
  await worker.close(100);
});

test('the Python and Node IPC workers read the generated file with the generator\'s rows and checksum', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fc-worker-'));
  const workers: EpochWorker[] = [];
  try {
    const script = join(repoRoot(), 'bench', 'py', 'epoch_data.py');
    const data = await runPython<{ rows: number; checksum: number; ipcPath: string; parquetDir: string }>(script, [
      'generate', '--dir', dir, '--mib', '2', '--batch-rows', '8192', '--parquet-files', '2',
    ]);
    assert.equal(data.rows, 6 * 8192);
    const python = venvPython();
    workers.push(await EpochWorker.start('py-ipc', pythonWorker(python, 'ipc', { path: data.ipcPath }), 60_000));
    workers.push(await EpochWorker.start('py-parquet', pythonWorker(python, 'parquet', { path: data.parquetDir }), 60_000));
    workers.push(await EpochWorker.start('node-ipc', nodeWorker('ipc', { path: data.ipcPath }), 60_000));
    for (const worker of workers) {
      const run = await worker.run(60_000);
      assert.deepEqual({ rows: run.rows, checksum: run.checksum, bytes: run.bytes }, { rows: data.rows, checksum: data.checksum, bytes: data.rows * 48 }, worker.name);
    }
  } finally {
    await Promise.all(workers.map((worker) => worker.close()));
    rmSync(dir, { recursive: true, force: true });
  }
});
