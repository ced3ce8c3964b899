/**
 * `load --filter "<predicate>"`: a node and a 2-shard cluster keep only the rows where a predicate of
 * the query dialect is TRUE (SQL three-valued logic: NULL drops the row), equal to pyarrow reading the
 * same Parquet files with the same predicate; `--columns` applies after the filter, which may name
 * other columns. A bad predicate is refused before any file is read, the cache unchanged.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FlightClient } from '../../client/src/flight-client.js';
import { runPython } from '../helpers/python.js';
import { clusterStats, startCli, waitFor } from '../cluster/cluster-helpers.js';
import { runCli } from './load-helpers.js';

let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flightcache-load-filter-'));
  await runPython('load_filter_check.py', ['write', join(dir, 'docs')]);
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** Each predicate, the same in pyarrow's expressions, and the columns loaded (id first: a cluster's rows are compared ordered by it). */
const CASES: ReadonlyArray<readonly [string, string, string]> = [
  ["score > 0.5 AND lang IN ('en', 'de')", "(pc.field('score') > 0.5) & pc.field('lang').isin(['en', 'de'])", 'id,text'],
  ["text LIKE 'a%' OR id BETWEEN 100 AND 2500", "pc.starts_with(pc.field('text'), 'a') | ((pc.field('id') >= 100) & (pc.field('id') <= 2500))", 'id,lang,score,text'],
  ['NOT (score < 0.25) AND lang IS NOT NULL', "~(pc.field('score') < 0.25) & ~pc.field('lang').is_null()", 'id,lang,score'],
];

async function assertFilteredLoads(url: string, sorted: boolean): Promise<void> {
  for (const [sql, expression, columns] of CASES) {
    const run = await runCli(['load', join(dir, 'docs'), '--name', 'docs', '--filter', sql, '--columns', columns, '--endpoint', url]);
    assert.equal(run.code, 0, run.stderr);
    const compared = await runPython<{ equal: boolean; detail: string; rows: number }>('load_filter_check.py', ['compare', url, 'docs', join(dir, 'docs'), expression, '--columns', columns, ...(sorted ? ['--sort', 'id'] : [])]);
    assert.equal(compared.equal, true, `${sql}: ${compared.detail}`);
    assert.ok(compared.rows > 1_000 && compared.rows < 20_000, `${sql}: ${compared.rows} rows`);
  }
}

test('a node loads only the rows a --filter predicate keeps, equal to pyarrow filtering the same files', async () => {
  const node = await startCli(['serve', '--port', '0']);
  try {
    await assertFilteredLoads(node.url, false);
    const last = CASES[CASES.length - 1]!;
    const syntax = await runCli(['load', join(dir, 'docs'), '--name', 'docs', '--filter', 'score >', '--endpoint', node.url]);
    assert.equal(syntax.stderr, 'flightcache: INVALID_ARGUMENT: SQL syntax error: sql parser error: Expected: an expression, found: EOF\n');
    const unknown = await runCli(['load', join(dir, 'docs'), '--name', 'docs', '--filter', 'nosuch > 1', '--endpoint', node.url]);
    assert.match(unknown.stderr, /^flightcache: INVALID_ARGUMENT: .*part-0\.parquet: .*unknown column "?nosuch"?.*\n$/);
    // Both failed loads left the last good generation serving.
    const kept = await runPython<{ equal: boolean; detail: string }>('load_filter_check.py', ['compare', node.url, 'docs', join(dir, 'docs'), last[1], '--columns', last[2]]);
    assert.equal(kept.equal, true, kept.detail);
  } finally {
    await node.stop();
  }
});

test('on a cluster each shard filters the files it reads, and the dataset equals pyarrow filtering them all', async () => {
  const cluster = await startCli(['serve', '--port', '0', '--shards', '2']);
  const client = new FlightClient(cluster.url);
  try {
    await waitFor('two live shards', async () => ((await clusterStats(client)).members.filter((m) => m.live).length === 2 ? true : undefined), 60_000);
    await assertFilteredLoads(cluster.url, true);
  } finally {
    client.close();
    await cluster.stop();
  }
});
