/**
 * `load` of local Apache Iceberg tables, differentially against pyiceberg's scan of the current
 * snapshot: tables pyiceberg writes (snapshots, schema evolution, position deletes, identity
 * partitions, day/bucket/truncate partitions pruned by a filter) and real tables from the shared data set (relative locations, a version hint or none,
 * gzip metadata, catalog-style metadata names, name mappings, defaults, equality deletes).
 * Deletion vectors are refused with UNIMPLEMENTED.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { StartedProcess } from '../helpers/process.js';
import { repoRoot } from '../helpers/python.js';
import { startCli } from '../cluster/cluster-helpers.js';
import { compareWithPyarrow, runCli, writeFixtures } from './load-helpers.js';

/** shared/data/iceberg beside (or inside) the checkout. */
const candidates = [join(repoRoot(), 'shared'), join(repoRoot(), '..', 'shared'), join(repoRoot(), '..', '..', 'shared')].map((d) => join(d, 'data', 'iceberg'));
/** The project's real Iceberg tables (shared/ beside the checkout, as CI lays it out); absent in a plain clone. */
const sharedTables = candidates.find((d) => existsSync(d));
const noShared = sharedTables === undefined ? `no shared/data/iceberg at ${candidates.join(', ')} (only the pyiceberg-written table is tested)` : false;

let fixtures: string;
let server: StartedProcess;

before(async () => {
  fixtures = await writeFixtures();
  server = await startCli(['serve', '--port', '0']);
});

after(async () => {
  await server.stop();
  rmSync(fixtures, { recursive: true, force: true });
});

const load = (source: string, name: string, extra: readonly string[] = []) => runCli(['load', source, '--name', name, '--endpoint', server.url, ...extra]);

/** Loads each table and compares it with pyiceberg's scan (equality deletes: pyarrow's anti join, see load_check.py). */
async function loadsEqual(tables: ReadonlyArray<readonly [string, number]>): Promise<void> {
  for (const [table, rows] of tables) {
    const run = await load(table, 'ice');
    assert.equal(run.code, 0, `${table}: ${run.stderr}`);
    const compared = await compareWithPyarrow(server.url, 'ice', 'iceberg', table);
    assert.deepEqual([compared.equal, compared.rows], [true, rows], `${table}: ${compared.detail}`);
  }
}

test('Iceberg tables load equal to pyiceberg\'s scan of their current snapshot', async (t) => {
  const tables: Array<[string, number]> = [[join(fixtures, 'iceberg', 'db', 'events'), 1000]];
  if (sharedTables === undefined) t.diagnostic(String(noShared));
  else {
    tables.push(
      [join(sharedTables, 'iceberg', 'lineitem_iceberg'), 51_793],
      [join(sharedTables, 'iceberg', 'lineitem_iceberg_gz_no_hint'), 111_968],
      [join(sharedTables, 'uuid'), 10],
      [join(sharedTables, 'case_sensitive_names', 'default.db', 'case_sensitive_names'), 3],
      [join(sharedTables, 'iceberg_v1_repro', 'repro', 'merch_v1'), 4],
      [join(sharedTables, 'null_stats', 'default', 'test_nulls'), 9],
    );
  }
  await loadsEqual(tables);
});

test('columns are matched by field id: renamed, dropped, added and promoted columns read as the current schema, and position deletes are applied', async () => {
  const evolved = join(fixtures, 'iceberg', 'db', 'evolved');
  await loadsEqual([[evolved, 994]]);
  const compared = await compareWithPyarrow(server.url, 'ice', 'iceberg', evolved);
  assert.deepEqual(compared.columns, ['id', 'label', 'qty', 'score', 'extra']);
});

