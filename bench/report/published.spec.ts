/**
 * The published figures: docs/benchmarks.md, docs/charts/ and the generated block of docs/scaling.md
 * must be exactly what `npm run bench:report` renders from docs/results/, and the templates that
 * write them may hold no numbers of their own. So every published figure traces to a record.
 * Staleness lines are compared by form only: they change with every later commit to a measured
 * path, and carry commit hashes, never figures.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { repoRoot } from '../../test/helpers/python.js';
import { renderReport } from './render.js';
import { loadResults } from './results.js';
import { SCALING_BEGIN, SCALING_END } from './scaling-doc.js';
import { gitStaleness, STALENESS_LINE } from './staleness.js';
import { literalFigures } from './testing/literal-figures.js';
import { describeDifferences, pageDifferences } from './testing/published.js';

const root = repoRoot();
const docs = join(root, 'docs');
const rendered = renderReport(loadResults(join(docs, 'results')), 'charts', gitStaleness(root));
const read = (...path: string[]): string => readFileSync(join(root, ...path), 'utf8');

/** The modules whose strings become the text of docs/benchmarks.md. */
function templateFiles(): string[] {
  const sections = readdirSync(join(root, 'bench', 'report', 'sections'))
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'))
    .map((name) => join('bench', 'report', 'sections', name));
  return [join('bench', 'report', 'render.ts'), join('bench', 'report', 'preamble.ts'), join('bench', 'report', 'findings.ts'), ...sections];
}

/** The generated block of a page that has SCALING_BEGIN ... SCALING_END. */
function scalingBlock(page: string): string {
  const start = page.indexOf(SCALING_BEGIN);
  const end = page.indexOf(SCALING_END);
  assert.ok(start >= 0 && end > start, 'docs/scaling.md lost its generated block markers');
  return page.slice(start + SCALING_BEGIN.length, end).trim();
}

/** The page with every staleness line replaced by one placeholder. */
function withoutStaleness(page: string): string {
  return page
    .split('\n')
    .map((line) => (STALENESS_LINE.test(line) ? '<staleness line>' : line))
    .join('\n');
}

test('docs/benchmarks.md is exactly what the renderer makes from docs/results/', () => {
  const differences = pageDifferences(withoutStaleness(read('docs', 'benchmarks.md')), withoutStaleness(rendered.markdown));
  assert.deepEqual(differences, [], describeDifferences('docs/benchmarks.md', differences));
});

test('docs/charts/ holds exactly the charts the renderer makes from docs/results/', () => {
  const published = readdirSync(join(docs, 'charts')).filter((name) => name.endsWith('.svg')).sort();
  assert.deepEqual(published, rendered.charts.map((c) => c.name).sort());
  for (const chart of rendered.charts) assert.equal(read('docs', 'charts', chart.name), chart.svg, `docs/charts/${chart.name} differs from its rendering`);
});

test('the generated block of docs/scaling.md is what the renderer makes from docs/results/', () => {
  assert.equal(scalingBlock(read('docs', 'scaling.md')), rendered.scalingBlock.trim());
});

test('the templates of docs/benchmarks.md hold no literal numbers', () => {
  const found = templateFiles().flatMap((file) => literalFigures(read(file), file).map((f) => `${file}:${f.line}: ${f.figure} in "${f.literal}"`));
  assert.deepEqual(found, []);
});

test('README.md and the hand-written part of docs/scaling.md quote no throughput', () => {
  const scaling = read('docs', 'scaling.md');
  const handWritten = scaling.slice(0, scaling.indexOf(SCALING_BEGIN)) + scaling.slice(scaling.indexOf(SCALING_END));
  for (const [name, text] of [['README.md', read('README.md')], ['docs/scaling.md', handWritten]] as const) {
    assert.deepEqual(text.match(/\d[\d.,]*\s*(?:GB\/s|M samples\/s)/g) ?? [], [], `${name} quotes a rate outside the generated report`);
  }
});

test('a figure typed into the page fails the comparison, naming its line', () => {
  const lines = rendered.markdown.split('\n');
  const at = lines.indexOf('## Findings') + 1;
  const tampered = [...lines.slice(0, at), '- ours reads at 3.40 GB/s, 1.30x pyarrow', ...lines.slice(at)].join('\n');
  assert.deepEqual(pageDifferences(tampered, rendered.markdown), [{ kind: 'unbacked', line: at + 1, text: '- ours reads at 3.40 GB/s, 1.30x pyarrow' }]);
  const edited = rendered.markdown.replace(/\| ours \| (\d+\.\d+) \|/, '| ours | 9.999 |');
  assert.notEqual(edited, rendered.markdown);
  assert.equal(pageDifferences(edited, rendered.markdown).filter((d) => d.kind === 'unbacked').length, 1);
});

test('a figure typed into a staleness line is not taken for one', () => {
  const stale = rendered.markdown.split('\n').find((line) => STALENESS_LINE.test(line));
  assert.ok(stale !== undefined, 'every section has a staleness line');
  const tampered = rendered.markdown.replace(stale, `${stale} Ours is 1.30x pyarrow.`);
  assert.equal(pageDifferences(withoutStaleness(tampered), withoutStaleness(rendered.markdown)).length, 2);
});

test('every section of docs/benchmarks.md says whether its record is stale', () => {
  const page = read('docs', 'benchmarks.md');
  const sections = page.split('\n## ').slice(1).filter((s) => !s.startsWith('Findings'));
  for (const section of sections) assert.ok(section.split('\n').some((line) => STALENESS_LINE.test(line)), `no staleness line in ## ${section.split('\n')[0]}`);
});

test('a figure typed into a template fails the template check, naming the number', () => {
  const source = "const INTRO = 'ours reads at 2.6 GB/s over int64 columns';\nconst line = `p50 of ${ms} ms, 1.3x pyarrow`;\n";
  assert.deepEqual(
    literalFigures(source).map((f) => [f.line, f.figure]),
    [
      [1, '2.6'],
      [2, '1.3'],
    ],
  );
});
