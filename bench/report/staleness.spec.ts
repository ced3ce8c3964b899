import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';

import { parseRecord, type ResultRecord } from './results.js';
import { gitStaleness, STALENESS_LINE, stalenessLine, type Staleness } from './staleness.js';

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: dir, encoding: 'utf8' }).trim();
}

function commitFile(dir: string, path: string, content: string): string {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), content);
  git(dir, 'add', path);
  git(dir, 'commit', '-q', '-m', `change ${path}`);
  return git(dir, 'rev-parse', 'HEAD');
}

function inTempDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'staleness-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function doget(commit: string | null, dirty: boolean | null = false): ResultRecord {
  return parseRecord('doget.json', { suite: 'doget', date: '2001-01-01T00:00:00Z', commit, dirty, machine: {} });
}

test('gitStaleness names the commits after the record that touch what its suite measures, and only those', () => {
  inTempDir((dir) => {
    git(dir, 'init', '-q');
    const measured = commitFile(dir, 'cache-server/flight/codec.ts', 'one\n');
    mkdirSync(join(dir, 'docs', 'results'), { recursive: true });
    const check = gitStaleness(join(dir, 'docs', 'results'));
    assert.deepEqual(check(doget(measured)), { state: 'current', commit: measured });
    commitFile(dir, 'cache-server/flight/codec.spec.ts', 'a spec\n');
    commitFile(dir, 'cache-server/flight/README.md', 'docs\n');
    commitFile(dir, 'docs/notes.txt', 'elsewhere\n');
    assert.deepEqual(check(doget(measured)), { state: 'current', commit: measured });
    const first = commitFile(dir, 'cache-server/flight/codec.ts', 'two\n');
    commitFile(dir, 'client/python/src/x.py', 'not measured by doget\n');
    const second = commitFile(dir, 'bench/py/doget_client.py', 'driver\n');
    assert.deepEqual(check(doget(measured)), { state: 'changed', commit: measured, since: [second, first] });
    assert.deepEqual(check(doget(second)), { state: 'current', commit: second });
  });
});

test('gitStaleness calls a record stale that names no commit, was dirty, or names a commit the checkout lacks', () => {
  inTempDir((dir) => {
    git(dir, 'init', '-q');
    const head = commitFile(dir, 'a.txt', 'x\n');
    const check = gitStaleness(dir);
    assert.deepEqual(check(doget(null, null)), { state: 'no-commit' });
    assert.deepEqual(check(doget(head, true)), { state: 'dirty', commit: head });
    const gone = 'f'.repeat(40);
    assert.deepEqual(check(doget(gone)), { state: 'unknown-commit', commit: gone });
  });
});

test('gitStaleness outside a checkout says git cannot tell', () => {
  inTempDir((dir) => assert.deepEqual(gitStaleness(dir)(doget('a'.repeat(40))), { state: 'no-git' }));
});

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const ALL: Staleness[] = [
  { state: 'current', commit: COMMIT },
  { state: 'changed', commit: COMMIT, since: ['89abcdef0123456789abcdef0123456789abcdef', 'fedcba9876543210fedcba9876543210fedcba98'] },
  { state: 'no-commit' },
  { state: 'dirty', commit: COMMIT },
  { state: 'unknown-commit', commit: COMMIT },
  { state: 'no-git' },
];

test('stalenessLine names the record commit and every later commit, and marks stale records', () => {
  assert.deepEqual(ALL.map(stalenessLine), [
    "Current: nothing this suite measures changed after the record's commit `0123456789ab`.",
    "**Stale:** code this suite measures changed after the record's commit `0123456789ab`, in `89abcdef0123`, `fedcba987654`; re-measure it with the command below.",
    '**Stale:** the record names no commit, so the code it measured is unknown; re-measure it with the command below.',
    '**Stale:** the record was taken with uncommitted changes on top of `0123456789ab`, so the code it measured is unknown; re-measure it with the command below.',
    "**Stale:** the record's commit `0123456789ab` is not in this checkout's history; re-measure it with the command below.",
    "Staleness unknown: git cannot read this checkout's history.",
  ]);
});

test('stalenessLine keeps a long list short', () => {
  const since = Array.from({ length: 15 }, (_, i) => i.toString(16).padStart(40, 'a'));
  const line = stalenessLine({ state: 'changed', commit: COMMIT, since });
  assert.equal(line.match(/`[0-9a-f]{12}`/g)!.length, 13);
  assert.ok(line.includes('and older ones;'), line);
});

test('STALENESS_LINE matches every line stalenessLine writes and none with a figure in it', () => {
  for (const s of ALL) assert.match(stalenessLine(s), STALENESS_LINE);
  assert.doesNotMatch('**Stale:** ours is 1.3x faster since `0123456789ab`.', STALENESS_LINE);
  assert.doesNotMatch('Current: `0123456789ab`, 2.6 GB/s.', STALENESS_LINE);
  assert.doesNotMatch('Ours reads at 2.6 GB/s.', STALENESS_LINE);
});
