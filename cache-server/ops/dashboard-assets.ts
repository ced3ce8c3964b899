/**
 * The dashboard's static files: the page, its script and style (cache-server/ops/dashboard/) and
 * uPlot, the chart library, from its npm package. All are read once from disk and served by the ops
 * server itself, so the page needs no network beyond the node it is served by.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** A file the ops server serves. */
export interface Asset {
  type: string;
  body: Buffer;
}

// From dist/cache-server/ops/ back to the checkout's cache-server/ops/dashboard/ (the files are not compiled).
const PAGE_DIR = fileURLToPath(new URL('../../../cache-server/ops/dashboard/', import.meta.url));
const require = createRequire(import.meta.url);

/** URL path -> where the file is and its content type. */
const FILES: Record<string, [() => string, string]> = {
  '/': [() => `${PAGE_DIR}index.html`, 'text/html; charset=utf-8'],
  '/assets/dashboard.js': [() => `${PAGE_DIR}dashboard.js`, 'text/javascript; charset=utf-8'],
  '/assets/dashboard.css': [() => `${PAGE_DIR}dashboard.css`, 'text/css; charset=utf-8'],
  '/assets/uPlot.iife.min.js': [() => require.resolve('uplot/dist/uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
  '/assets/uPlot.min.css': [() => require.resolve('uplot/dist/uPlot.min.css'), 'text/css; charset=utf-8'],
};

const cache = new Map<string, Asset>();

/** The dashboard file served at `path`, or undefined when there is none. */
export function dashboardAsset(path: string): Asset | undefined {
  const file = FILES[path];
  if (!file) return undefined;
  let asset = cache.get(path);
  if (!asset) {
    asset = { type: file[1], body: readFileSync(file[0]()) };
    cache.set(path, asset);
  }
  return asset;
}