test('tables written by other engines: name mapping, initial defaults, identity partition values kept only in metadata', { skip: noShared }, async () => {
  const shared = sharedTables!;
  const partitions = ['bigint', 'binary', 'bool', 'decimal_bigint', 'decimal_hugeint', 'decimal_integer', 'decimal_smallint', 'double', 'float', 'integer'];
  const rows: Record<string, number> = { decimal_bigint: 10, decimal_hugeint: 15, decimal_integer: 3 };
  await loadsEqual([
    [join(shared, 'name_mapping', 'warehouse_1', 'mydb', 't1'), 10_000],
    [join(shared, 'add_columns_with_defaults', 'default.db', 'add_columns_with_defaults'), 3],
    [join(shared, 'hive_partitioned_table'), 6],
    ...partitions.map((p) => [join(shared, `partition_${p}`), rows[p] ?? 2] as const),
  ]);
});

test('equality deletes apply to older data files of their partition (any partition when unpartitioned)', { skip: noShared }, async () => {
  const shared = sharedTables!;
  await loadsEqual([
    [join(shared, 'equality_deletes', 'warehouse', 'mydb', 'mytable'), 2],
    [join(shared, 'equality_deletes', 'warehouse', 'mydb', 'mytable_partitioned'), 3],
    [join(shared, 'equality_delete_cross_partition', 'warehouse', 'ns', 't'), 3],
    [join(shared, 'equality_delete_extra_column', 'warehouse', 'ns', 't'), 2],
  ]);
});

test('a given snapshot id loads that snapshot with its schema', async () => {
  const evolved = join(fixtures, 'iceberg', 'db', 'evolved');
  const metadata = readdirSync(join(evolved, 'metadata')).filter((n) => n.endsWith('.metadata.json')).sort().at(-1)!;
  const text = readFileSync(join(evolved, 'metadata', metadata), 'utf8');
  const first = /"snapshot-id"\s*:\s*(\d+)/.exec(text)![1]!;
  const run = await load(evolved, 'ice', ['--snapshot', first]);
  assert.equal(run.code, 0, run.stderr);
  const compared = await compareWithPyarrow(server.url, 'ice', 'iceberg', evolved, ['--snapshot', first]);
  assert.deepEqual([compared.equal, compared.rows, compared.columns], [true, 500, ['id', 'name', 'qty', 'score', 'dropped']], compared.detail);
});

test('a metadata.json path loads the table as that metadata file describes it', async () => {
  const evolved = join(fixtures, 'iceberg', 'db', 'evolved');
  // pyiceberg's second metadata file: after the first append, before the schema changed.
  const second = readdirSync(join(evolved, 'metadata')).filter((n) => n.endsWith('.metadata.json')).sort()[1]!;
  const path = join(evolved, 'metadata', second);
  const run = await load(path, 'ice');
  assert.equal(run.code, 0, run.stderr);
  const compared = await compareWithPyarrow(server.url, 'ice', 'iceberg', path);
  assert.deepEqual([compared.equal, compared.rows, compared.columns], [true, 500, ['id', 'name', 'qty', 'score', 'dropped']], compared.detail);
});

test('--partition keeps the files of the named identity partition values, and manifests of other values are never read', async () => {
  const regions = join(fixtures, 'iceberg', 'db', 'regions');
  const run = await load(regions, 'ice', ['--partition', 'region=eu,ap']);
  assert.equal(run.code, 0, run.stderr);
  const compared = await compareWithPyarrow(server.url, 'ice', 'iceberg', regions, ['--where', "region in ('eu', 'ap')"]);
  assert.deepEqual([compared.equal, compared.rows], [true, 200], compared.detail);
  // regions_damaged's manifest of region "us" is not Avro: only a load that reads it fails.
  const damaged = `${regions}_damaged`;
  assert.equal((await load(damaged, 'ice', ['--partition', 'region=eu'])).code, 0);
  const all = await load(damaged, 'ice');
  assert.match(all.stderr, /^flightcache: INVALID_ARGUMENT: .*regions_damaged\/metadata\/[^/]*\.avro: not a readable Avro file: .*\n$/);
  const kept = await compareWithPyarrow(server.url, 'ice', 'iceberg', regions, ['--where', "region == 'eu'"]);
  assert.deepEqual([kept.equal, kept.rows], [true, 100], kept.detail);
});

