import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fixture } from '../testing/fixtures.js';
import { caseRows, renderGeneric } from './generic.js';

test('caseRows turns every summary field of a named case into a row and skips the rest', () => {
  assert.deepEqual(caseRows([{ name: 'a', ops: { median: 1.5, min: 1, max: 2, runs: 3 }, note: 'x' }, { case: 'b', t: { median: 12345.6, min: 1, max: 20000 } }, { ops: { median: 1, min: 1, max: 1 } }, 7]), [
    ['a', 'ops', '1.500', '1.000', '2.000', '3'],
    ['b', 't', '12346', '1.000', '20000', '\u2013'],
  ]);
});

test('renderGeneric renders a table per array of named cases', () => {
  const { markdown } = renderGeneric('micro', fixture('micro'), 'Micro.');
  assert.ok(markdown.includes('### cases\n\n| case | metric | median | min | max | runs |\n| --- | --- | ---: | ---: | ---: | ---: |\n| frame encode | opsPerSec | 125000 | 120000 | 130000 | 5 |'), markdown);
});

test('renderGeneric says what is missing when a record has no named cases, or no record exists', () => {
  assert.ok(renderGeneric('micro', { ...fixture('micro'), data: {} }, 'Micro.').markdown.endsWith('Named cases with median/min/max summaries in micro: not measured in this results set.'));
  assert.ok(renderGeneric('micro', undefined, 'Micro.').markdown.endsWith('micro: not measured in this results set.'));
});
