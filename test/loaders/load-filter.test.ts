/**
 * `load --filter`: the rows a load stores are those where the predicate is TRUE, as queries select
 * them, differentially against pyarrow reading the same file and filtering it with pyarrow.compute;
 * `--columns` keeps columns after the filter, which may read others. Bad predicates fail before any
 * file is read and leave the process serving.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { compareWithPyarrow, fixturesAndNode, runCli } from './load-helpers.js';

const { fixtures, server } = fixturesAndNode();

const load = (source: string, name: string, ...flags: string[]) => runCli(['load', join(fixtures(), source), '--name', name, '--endpoint', server().url, ...flags]);

test('a filtered Parquet load keeps the rows pyarrow.compute keeps, and --columns keeps columns the filter does not name', async () => {
  const run = await load('dir', 'filtered', '--filter', "score > 50 AND starts_with(text, 'row 4')", '--columns', 'id');
  assert.equal(run.code, 0, run.stderr);
  const keep = JSON.stringify([['score', '>', 50], ['text', 'starts_with', 'row 4']]);
  const compared = await compareWithPyarrow(server().url, 'filtered', 'parquet', join(fixtures(), 'dir'), ['--keep', keep, '--columns', 'id']);
  // 'row 4...' is ids 4, 40-49 and 400-499; score = id / 7 > 50 keeps 400-499.
  assert.deepEqual([compared.equal, compared.columns, compared.rows], [true, ['id'], 100], compared.detail);
});

test('a filter on a dictionary column of every-type IPC batches (stream, and ZSTD file) keeps partial batches and drops empty ones as pyarrow does', async () => {
  for (const source of ['ipc/stream-none.arrow', 'ipc/file-zstd.arrow']) {
    const run = await load(source, 'red', '--filter', "dictionary = 'red'");
    assert.equal(run.code, 0, run.stderr);
    const compared = await compareWithPyarrow(server().url, 'red', 'ipc', join(fixtures(), source), ['--keep', JSON.stringify([['dictionary', '=', 'red']])]);
    assert.deepEqual([compared.equal, compared.rows], [true, 4], `${source}: ${compared.detail}`);
  }
});

test('a predicate that does not parse or names an unknown column fails saying so, and the next load works', async () => {
  const cases: Array<[string, RegExp]> = [
    ['score >', /^flightcache: INVALID_ARGUMENT: SQL syntax error: .*Expected: an expression, found: EOF\n$/],
    ['nope = 1', /^flightcache: INVALID_ARGUMENT: .*"nope".*\n$/],
  ];
  for (const [predicate, message] of cases) {
    const run = await load('dir', 'bad-filter', '--filter', predicate);
    assert.equal(run.code, 1, predicate);
    assert.match(run.stderr, message);
  }
  const run = await load('dir', 'after-bad', '--filter', 'id < 10');
  assert.equal(run.code, 0, run.stderr);
  const compared = await compareWithPyarrow(server().url, 'after-bad', 'parquet', join(fixtures(), 'dir'), ['--keep', JSON.stringify([['id', '<', 10]])]);
  assert.deepEqual([compared.equal, compared.rows], [true, 10], compared.detail);
});
