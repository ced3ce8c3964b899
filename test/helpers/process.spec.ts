import assert from 'node:assert/strict';
import { test } from 'node:test';

import { startProcess } from './process.js';

const node = process.execPath;
const READY = /^fake ready (\S+)$/;

test('startProcess resolves with the capture group of the ready line and stop() ends the process with SIGTERM', async () => {
  const script = "console.log('booting'); console.log('fake ready grpc://127.0.0.1:1234'); setInterval(() => {}, 1000);";
  const started = await startProcess(node, ['-e', script], READY);
  assert.equal(started.url, 'grpc://127.0.0.1:1234');
  assert.equal(started.pid, started.child.pid);
  assert.deepEqual(await started.stop(), { code: null, signal: 'SIGTERM' });
});

test('startProcess rejects with the stderr of a process that exits before it is ready', async () => {
  const script = "console.error('address already in use'); process.exit(3);";
  await assert.rejects(startProcess(node, ['-e', script], READY), (err: Error) => {
    assert.match(err.message, /exited \(code 3, signal null\) before it was ready/);
    assert.match(err.message, /address already in use/);
    return true;
  });
});

test('startProcess rejects and kills the process when no ready line arrives in time', async () => {
  const script = "console.log('still starting'); setInterval(() => {}, 1000);";
  await assert.rejects(startProcess(node, ['-e', script], READY, { timeoutMs: 300 }), (err: Error) => {
    assert.match(err.message, /no line matching .* within 300 ms/);
    assert.match(err.message, /still starting/);
    return true;
  });
});

test('stop() escalates to SIGKILL when the process ignores SIGTERM', async () => {
  const script = "process.on('SIGTERM', () => {}); console.log('fake ready x'); setInterval(() => {}, 1000);";
  const started = await startProcess(node, ['-e', script], READY);
  assert.deepEqual(await started.stop(100), { code: null, signal: 'SIGKILL' });
});

test('stop() on a process that already exited returns its exit status', async () => {
  const started = await startProcess(node, ['-e', "console.log('fake ready x'); setTimeout(() => process.exit(0), 10);"], READY);
  assert.deepEqual(await started.exited, { code: 0, signal: null });
  assert.deepEqual(await started.stop(), { code: 0, signal: null });
});
