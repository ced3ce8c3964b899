import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatMiB, formatTable } from './report.js';

test('formatTable pads columns to their widest cell and underlines the header', () => {
  const text = formatTable([
    ['server', 'GB/s'],
    ['pyarrow', '1.25'],
  ]);
  assert.equal(text, 'server   GB/s\n-------  ----\npyarrow  1.25');
});

test('formatTable of no rows is empty', () => {
  assert.equal(formatTable([]), '');
});

test('formatMiB prints mebibytes with one decimal', () => {
  assert.equal(formatMiB(3 * 2 ** 19), '1.5 MiB');
});
