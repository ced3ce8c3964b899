import assert from 'node:assert/strict';
import { test } from 'node:test';

import { mdCell, mdImage, mdShell, mdTable, spliceBetween } from './markdown.js';

test('mdCell escapes pipes and backslashes and flattens line breaks', () => {
  assert.equal(mdCell('a|b\\c\r\nd\ne'), 'a\\|b\\\\c d e');
});

test('mdTable writes a header, an alignment row with right-aligned number columns, and escaped cells', () => {
  assert.equal(
    mdTable(['server', 'GB/s'], [['a|b', '1.000'], ['c', '2.000']], [1]),
    '| server | GB/s |\n| --- | ---: |\n| a\\|b | 1.000 |\n| c | 2.000 |',
  );
});

test('mdTable refuses a row whose cell count differs from the header', () => {
  assert.throws(() => mdTable(['a', 'b'], [['1']]), /table row has 1 cells, header has 2/);
});

test('mdShell fences a command and mdImage strips brackets from the alt text', () => {
  assert.equal(mdShell('npm run bench -- doget'), '```sh\nnpm run bench -- doget\n```');
  assert.equal(mdImage('a [b]', 'charts/x.svg'), '![a b](charts/x.svg)');
});

test('spliceBetween replaces only the text between the markers', () => {
  const doc = 'intro\n<!-- b -->\nold\n<!-- e -->\noutro\n';
  assert.equal(spliceBetween(doc, '<!-- b -->', '<!-- e -->', 'new\n', 'x.md'), 'intro\n<!-- b -->\n\nnew\n\n<!-- e -->\noutro\n');
});

test('spliceBetween refuses a document with a missing or misplaced marker', () => {
  assert.throws(() => spliceBetween('a <!-- b --> c', '<!-- b -->', '<!-- e -->', 'x', 'x.md'), /x\.md needs the marker lines/);
  assert.throws(() => spliceBetween('<!-- e --> <!-- b -->', '<!-- b -->', '<!-- e -->', 'x', 'x.md'), /in that order/);
});
