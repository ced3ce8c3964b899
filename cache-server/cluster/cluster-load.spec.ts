import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shareFiles } from './cluster-load.js';
import type { SourceFile } from '../loaders/source-files.js';

const file = (path: string, bytes: number): SourceFile => ({ path, bytes, format: 'parquet', partition: [] });

test('shareFiles balances bytes over the shards and keeps the source order within and across shares', () => {
  const files = [file('a', 100), file('b', 10), file('c', 90), file('d', 20)];
  assert.deepEqual(shareFiles(files, 2).map((g) => g.map((f) => f.path)), [['a', 'b'], ['c', 'd']]);
  assert.deepEqual(shareFiles(files, 8).map((g) => g.map((f) => f.path)), [['a'], ['b'], ['c'], ['d']]);
  assert.deepEqual(shareFiles([file('x', 1)], 3).map((g) => g.map((f) => f.path)), [['x']]);
});
