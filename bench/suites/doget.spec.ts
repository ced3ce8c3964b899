import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { pinServers, planPinning } from './doget.js';
import { allowedCpus, findExecutable } from './scale-plan.js';

test('planPinning puts the servers on the first half of the CPUs and the client on the rest', () => {
  assert.deepEqual(planPinning([0, 1], '/usr/bin/taskset'), { serverCpus: [0], clientCpus: [1] });
  assert.deepEqual(planPinning([2, 3, 5, 7, 8], '/usr/bin/taskset'), { serverCpus: [2, 3], clientCpus: [5, 7, 8] });
});

test('planPinning leaves the processes unpinned on one CPU or without taskset, saying why', () => {
  assert.deepEqual(planPinning([0], '/usr/bin/taskset'), { unpinned: 'only 1 CPU is allowed' });
  assert.deepEqual(planPinning([0, 1], null), { unpinned: 'taskset is not installed' });
});

/** Runs body with a sleeping child process, then ends that child. */
async function withChild(body: (pid: number) => Promise<void>): Promise<void> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    await body(child.pid!);
  } finally {
    child.kill();
  }
}

const allowedOf = (pid: number): string => /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;

const taskset = findExecutable('taskset', process.env['PATH']);

test('pinServers pins every thread of each server to the server CPUs', { skip: taskset === null ? 'taskset is not installed' : false }, async () => {
  const allowed = allowedCpus();
  await withChild(async (pid) => {
    const plan = { serverCpus: [allowed[0]!], clientCpus: allowed.slice(1) };
    assert.deepEqual(await pinServers(plan, taskset, [pid], allowed), plan);
    assert.equal(allowedOf(pid), String(allowed[0]));
  });
});

test('pinServers goes on unpinned, saying why, when taskset fails', async () => {
  await withChild(async (pid) => {
    const result = await pinServers({ serverCpus: [0], clientCpus: [1] }, '/bin/false', [pid], allowedCpus());
    assert.ok('unpinned' in result && result.unpinned.startsWith('taskset failed: Command failed: /bin/false'), JSON.stringify(result));
  });
});
