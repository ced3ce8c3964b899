import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { globPattern, hivePartition, inSplit, listSourceFiles } from './source-files.js';

test('globPattern: * stays within a directory, ** spans directories, ? is one character', () => {
  assert.equal(globPattern('*.parquet').test('a.parquet'), true);
  assert.equal(globPattern('*.parquet').test('x/a.parquet'), false);
  assert.equal(globPattern('**/*.parquet').test('a.parquet'), true);
  assert.equal(globPattern('**/*.parquet').test('x/y/a.parquet'), true);
  assert.equal(globPattern('part-?.csv').test('part-1.csv'), true);
  assert.equal(globPattern('part-?.csv').test('part-12.csv'), false);
  assert.equal(globPattern('a.b').test('axb'), false);
});

test('hivePartition reads key=value directory levels below the root, URL-decoded', () => {
  assert.deepEqual(hivePartition('/d', '/d/year=2024/lang=en%20us/f.parquet'), [['year', '2024'], ['lang', 'en us']]);
  assert.deepEqual(hivePartition('/d', '/d/plain/f.parquet'), []);
});

test('inSplit: a split is a directory of that name or a file name prefix', () => {
  assert.equal(inSplit('/d', '/d/data/train-00000-of-00002.parquet', 'train'), true);
  assert.equal(inSplit('/d', '/d/train/0000.parquet', 'train'), true);
  assert.equal(inSplit('/d', '/d/data/test-00000-of-00002.parquet', 'train'), false);
  assert.equal(inSplit('/d', '/d/data/trainer.parquet', 'train'), false);
});

test('listSourceFiles walks directories in sorted order, skips hidden and _ files, and names what is missing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'source-files-'));
  try {
    mkdirSync(join(dir, 'k=2'));
    mkdirSync(join(dir, 'k=1'));
    for (const path of ['k=2/b.parquet', 'k=1/a.parquet', 'k=1/_SUCCESS', 'k=1/.a.parquet.crc', 'README.md']) writeFileSync(join(dir, path), 'x');
    const files = await listSourceFiles(dir);
    assert.deepEqual(files.map((f) => [f.path.slice(dir.length), f.format, f.bytes, f.partition]), [
      ['/k=1/a.parquet', 'parquet', 1, [['k', '1']]],
      ['/k=2/b.parquet', 'parquet', 1, [['k', '2']]],
    ]);
    await assert.rejects(listSourceFiles(join(dir, 'none')), (err: unknown) => err instanceof FlightError && err.code === Code.NOT_FOUND && err.message === `source ${JSON.stringify(join(dir, 'none'))} does not exist`);
    await assert.rejects(listSourceFiles(dir, { split: 'train' }), (err: unknown) => err instanceof FlightError && err.code === Code.NOT_FOUND && /has no Parquet, Arrow IPC, CSV or JSON Lines files in split "train"$/.test(err.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
