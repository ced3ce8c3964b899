import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';

import { findOnPath, freePort, redisPlan, redisServerArgs } from './redis.js';

test('redisServerArgs binds loopback on the port, disables RDB and AOF and logs to stdout', () => {
  assert.deepEqual(redisServerArgs(6400, '/tmp/x'), [
    '--port', '6400', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', '/tmp/x', '--logfile', '', '--daemonize', 'no',
  ]);
});

test('findOnPath returns the first executable of that name on the path and skips non-executables', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fc-path-'));
  try {
    const plain = join(dir, 'plain');
    const exec = join(dir, 'exec');
    writeFileSync(plain, '');
    writeFileSync(join(exec), '#!/bin/sh\n');
    chmodSync(exec, 0o755);
    const path = ['', join(dir, 'missing'), dir].join(delimiter);
    assert.equal(findOnPath('exec', path), exec);
    assert.equal(findOnPath('plain', path), undefined);
    assert.equal(findOnPath('absent', path), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('freePort returns a loopback port that can be listened on', async () => {
  const port = await freePort();
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  await new Promise((resolve) => server.close(resolve));
});

test('redisPlan reads the prefixed keys on the port with pipelined GETs', () => {
  const plan = redisPlan('/v/python', 6400, 'epoch');
  assert.equal(plan.name, 'redis');
  assert.deepEqual(plan.command.args.slice(1), ['redis', '--port', '6400', '--prefix', 'epoch', '--pipeline', '8']);
});
