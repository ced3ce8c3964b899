/**
 * `load` through a coordinator of three shards (two replicas): the shards read their shares of the
 * files, and the dataset read back through pyarrow.flight (endpoints at the shards) equals pyarrow's
 * read; each partition is stored on two shards and the coordinator stages nothing. A failing file
 * fails the load, names the file, and leaves the previous generation serving.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FlightClient } from '../../client/src/flight-client.js';
import { Code } from '../../client/src/flight/errors.js';
import { rejectsWith } from '../helpers/flight.js';
import type { StartedProcess } from '../helpers/process.js';
import { clusterStats, startCli, waitFor } from '../cluster/cluster-helpers.js';
import { compareWithPyarrow, runCli, writeFixtures } from './load-helpers.js';

let fixtures: string;
let cluster: StartedProcess;
let client: FlightClient;

before(async () => {
  fixtures = await writeFixtures();
  cluster = await startCli(['serve', '--port', '0', '--shards', '3', '--replicas', '2']);
  client = new FlightClient(cluster.url);
  await waitFor('three live shards', async () => ((await clusterStats(client)).members.filter((m) => m.live).length === 3 ? true : undefined), 60_000);
});

after(async () => {
  client.close();
  const status = await cluster.stop();
  rmSync(fixtures, { recursive: true, force: true });
  assert.deepEqual(status, { code: 0, signal: null }, cluster.stderr());
});

const load = (source: string, name: string, ...flags: string[]) => runCli(['load', join(fixtures, source), '--name', name, '--endpoint', cluster.url, ...flags]);

test('the shards load their shares of a directory, a hive tree, CSV and IPC: equal to pyarrow, each partition on two shards', async () => {
  for (const [source, name, kind] of [['dir', 'dir', 'parquet'], ['hive', 'hive', 'parquet'], ['text/table.csv', 'csv', 'csv'], ['ipc/file-zstd.arrow', 'ipc', 'ipc']] as const) {
    const run = await load(source, name);
    assert.equal(run.code, 0, run.stderr);
    const compared = await compareWithPyarrow(cluster.url, name, kind, join(fixtures, source));
    assert.equal(compared.equal, true, `${source}: ${compared.detail}`);
  }
  const stats = await clusterStats(client);
  const dir = stats.datasets.find((d) => d.name === 'dir')!;
  // Three files over three shards: one partition each, healthy with two copies.
  assert.deepEqual([dir.rows, dir.partitions, dir.status], [1050, 3, 'healthy']);
  assert.equal(stats.memory.usedBytes, 0, 'the coordinator staged nothing');
  const progress = stats.loads.find((l) => l.name === 'dir')!;
  assert.deepEqual([progress.state, progress.files, progress.filesTotal, progress.rows], ['done', 3, 3, 1050]);
});

test('a failing file fails the cluster load naming it; the previous generation serves on; a new load replaces it', async () => {
  assert.equal((await load('dir', 'kept')).code, 0);
  const failed = await load('bad', 'kept', '--format', 'parquet');
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /^flightcache: INVALID_ARGUMENT: shard shard-\d: .*bad\/\w+\.parquet: cannot read as Parquet: .*\n$/);
  const kept = await compareWithPyarrow(cluster.url, 'kept', 'parquet', join(fixtures, 'dir'));
  assert.deepEqual([kept.equal, kept.rows], [true, 1050], kept.detail);
  assert.equal((await load('dir/part-1.parquet', 'kept')).code, 0);
  const replaced = await compareWithPyarrow(cluster.url, 'kept', 'parquet', join(fixtures, 'dir/part-1.parquet'));
  assert.deepEqual([replaced.equal, replaced.rows], [true, 350], replaced.detail);
  // The old generation's copies and the staged shares are gone from the shards.
  const stats = await clusterStats(client);
  assert.equal(stats.datasets.find((d) => d.name === 'kept')!.partitions, 1);
  await waitFor('the shards to hold only placed partitions', async () => {
    let stored = 0;
    for (const member of stats.members) {
      const shard = new FlightClient(member.location);
      try {
        for await (const info of shard.listFlights()) {
          const path = info.flightDescriptor?.path[0] ?? '';
          if (path.startsWith('kept#')) stored++;
          assert.doesNotMatch(path, /#load\d/, `a staged share is left on ${member.id}`);
        }
      } finally {
        shard.close();
      }
    }
    return stored === 2 ? true : undefined;
  });
});

test('dropping a dataset while the shards load it cancels the load everywhere: CANCELLED, nothing staged is left', async () => {
  for (let i = 0; i < 3; i++) {
    writeFileSync(join(fixtures, `slow-${i}.jsonl`), Array.from({ length: 200_000 }, (_, j) => JSON.stringify({ i: j, s: `value ${j}`, l: [j, j + 1] })).join('\n'));
  }
  const loading = client.action('load', JSON.stringify({ name: 'slow', source: join(fixtures, 'slow-*.jsonl') }));
  await waitFor('the load to run', async () => ((await clusterStats(client)).loads.find((l) => l.name === 'slow')?.state === 'loading' ? true : undefined));
  assert.deepEqual(await client.action('drop', 'slow'), { dropped: 'slow' });
  await rejectsWith(loading, Code.CANCELLED, 'load of "slow" cancelled');
  const stats = await clusterStats(client);
  assert.equal(stats.datasets.some((d) => d.name === 'slow'), false);
  assert.equal(stats.loads.find((l) => l.name === 'slow')!.state, 'cancelled');
  await waitFor('the shards to hold nothing of it', async () => {
    for (const member of stats.members) {
      const shard = new FlightClient(member.location);
      try {
        for await (const info of shard.listFlights()) if ((info.flightDescriptor?.path[0] ?? '').startsWith('slow#')) return undefined;
      } finally {
        shard.close();
      }
    }
    return true;
  });
});
