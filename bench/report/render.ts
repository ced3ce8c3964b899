/**
 * `npm run bench:report [-- --results DIR] [--out FILE] [--charts DIR] [--scaling FILE] [--stale]`: renders the
 * `--json` records of `npm run bench` into docs/benchmarks.md (the whole page: nothing in it is
 * hand-written), SVG charts in docs/charts/, and the generated inputs block of docs/scaling.md. With
 * --stale it writes nothing and prints each stale record with the command that re-measures it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { repoRoot } from '../../test/helpers/python.js';
import { renderFindings } from './findings.js';
import { spliceBetween } from './markdown.js';
import { renderPreamble } from './preamble.js';
import { loadResults, type ResultRecord } from './results.js';
import { gitStaleness, stalenessLine, type StalenessCheck } from './staleness.js';
import { modelInputs, renderScalingBlock, SCALING_BEGIN, SCALING_END } from './scaling-doc.js';
import { formatDate, reproduceCommand, type ChartFile, type Section, type SectionContext } from './sections/common.js';
import { renderCluster } from './sections/cluster.js';
import { renderDoget } from './sections/doget.js';
import { renderEpoch } from './sections/epoch.js';
import { renderFeed } from './sections/feed.js';
import { renderGeneric } from './sections/generic.js';
import { renderLoad } from './sections/load.js';
import { gpuReproduce, renderGpu } from './sections/gpu.js';
import { renderMicro } from './sections/micro.js';
import { renderPushdown } from './sections/pushdown.js';
import { renderScale } from './sections/scale.js';
import { renderSoak } from './sections/soak.js';
import { renderTorch } from './sections/torch.js';

/** Where the renderer reads and writes; with stale set it writes nothing and lists the stale records. */
export interface RenderPaths {
  results: string;
  out: string;
  charts: string;
  scaling: string;
  stale: boolean;
}

/** The whole markdown page, the charts, and the scaling block. */
export interface RenderedReport {
  markdown: string;
  charts: ChartFile[];
  scalingBlock: string;
}

const KNOWN = ['doget', 'epoch', 'micro', 'scale', 'cluster', 'torch', 'feed', 'pushdown', 'gpu', 'soak', 'load'];

/**
 * Renders a results set; chartsHref is the path from the report's directory to the charts directory.
 * With a staleness check, every section says whether its record is stale.
 */
export function renderReport(checked: ReadonlyMap<string, ResultRecord>, chartsHref: string, staleness?: StalenessCheck): RenderedReport {
  const results = staleness === undefined ? checked : new Map([...checked].map(([suite, r]) => [suite, { ...r, staleness: staleness(r) }]));
  const context: SectionContext = { chartHref: (name) => (chartsHref === '' ? name : `${chartsHref}/${name}`) };
  const sections: Section[] = [
    renderDoget(results.get('doget'), context),
    renderEpoch(results.get('epoch'), context),
    renderMicro(results.get('micro'), context),
    renderScale(results.get('scale'), context),
    renderCluster(results.get('cluster'), context),
    renderTorch(results.get('torch'), context),
  ];
  if (results.has('feed')) sections.push(renderFeed(results.get('feed'), context));
  if (results.has('soak')) sections.push(renderSoak(results.get('soak'), context));
  if (results.has('pushdown')) sections.push(renderPushdown(results.get('pushdown'), context));
  if (results.has('load')) sections.push(renderLoad(results.get('load'), context));
  const gpu = renderGpu(results.get('gpu'), context);
  if (gpu) sections.push(gpu);
  const others = [...results.keys()].filter((suite) => !KNOWN.includes(suite)).sort();
  for (const suite of others) sections.push(renderGeneric(suite, results.get(suite), `The \`${suite}\` suite.`));
  const files = [...results.values()]
    .sort((a, b) => a.suite.localeCompare(b.suite))
    .map((r) => `\`${basename(r.file)}\` (${r.suite}, ${formatDate(r.date)})`);
  const header = `Rendered from ${files.join(', ')}. Regenerate with \`npm run bench:report\`.`;
  return {
    markdown: `${[renderPreamble(), header, renderFindings(results), ...sections.map((s) => s.markdown)].join('\n\n')}\n`,
    charts: sections.flatMap((s) => s.charts),
    scalingBlock: renderScalingBlock(modelInputs(results)),
  };
}

function readIfExists(path: string): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

/** Renders and writes every output; returns one line per file ("wrote PATH", or why it was skipped). */
export function writeReport(paths: RenderPaths): string[] {
  const results = loadResults(paths.results);
  const chartsHref = relative(dirname(paths.out), paths.charts).split(sep).join('/');
  const report = renderReport(results, chartsHref, gitStaleness(repoRoot()));
  const written: string[] = [];
  mkdirSync(paths.charts, { recursive: true });
  for (const chart of report.charts) {
    const file = join(paths.charts, chart.name);
    writeFileSync(file, chart.svg);
    written.push(`wrote ${file}`);
  }
  mkdirSync(dirname(paths.out), { recursive: true });
  writeFileSync(paths.out, report.markdown);
  written.push(`wrote ${paths.out}`);
  const scaling = readIfExists(paths.scaling);
  if (scaling === null) {
    written.push(`skipped ${paths.scaling}: no such file`);
  } else {
    writeFileSync(paths.scaling, spliceBetween(scaling, SCALING_BEGIN, SCALING_END, report.scalingBlock, paths.scaling));
    written.push(`wrote ${paths.scaling}`);
  }
  return written;
}

/**
 * Records are checked against the checkout the renderer runs from, wherever the results directory is.
 * One line per record that is not current: its suite, why, and the one command that re-measures it
 * (the GPU record's needs a GPU machine).
 */
export function staleRecords(resultsDir: string): string[] {
  const check = gitStaleness(repoRoot());
  return [...loadResults(resultsDir).values()]
    .sort((a, b) => a.suite.localeCompare(b.suite))
    .flatMap((record) => {
      const staleness = check(record);
      if (staleness.state === 'current') return [];
      const command = record.suite === 'gpu' ? gpuReproduce(record) : reproduceCommand(record);
      return [`${record.suite}: ${stalenessLine(staleness)}\n  ${command}`];
    });
}

/** Parses the command line; output paths default to docs/ next to the report. */
export function parseRenderArgs(argv: readonly string[]): RenderPaths {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      results: { type: 'string', default: 'docs/results' },
      out: { type: 'string', default: 'docs/benchmarks.md' },
      charts: { type: 'string' },
      scaling: { type: 'string' },
      stale: { type: 'boolean', default: false },
    },
  });
  const out = values.out!;
  return {
    results: values.results!,
    out,
    charts: values.charts ?? join(dirname(out), 'charts'),
    scaling: values.scaling ?? join(dirname(out), 'scaling.md'),
    stale: values.stale!,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const paths = parseRenderArgs(process.argv.slice(2));
    for (const line of paths.stale ? staleRecords(paths.results) : writeReport(paths)) console.log(line);
  } catch (err) {
    console.error(`bench:report: ${(err as Error).message}`);
    process.exit(1);
  }
}
