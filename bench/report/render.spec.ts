import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { GENERATED_NOTICE } from './preamble.js';
import { parseRenderArgs, renderReport, staleRecords, writeReport, type RenderPaths } from './render.js';
import { loadResults } from './results.js';
import { SCALING_BEGIN, SCALING_END } from './scaling-doc.js';
import { gitStaleness } from './staleness.js';
import { fixturesDir } from './testing/fixtures.js';
import { xmlRootTags } from './testing/xml.js';

function tempPaths(): RenderPaths & { dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'render-'));
  return { dir, results: fixturesDir(), out: join(dir, 'docs', 'benchmarks.md'), charts: join(dir, 'docs', 'charts'), scaling: join(dir, 'docs', 'scaling.md'), stale: false };
}

test('renderReport renders the known suites in order with links relative to the charts directory', () => {
  const report = renderReport(loadResults(fixturesDir()), 'charts');
  const headings = report.markdown.split('\n').filter((line) => line.startsWith('## '));
  assert.deepEqual(headings, ['## Findings', '## doget', '## epoch', '## micro', '## scale', '## cluster', '## torch']);
  assert.ok(report.markdown.startsWith(`${GENERATED_NOTICE}\n\n# Benchmarks\n\n`), report.markdown);
  assert.ok(report.markdown.includes('\n\nRendered from `doget.json` (doget, 2001-02-03 04:05 UTC), `epoch.json` (epoch, 2001-02-03 05:00 UTC), '), report.markdown);
  assert.deepEqual(report.charts.map((c) => c.name), ['doget-throughput.svg', 'epoch-contenders.svg', 'epoch-batchSize.svg', 'epoch-readers.svg', 'scale-aggregate.svg']);
  assert.ok(report.markdown.includes('](charts/epoch-readers.svg)'));
});

test('renderReport gives a suite it has no renderer for a generic section after the known ones', () => {
  const results = loadResults(fixturesDir());
  results.set('zeta', { ...results.get('micro')!, suite: 'zeta' });
  const headings = renderReport(results, 'charts').markdown.split('\n').filter((line) => line.startsWith('## '));
  assert.deepEqual(headings, ['## Findings', '## doget', '## epoch', '## micro', '## scale', '## cluster', '## torch', '## zeta']);
});

test('writeReport replaces the whole page, fills the scaling block and writes charts that parse as SVG', async () => {
  const paths = tempPaths();
  try {
    mkdirSync(join(paths.dir, 'docs'));
    writeFileSync(paths.out, '# Hand-written\n\nours is fast\n');
    writeFileSync(paths.scaling, `intro\n${SCALING_BEGIN}\nstale\n${SCALING_END}\noutro\n`);
    const lines = writeReport(paths);
    const doc = readFileSync(paths.out, 'utf8');
    assert.equal(doc, renderReport(loadResults(fixturesDir()), 'charts', gitStaleness(fixturesDir())).markdown);
    assert.ok(doc.includes('**Stale:** the record names no commit'), doc);
    assert.ok(!doc.includes('ours is fast'));
    const scaling = readFileSync(paths.scaling, 'utf8');
    assert.ok(scaling.startsWith(`intro\n${SCALING_BEGIN}\n\n### Measured inputs`) && scaling.endsWith(`\n\n${SCALING_END}\noutro\n`), scaling);
    assert.deepEqual(lines.slice(-2), [`wrote ${paths.out}`, `wrote ${paths.scaling}`]);
    const svgs = readdirSync(paths.charts).sort();
    assert.deepEqual(svgs, ['doget-throughput.svg', 'epoch-batchSize.svg', 'epoch-contenders.svg', 'epoch-readers.svg', 'scale-aggregate.svg']);
    const tags = await xmlRootTags(svgs.map((name) => join(paths.charts, name)));
    assert.deepEqual(tags, svgs.map(() => '{http://www.w3.org/2000/svg}svg'));
  } finally {
    rmSync(paths.dir, { recursive: true, force: true });
  }
});

test('writeReport twice on the same results writes byte-identical files', () => {
  const paths = tempPaths();
  try {
    writeReport(paths);
    const first = readdirSync(paths.charts).map((name) => readFileSync(join(paths.charts, name), 'utf8'));
    const firstDoc = readFileSync(paths.out, 'utf8');
    writeReport(paths);
    assert.deepEqual(readdirSync(paths.charts).map((name) => readFileSync(join(paths.charts, name), 'utf8')), first);
    assert.equal(readFileSync(paths.out, 'utf8'), firstDoc);
  } finally {
    rmSync(paths.dir, { recursive: true, force: true });
  }
});

test('writeReport creates a missing report and skips a missing scaling doc', () => {
  const paths = tempPaths();
  try {
    const lines = writeReport(paths);
    assert.ok(readFileSync(paths.out, 'utf8').startsWith(`${GENERATED_NOTICE}\n\n# Benchmarks\n\n`));
    assert.equal(lines[lines.length - 1], `skipped ${paths.scaling}: no such file`);
  } finally {
    rmSync(paths.dir, { recursive: true, force: true });
  }
});

test('parseRenderArgs defaults to docs/results and docs/, and puts charts and scaling.md next to --out', () => {
  assert.deepEqual(parseRenderArgs([]), { results: 'docs/results', out: 'docs/benchmarks.md', charts: 'docs/charts', scaling: 'docs/scaling.md', stale: false });
  assert.deepEqual(parseRenderArgs(['--results', 'r', '--out', 'site/b.md', '--stale']), { results: 'r', out: 'site/b.md', charts: 'site/charts', scaling: 'site/scaling.md', stale: true });
  assert.throws(() => parseRenderArgs(['--bogus']), /Unknown option '--bogus'/);
});

test('staleRecords lists each record that is not current with the one command that re-measures it', () => {
  assert.deepEqual(staleRecords(fixturesDir()), [
    'doget: **Stale:** the record was taken with uncommitted changes on top of `0123456789ab`, so the code it measured is unknown; re-measure it with the command below.\n' +
      '  npm run bench -- doget --quick --runs 3 --json docs/results/doget.json',
    'epoch: **Stale:** the record names no commit, so the code it measured is unknown; re-measure it with the command below.\n' +
      '  npm run bench -- epoch --runs 5 --json docs/results/epoch.json',
    'micro: **Stale:** the record names no commit, so the code it measured is unknown; re-measure it with the command below.\n' +
      '  npm run bench -- micro --quick --json docs/results/micro.json',
    'scale: **Stale:** the record names no commit, so the code it measured is unknown; re-measure it with the command below.\n' +
      '  npm run bench -- scale --quick --runs 3 --json docs/results/scale.json',
  ]);
});
