import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Bool, DateDay, Float64, Int64, TimestampSecond, makeVector } from 'apache-arrow';
import { CellError, csvColumn, csvUtf8Column } from './csv-columns.js';
import { CsvScanner } from './csv-scanner.js';

const values = (type: Parameters<typeof csvColumn>[0], cells: string[]): unknown[] => [...makeVector(csvColumn(type, cells))];

test('csvColumn builds int64 (negative, beyond 2^53, null markers), double, bool, date32 and timestamp[s] columns', () => {
  assert.deepEqual(values(new Int64(), ['1', '-2', '', 'NA', '9007199254740993', '-4294967297']), [1n, -2n, null, null, 9007199254740993n, -4294967297n]);
  assert.deepEqual(values(new Float64(), ['1.5', '-inf', 'nan', '2e3', '.5']), [1.5, -Infinity, null, 2000, 0.5]);
  assert.deepEqual(values(new Bool(), ['true', 'False', '0', 'NULL']), [true, false, false, null]);
  assert.deepEqual(values(new DateDay(), ['1970-01-02', '']).map((v) => (v === null ? null : Number(v))), [86_400_000, null]);
  assert.deepEqual(values(new TimestampSecond(), ['1970-01-01 00:01:00']).map(Number), [60_000]);
});

test('csvUtf8Column copies a block\'s field bytes, quotes removed and "" unescaped; null markers stay strings', () => {
  const scanner = new CsvScanner(10);
  scanner.push(Buffer.from('s\na\n""\nNA\nhéllo\n"x ""y"""\n"q"z\n'));
  const block = scanner.end()[0]!;
  assert.deepEqual([...makeVector(csvUtf8Column(block, 0))], ['a', '', 'NA', 'héllo', 'x "y"', 'qz']);
});

test('csvColumn names the row of a cell that does not fit', () => {
  assert.throws(() => csvColumn(new Int64(), ['1', '2', 'x']), (err: unknown) => err instanceof CellError && err.row === 2 && err.cell === 'x');
  assert.throws(() => csvColumn(new Float64(), ['0x10']), (err: unknown) => err instanceof CellError && err.cell === '0x10');
});
