import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { loadResults, measuredOf, numberAt, objectsAt, parseRecord, stringAt } from './results.js';
import { fixturesDir } from './testing/fixtures.js';

const MACHINE = { cpuModel: 'cpu', cores: 2 };

function withDir(files: Record<string, string>, body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'results-'));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('measuredOf reads the run count from a count, an array of samples, or n', () => {
  assert.deepEqual(measuredOf({ median: 2, min: 1, max: 3, runs: 5 }), { median: 2, min: 1, max: 3, runs: 5 });
  assert.deepEqual(measuredOf({ median: 2, min: 1, max: 3, runs: [1, 2, 3] }), { median: 2, min: 1, max: 3, runs: 3 });
  assert.deepEqual(measuredOf({ n: 4, median: 2, min: 1, max: 3 }), { median: 2, min: 1, max: 3, runs: 4 });
  assert.deepEqual(measuredOf({ median: 2, min: 1, max: 3 }), { median: 2, min: 1, max: 3, runs: null });
});

test('measuredOf is null when a value is missing or not a finite number', () => {
  assert.equal(measuredOf({ median: 2, min: 1 }), null);
  assert.equal(measuredOf({ median: '2', min: 1, max: 3 }), null);
  assert.equal(measuredOf([2, 1, 3]), null);
  assert.equal(measuredOf(null), null);
});

test('field readers return null for the wrong type instead of throwing', () => {
  assert.equal(numberAt({ a: 'x' }, 'a'), null);
  assert.equal(numberAt({ a: Infinity }, 'a'), null);
  assert.equal(stringAt([], 'a'), null);
  assert.equal(objectsAt({ a: {} }, 'a'), null);
  assert.deepEqual(objectsAt({ a: [1, { b: 2 }, null] }, 'a'), [{ b: 2 }]);
});

test('parseRecord splits the harness envelope from the suite data and accepts "cpu" for the CPU model', () => {
  const record = parseRecord('f.json', { suite: 's', quick: true, only: null, date: '2001-01-01T00:00:00Z', machine: { cpu: 'x' }, params: { runs: 3 } });
  assert.deepEqual(record, {
    file: 'f.json',
    suite: 's',
    quick: true,
    only: null,
    date: '2001-01-01T00:00:00Z',
    commit: null,
    dirty: null,
    machine: { hostname: null, cpu: 'x', cores: null, memoryBytes: null, os: null, node: null, python: null, pyarrow: null },
    load: null,
    data: { params: { runs: 3 } },
  });
});

test('parseRecord reads the commit, the dirty flag, the host, Python and the load before and after', () => {
  const load = { before: { one: 0.5, five: 0.25, fifteen: 0.125 }, after: { one: 1, five: 0.5, fifteen: 0.25 } };
  const machine = { hostname: 'h', cpuModel: 'c', python: '3.12.1' };
  const record = parseRecord('f.json', { suite: 's', date: '2001-01-01T00:00:00Z', commit: 'abc', dirty: false, machine, load, params: {} });
  assert.equal(record.commit, 'abc');
  assert.equal(record.dirty, false);
  assert.deepEqual(record.load, load);
  assert.equal(record.machine.hostname, 'h');
  assert.equal(record.machine.python, '3.12.1');
  assert.deepEqual(record.data, { params: {} });
});

test('parseRecord treats a load with a missing average as not recorded', () => {
  const record = parseRecord('f.json', { suite: 's', date: '2001-01-01T00:00:00Z', machine: {}, load: { before: { one: 1 }, after: { one: 1, five: 1, fifteen: 1 } } });
  assert.equal(record.load, null);
});

test('parseRecord names the file and the field of a broken envelope', () => {
  assert.throws(() => parseRecord('a.json', []), /a\.json: a results record must be a JSON object/);
  assert.throws(() => parseRecord('a.json', { date: '2001-01-01', machine: {} }), /a\.json: "suite" must be a non-empty string/);
  assert.throws(() => parseRecord('a.json', { suite: 's', date: 'yesterday', machine: {} }), /a\.json: "date" must be an ISO date string/);
  assert.throws(() => parseRecord('a.json', { suite: 's', date: '2001-01-01' }), /a\.json: "machine" must be an object/);
});

test('loadResults reads every fixture, keyed by suite', () => {
  assert.deepEqual([...loadResults(fixturesDir()).keys()].sort(), ['doget', 'epoch', 'micro', 'scale']);
});

test('loadResults keeps the later of two records of the same suite and ignores files that are not JSON records', () => {
  const record = (date: string): string => JSON.stringify({ suite: 'doget', date, machine: MACHINE });
  withDir({ 'a.json': record('2001-01-02T00:00:00Z'), 'b.json': record('2001-01-01T00:00:00Z'), 'notes.txt': 'x' }, (dir) => {
    assert.equal(loadResults(dir).get('doget')!.file, join(dir, 'a.json'));
  });
});

test('loadResults refuses an empty directory, a missing one and a file that is not JSON', () => {
  withDir({}, (dir) => assert.throws(() => loadResults(dir), /no results in .*: run `npm run bench -- <suite> --json/));
  assert.throws(() => loadResults('/nonexistent/results'), /cannot read results directory \/nonexistent\/results/);
  withDir({ 'x.json': '{' }, (dir) => assert.throws(() => loadResults(dir), /x\.json: not valid JSON/));
});
