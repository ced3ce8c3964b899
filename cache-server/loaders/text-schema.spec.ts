import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inferJsonType, csvValue } from './text-schema.js';
import { Int64 } from 'apache-arrow';

test('csvValue: null markers are null in typed columns, and a cell that does not fit is undefined', () => {
  assert.equal(csvValue(new Int64(), 'NA'), null);
  assert.equal(csvValue(new Int64(), '12'), 12n);
  assert.equal(csvValue(new Int64(), '1.5'), undefined);
});

test('inferJsonType widens int to double and unions struct keys in order of appearance', () => {
  assert.equal(String(inferJsonType([1, 2.5, null])), 'Float64');
  assert.equal(String(inferJsonType([{ a: 1 }, { b: 'x', a: null }])), 'Struct<{a:Int64, b:Utf8}>');
  assert.equal(String(inferJsonType([[1], []])), 'List<Int64>');
  assert.throws(() => inferJsonType([1, 'x']), /JSON values of one column mix int and string/);
});
