import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Bool, DateDay, Float64, Int64, TimestampSecond, Utf8, makeVector } from 'apache-arrow';
import { CellError, csvColumn } from './csv-columns.js';

const values = (type: Parameters<typeof csvColumn>[0], cells: string[]): unknown[] => [...makeVector(csvColumn(type, cells))];

test('csvColumn builds int64 (negative, beyond 2^53, null markers), double, bool, date32, timestamp[s] and utf8 columns', () => {
  assert.deepEqual(values(new Int64(), ['1', '-2', '', 'NA', '9007199254740993', '-4294967297']), [1n, -2n, null, null, 9007199254740993n, -4294967297n]);
  assert.deepEqual(values(new Float64(), ['1.5', '-inf', 'nan', '2e3', '.5']), [1.5, -Infinity, null, 2000, 0.5]);
  assert.deepEqual(values(new Bool(), ['true', 'False', '0', 'NULL']), [true, false, false, null]);
  assert.deepEqual(values(new DateDay(), ['1970-01-02', '']).map((v) => (v === null ? null : Number(v))), [86_400_000, null]);
  assert.deepEqual(values(new TimestampSecond(), ['1970-01-01 00:01:00']).map(Number), [60_000]);
  assert.deepEqual(values(new Utf8(), ['a', '', 'NA', 'héllo']), ['a', '', 'NA', 'héllo']);
});

test('csvColumn names the row of a cell that does not fit', () => {
  assert.throws(() => csvColumn(new Int64(), ['1', '2', 'x']), (err: unknown) => err instanceof CellError && err.row === 2 && err.cell === 'x');
  assert.throws(() => csvColumn(new Float64(), ['0x10']), (err: unknown) => err instanceof CellError && err.cell === '0x10');
});
