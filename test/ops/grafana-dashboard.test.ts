/**
 * The Grafana dashboard in docs/grafana/ names only metrics and labels a flightcache process exports:
 * the exposition of a ProcessMetrics fed stats in which every family has samples (a coordinator's
 * members and datasets, a node's loads and same-host readers) is the list of what exists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessMetrics } from '../../cache-server/ops/metrics.js';
import type { ClusterStats } from '../../cache-server/cluster/cluster-actions.js';
import { Code } from '../../client/src/flight/errors.js';
import { repoRoot } from '../helpers/python.js';
import { parsePrometheus } from '../helpers/prometheus.js';

/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = ['instance', 'job'];
const METRIC = /\b(?:flightcache|process|nodejs)_[a-zA-Z0-9_]+/g;

const everything: ClusterStats = {
  role: 'coordinator',
  replicas: 2,
  members: [{ id: 'a', location: 'grpc://127.0.0.1:1', state: 'up', live: true, source: 'static', since: '2026-01-01T00:00:00.000Z' }],
  datasets: [{ name: 'd', rows: 10, bytes: 80, batches: 1, partitions: 1, status: 'healthy', degraded: [], lost: [] }],
  rows: 10,
  bytes: 80,
  memory: { usedBytes: 80, limitBytes: 1024, nativeLiveBytes: 80, rssBytes: 1 },
  sameHost: { shmDir: '/dev/shm', socket: '/dev/shm/s.sock', shmBytes: 64, heldBytes: 0, mappedBytes: 0, connections: 0 },
  loads: [{ name: 'd', source: '/data', state: 'done', files: 1, filesTotal: 1, rows: 10, bytes: 100, bytesTotal: 100 }],
};

/** Every series name exported, with the label names its samples carry. */
async function exported(): Promise<Map<string, Set<string>>> {
  const metrics = new ProcessMetrics(() => everything);
  metrics.observeCall({ path: '/arrow.flight.protocol.FlightService/DoGet', code: Code.OK, seconds: 0.01, receivedBytes: 10, sentBytes: 100 });
  metrics.observePlanning('GetFlightInfo', 0.001);
  const series = new Map<string, Set<string>>();
  for (const family of parsePrometheus(await metrics.render()).values()) {
    for (const sample of family.samples) {
      const labels = series.get(sample.name) ?? new Set(TARGET_LABELS);
      for (const label of Object.keys(sample.labels)) labels.add(label);
      series.set(sample.name, labels);
    }
  }
  return series;
}

interface Dashboard {
  panels: Array<{ title: string; targets: Array<{ expr: string; legendFormat?: string }> }>;
  templating: { list: Array<{ name: string; query?: string }> };
}

/** The problems of one PromQL expression: unknown metrics, unknown labels in matchers, grouping and legends. */
function problems(expr: string, legend: string, series: Map<string, Set<string>>): string[] {
  const found: string[] = [];
  const names = expr.match(METRIC) ?? [];
  if (names.length === 0) found.push(`names no flightcache metric: ${expr}`);
  const known = new Set<string>();
  for (const name of names) {
    const labels = series.get(name);
    if (!labels) found.push(`unknown metric ${name}`);
    else for (const label of labels) known.add(label);
  }
  for (const [, name, matchers] of expr.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)) {
    for (const [, label] of matchers!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) {
      if (!series.get(name!)?.has(label!)) found.push(`${name} has no label ${label}`);
    }
  }
  const grouped = [...expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap(([, list]) => list!.split(',').map((l) => l.trim()));
  const legends = [...legend.matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)].map(([, label]) => label!);
  for (const label of [...grouped, ...legends]) if (!known.has(label)) found.push(`no metric of "${expr}" has label ${label}`);
  return found;
}

test('every expression of the Grafana dashboard names metrics and labels flightcache exports', async () => {
  const series = await exported();
  const dashboard = JSON.parse(readFileSync(join(repoRoot(), 'docs', 'grafana', 'flightcache.json'), 'utf8')) as Dashboard;
  const targets = dashboard.panels.flatMap((p) => p.targets.map((t) => ({ where: p.title, expr: t.expr, legend: t.legendFormat ?? '' })));
  const variables = dashboard.templating.list.filter((v) => v.name === 'instance').map((v) => ({ where: 'variable instance', expr: v.query!, legend: '' }));
  assert.equal(dashboard.panels.length, 14);
  const found = [...targets, ...variables].flatMap(({ where, expr, legend }) => problems(expr, legend, series).map((p) => `${where}: ${p}`));
  assert.deepEqual(found, []);
});

test('the dashboard check finds unknown metrics, labels and groupings', async () => {
  const series = await exported();
  assert.deepEqual(problems('rate(flightcache_rpc_handled_total{method="DoGet"}[1m])', '{{code}}', series), []);
  assert.deepEqual(problems('rate(flightcache_rpc_calls_total[1m])', '', series), ['unknown metric flightcache_rpc_calls_total']);
  assert.deepEqual(problems('flightcache_members{tier="x"}', '', series), ['flightcache_members has no label tier']);
  assert.deepEqual(problems('sum by (dataset) (flightcache_members)', '{{member}}', series), [
    'no metric of "sum by (dataset) (flightcache_members)" has label dataset',
    'no metric of "sum by (dataset) (flightcache_members)" has label member',
  ]);
  assert.deepEqual(problems('vector(1)', '', series), ['names no flightcache metric: vector(1)']);
});
