import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fixture } from '../testing/fixtures.js';
import { formatDate, formatRatio, formatSi, notMeasured, provenance, reproduce } from './common.js';

test('provenance names the date, the quick flag and every machine field the record has', () => {
  assert.equal(
    provenance(fixture('doget')),
    'Measured 2001-02-03 04:05 UTC (quick run: smaller data, fewer runs) on FIXTURE CPU (not measured) (4 cores), 8.0 GiB RAM, Linux fixture x64, host fixture-host, Node v20.0.0, Python 3.0.0, pyarrow 0.0.0. ' +
      'Commit `0123456789ab` with uncommitted changes to tracked files. One-minute load average 0.25 before the run, 1.50 after.',
  );
  assert.equal(
    provenance(fixture('micro')),
    'Measured 2001-02-03 07:00 UTC (quick run: smaller data, fewer runs) on FIXTURE CPU (not measured) (4 cores). No commit recorded. No load average recorded.',
  );
});

test('reproduce repeats the suite, --quick and the run count, writing to docs/results', () => {
  assert.equal(reproduce(fixture('doget')), 'Reproduce:\n\n```sh\nnpm run bench -- doget --quick --runs 3 --json docs/results/doget.json\n```');
  assert.equal(reproduce({ ...fixture('micro'), only: 'ours' }), 'Reproduce:\n\n```sh\nnpm run bench -- micro --quick --only ours --json docs/results/micro.json\n```');
});

test('number formats: SI prefixes with three digits, ratios with three decimals or a dash, dates in UTC', () => {
  assert.deepEqual([62_500_000, 41_666_666, 1500, 12.5, 2.5e9].map(formatSi), ['62.5 M', '41.7 M', '1.50 k', '12.5', '2.50 G']);
  assert.equal(formatRatio(0.8273), '0.827');
  assert.equal(formatRatio(null), '\u2013');
  assert.equal(formatDate('2026-11-27T11:39:56.347Z'), '2026-11-27 11:39 UTC');
  assert.equal(notMeasured('epoch'), 'epoch: not measured in this results set.');
});
