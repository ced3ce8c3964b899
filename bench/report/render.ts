/**
 * `npm run bench:report [-- --results DIR] [--out FILE] [--charts DIR] [--scaling FILE]`: renders the
 * `--json` records of `npm run bench` into docs/benchmarks.md (below its marker line), SVG charts
 * in docs/charts/, and the generated inputs block of docs/scaling.md.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { spliceAfterMarker, spliceBetween } from './markdown.js';
import { loadResults, type ResultRecord } from './results.js';
import { modelInputs, renderScalingBlock, SCALING_BEGIN, SCALING_END } from './scaling-doc.js';
import { formatDate, type ChartFile, type Section, type SectionContext } from './sections/common.js';
import { renderCluster } from './sections/cluster.js';
import { renderDoget } from './sections/doget.js';
import { renderEpoch } from './sections/epoch.js';
import { renderFeed } from './sections/feed.js';
import { renderGeneric } from './sections/generic.js';
import { renderGpu } from './sections/gpu.js';
import { renderMicro } from './sections/micro.js';
import { renderScale } from './sections/scale.js';
import { renderTorch } from './sections/torch.js';

/** Where the renderer reads and writes. */
export interface RenderPaths {
  results: string;
  out: string;
  charts: string;
  scaling: string;
}

/** The generated markdown (below the marker), the charts, and the scaling block. */
export interface RenderedReport {
  markdown: string;
  charts: ChartFile[];
  scalingBlock: string;
}

const KNOWN = ['doget', 'epoch', 'micro', 'scale', 'cluster', 'torch', 'feed', 'gpu'];
const DEFAULT_PREAMBLE = '# Benchmarks\n\nMeasured numbers for flightcache and how to reproduce each of them. Method: [bench/README.md](../bench/README.md).';

/** Renders a results set; chartsHref is the path from the report's directory to the charts directory. */
export function renderReport(results: ReadonlyMap<string, ResultRecord>, chartsHref: string): RenderedReport {
  const context: SectionContext = { chartHref: (name) => (chartsHref === '' ? name : `${chartsHref}/${name}`) };
  const sections: Section[] = [
    renderDoget(results.get('doget'), context),
    renderEpoch(results.get('epoch'), context),
    renderMicro(results.get('micro')),
    renderScale(results.get('scale'), context),
    renderCluster(results.get('cluster'), context),
    renderTorch(results.get('torch')),
  ];
  if (results.has('feed')) sections.push(renderFeed(results.get('feed'), context));
  const gpu = renderGpu(results.get('gpu'));
  if (gpu) sections.push(gpu);
  const others = [...results.keys()].filter((suite) => !KNOWN.includes(suite)).sort();
  for (const suite of others) sections.push(renderGeneric(suite, results.get(suite), `The \`${suite}\` suite.`));
  const files = [...results.values()]
    .sort((a, b) => a.suite.localeCompare(b.suite))
    .map((r) => `\`${basename(r.file)}\` (${r.suite}, ${formatDate(r.date)})`);
  const header = `Rendered from ${files.join(', ')}. Regenerate with \`npm run bench:report\`.`;
  return {
    markdown: [header, ...sections.map((s) => s.markdown)].join('\n\n'),
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
  const report = renderReport(results, chartsHref);
  const written: string[] = [];
  mkdirSync(paths.charts, { recursive: true });
  for (const chart of report.charts) {
    const file = join(paths.charts, chart.name);
    writeFileSync(file, chart.svg);
    written.push(`wrote ${file}`);
  }
  const document = spliceAfterMarker(readIfExists(paths.out), report.markdown, DEFAULT_PREAMBLE, paths.out);
  mkdirSync(dirname(paths.out), { recursive: true });
  writeFileSync(paths.out, document);
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

/** Parses the command line; output paths default to docs/ next to the report. */
export function parseRenderArgs(argv: readonly string[]): RenderPaths {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      results: { type: 'string', default: 'docs/results' },
      out: { type: 'string', default: 'docs/benchmarks.md' },
      charts: { type: 'string' },
      scaling: { type: 'string' },
    },
  });
  const out = values.out!;
  return {
    results: values.results!,
    out,
    charts: values.charts ?? join(dirname(out), 'charts'),
    scaling: values.scaling ?? join(dirname(out), 'scaling.md'),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    for (const line of writeReport(parseRenderArgs(process.argv.slice(2)))) console.log(line);
  } catch (err) {
    console.error(`bench:report: ${(err as Error).message}`);
    process.exit(1);
  }
}
