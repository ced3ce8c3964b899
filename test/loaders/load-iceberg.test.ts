/**
 * `load` of local Apache Iceberg tables, differentially against pyiceberg's scan of the current
 * snapshot: a table pyiceberg writes (two snapshots, absolute file:// paths) and real tables from
 * the shared data set (relative locations, a version hint or none, gzip metadata, catalog-style
 * metadata names). Tables load cannot read faithfully are refused with UNIMPLEMENTED.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
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

const load = (source: string, name: string) => runCli(['load', source, '--name', name, '--endpoint', server.url]);

test('Iceberg tables load equal to pyiceberg\'s scan of their current snapshot', async (t) => {
  const tables: Array<[string, number]> = [[join(fixtures, 'iceberg', 'db', 'events'), 1000]];
  if (sharedTables === undefined) t.diagnostic(String(noShared));
  else {
    tables.push(
      [join(sharedTables, 'iceberg', 'lineitem_iceberg'), 51_793],
      [join(sharedTables, 'iceberg', 'lineitem_iceberg_gz_no_hint'), 111_968],
      [join(sharedTables, 'uuid'), 10],
    );
  }
  for (const [table, rows] of tables) {
    const run = await load(table, 'ice');
    assert.equal(run.code, 0, `${table}: ${run.stderr}`);
    const compared = await compareWithPyarrow(server.url, 'ice', 'iceberg', table);
    assert.deepEqual([compared.equal, compared.rows], [true, rows], `${table}: ${compared.detail}`);
  }
});

test('row-level deletes and columns kept only in partition metadata are refused; the dataset is unchanged', { skip: noShared }, async () => {
  const shared = sharedTables!;
  assert.equal((await load(join(fixtures, 'iceberg', 'db', 'events'), 'kept')).code, 0);
  const deletes = await load(join(shared, 'equality_deletes', 'warehouse', 'mydb', 'mytable_partitioned'), 'kept');
  assert.match(deletes.stderr, /^flightcache: UNIMPLEMENTED: .*mytable_partitioned: the snapshot has row-level deletes \(delete manifests\), which load does not apply\n$/);
  const partitions = await load(join(shared, 'partition_integer'), 'kept');
  assert.match(partitions.stderr, /^flightcache: UNIMPLEMENTED: Iceberg table .*partition_integer: column\(s\) "partition_col" are not in its data files \(values kept only in partition metadata\), which load does not support\n$/);
  const kept = await compareWithPyarrow(server.url, 'kept', 'iceberg', join(fixtures, 'iceberg', 'db', 'events'));
  assert.deepEqual([kept.equal, kept.rows], [true, 1000]);
});
