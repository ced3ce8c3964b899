import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { currentLoad, sourceState } from './provenance.js';

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: dir, encoding: 'utf8' }).trim();
}

test('sourceState names HEAD and turns dirty only when a tracked file changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'provenance-'));
  try {
    git(dir, 'init', '-q');
    writeFileSync(join(dir, 'a.txt'), 'one\n');
    git(dir, 'add', 'a.txt');
    git(dir, 'commit', '-q', '-m', 'first');
    const head = git(dir, 'rev-parse', 'HEAD');
    assert.deepEqual(await sourceState(dir), { commit: head, dirty: false });
    writeFileSync(join(dir, 'untracked.txt'), 'x\n');
    assert.deepEqual(await sourceState(dir), { commit: head, dirty: false });
    writeFileSync(join(dir, 'a.txt'), 'two\n');
    assert.deepEqual(await sourceState(dir), { commit: head, dirty: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sourceState is null outside a git checkout', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'provenance-'));
  try {
    assert.equal(await sourceState(dir), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('currentLoad gives three non-negative finite load averages', () => {
  const load = currentLoad();
  assert.deepEqual(Object.keys(load), ['one', 'five', 'fifteen']);
  for (const value of Object.values(load)) assert.ok(Number.isFinite(value) && value >= 0, String(value));
});