test('load --filter skips the Iceberg files its day, bucket and truncate partitions and column bounds rule out, and loads what pyiceberg\'s filtered scan reads', async () => {
  const table = join(fixtures, 'iceberg', 'db', 'transforms');
  // Ours, pyiceberg's row filter, the rows both keep; the first two read only intact files of transforms_damaged.
  const cases: ReadonlyArray<readonly [string, string, number]> = [
    ["ts >= '2024-03-02 00:00:00' AND ts < '2024-03-03 00:00:00' AND name IN ('cat', 'car')", "ts >= '2024-03-02T00:00:00+00:00' and ts < '2024-03-03T00:00:00+00:00' and name in ('cat', 'car')", 16],
    ["id IN (54, 55, 60) AND name >= 'ca' AND name < 'cb'", "id in (54, 55, 60) and name >= 'ca' and name < 'cb'", 3],
    ['NOT (id <> 54) OR score IS NULL', 'not (id != 54) or score is null', 20],
    ["name = 'émile' AND ts > '2024-03-03 12:00:00'", "name = 'émile' and ts > '2024-03-03T12:00:00+00:00'", 8],
    ['name IS NULL AND id BETWEEN 10 AND 120', 'name is null and id >= 10 and id <= 120', 19],
    ['id > 100000', 'id > 100000', 0],
  ];
  for (const [index, [filter, where, rows]] of cases.entries()) {
    for (const source of index < 2 ? [table, `${table}_damaged`] : [table]) {
      const run = await load(source, 'pruned', ['--filter', filter]);
      assert.equal(run.code, 0, `${source} --filter ${filter}: ${run.stderr}`);
      const compared = await compareWithPyarrow(server.url, 'pruned', 'iceberg', table, ['--where', where]);
      assert.deepEqual([compared.equal, compared.rows], [true, rows], `${filter}: ${compared.detail}`);
    }
  }
  assert.match((await load(`${table}_damaged`, 'pruned')).stderr, /^flightcache: INVALID_ARGUMENT: .*transforms_damaged\/data\/.*\.parquet: cannot read as Parquet: .*\n$/);
});

test('bad Iceberg requests fail with a precise error and leave the dataset as it was', async () => {
  const events = join(fixtures, 'iceberg', 'db', 'events');
  const regions = join(fixtures, 'iceberg', 'db', 'regions');
  assert.equal((await load(events, 'kept')).code, 0);
  assert.match((await load(regions, 'kept', ['--snapshot', '12'])).stderr, /^flightcache: NOT_FOUND: Iceberg table .*regions has no snapshot 12; its snapshots: \d+, \d+, \d+\n$/);
  assert.match((await load(regions, 'kept', ['--partition', 'v=1'])).stderr, /^flightcache: INVALID_ARGUMENT: Iceberg table .*regions: column "v" is not an identity partition column, so no file can be pruned by it\n$/);
  assert.match((await load(regions, 'kept', ['--partition', 'nope=1'])).stderr, /^flightcache: INVALID_ARGUMENT: Iceberg table .*regions has no column "nope" to select partitions by\n$/);
  assert.match((await load(regions, 'kept', ['--partition', 'region=xx'])).stderr, /^flightcache: NOT_FOUND: Iceberg table .*regions has no data files in its current snapshot in the partitions asked for\n$/);
  assert.match((await load(regions, 'kept', ['--partition', 'region'])).stderr, /^flightcache: INVALID_ARGUMENT: --partition must be COLUMN=VALUE\[,VALUE\.\.\.\], got "region"\n$/);
  if (sharedTables !== undefined) {
    const vectors = await load(join(sharedTables, 'legacy_bare_deletion_vector', 'warehouse', 'default', 'legacy_bare_deletion_vector'), 'kept');
    assert.match(vectors.stderr, /^flightcache: UNIMPLEMENTED: .*legacy_bare_deletion_vector: the snapshot has deletion vectors \(Puffin files\), which load does not apply\n$/);
  }
  const kept = await compareWithPyarrow(server.url, 'kept', 'iceberg', events);
  assert.deepEqual([kept.equal, kept.rows], [true, 1000]);
});
