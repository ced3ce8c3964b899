/**
 * Memory tiers with real server processes: with `--spill-dir`, a load or put past `--memory` spills
 * the least recently read datasets to files that are mapped back, and every dataset still reads
 * equal to pyarrow's read of its source; `stats` says each dataset's tier. Without it, the load
 * fails with RESOURCE_EXHAUSTED and nothing of it is visible.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Float64, Int64, Table, tableToIPC, vectorFromArray } from 'apache-arrow';
import { FlightClient } from '../../client/src/flight-client.js';
import type { NodeStats } from '../../cache-server/node/node-actions.js';
import { startCli } from '../cluster/cluster-helpers.js';
import { compareWithPyarrow, runCli } from './load-helpers.js';
import { putRows } from '../helpers/torch-scenarios.js';
import { repoRoot, runPython } from '../helpers/python.js';

const MIB = 1024 * 1024;
let dir: string;

/** An Arrow IPC stream file of `rows` rows (int64 id from `first`, float64 value): 16 bytes a row. */
function writeIpc(name: string, first: number, rows: number): string {
  const ids = Array.from({ length: rows }, (_, i) => BigInt(first + i));
  const table = new Table({ id: vectorFromArray(ids, new Int64()), value: vectorFromArray(ids.map((v) => Number(v) / 3), new Float64()) });
  const path = join(dir, `${name}.arrows`);
  writeFileSync(path, tableToIPC(table, 'stream'));
  return path;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'flightcache-spill-test-'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

const tiers = async (client: FlightClient): Promise<Record<string, string | undefined>> =>
  Object.fromEntries((await client.action<NodeStats>('stats')).datasets.map((d) => [d.name, d.tier]));

test('with --spill-dir, loads and puts past --memory spill the least recently read datasets to disk, and every dataset reads the same', async () => {
  const spill = join(dir, 'spill');
  mkdirSync(spill);
  // 8 MiB each; 20 MiB of memory holds two.
  const sources = Object.fromEntries(['a', 'b', 'c', 'd'].map((name, i) => [name, writeIpc(name, i * MIB, MIB / 2)]));
  const server = await startCli(['serve', '--port', '0', '--memory', '20MiB', '--spill-dir', spill, '--shm-dir', 'off']);
  const client = new FlightClient(server.url);
  const same = async (name: string): Promise<void> => {
    const compared = await compareWithPyarrow(server.url, name, 'ipc', sources[name]!);
    assert.deepEqual([compared.equal, compared.rows], [true, MIB / 2], `${name}: ${compared.detail}`);
  };
  try {
    for (const name of ['a', 'b']) assert.equal((await runCli(['load', sources[name]!, '--name', name, '--endpoint', server.url])).code, 0);
    assert.deepEqual(await tiers(client), { a: 'memory', b: 'memory' });
    await same('a');
    // b is now the least recently read: c's load spills it.
    const loaded = await runCli(['load', sources.c!, '--name', 'c', '--endpoint', server.url]);
    assert.equal(loaded.code, 0, loaded.stderr);
    assert.deepEqual(await tiers(client), { a: 'memory', b: 'disk', c: 'memory' });
    assert.equal(readdirSync(spill).length, 1);
    for (const name of ['b', 'c', 'a']) await same(name);
    // A put spills the least recently read one left in memory: c.
    const put = await runCli(['put', sources.d!, '--name', 'd', '--endpoint', server.url]);
    assert.equal(put.code, 0, put.stderr);
    assert.deepEqual(await tiers(client), { a: 'memory', b: 'disk', c: 'disk', d: 'memory' });
    for (const name of ['a', 'b', 'c', 'd']) await same(name);
    const stats = await client.action<NodeStats>('stats');
    assert.equal(stats.memory.usedBytes <= 20 * MIB, true);
    // Dropping a spilled dataset removes its file.
    assert.equal((await runCli(['drop', 'b', '--endpoint', server.url])).code, 0);
    assert.equal(readdirSync(spill).length, 1);
  } finally {
    client.close();
    await server.stop();
  }
});

test('without --spill-dir, a load past --memory fails with RESOURCE_EXHAUSTED, leaving nothing of it and the other datasets as they were', async () => {
  const a = writeIpc('small-a', 0, MIB / 2);
  const big = writeIpc('big', 0, MIB);
  const server = await startCli(['serve', '--port', '0', '--memory', '20MiB', '--shm-dir', 'off']);
  const client = new FlightClient(server.url);
  try {
    assert.equal((await runCli(['load', a, '--name', 'a', '--endpoint', server.url])).code, 0);
    const failed = await runCli(['load', big, '--name', 'big', '--endpoint', server.url]);
    assert.match(failed.stderr, /^flightcache: RESOURCE_EXHAUSTED: .*big\.arrows: .*\n$/);
    assert.deepEqual(await tiers(client), { a: 'memory' });
    const compared = await compareWithPyarrow(server.url, 'a', 'ipc', a);
    assert.deepEqual([compared.equal, compared.rows], [true, MIB / 2]);
  } finally {
    client.close();
    await server.stop();
  }
});

test('serve --shards N --spill-dir DIR gives each local shard its own DIR/<shard id>, where its loads past --memory spill', async () => {
  const spill = join(dir, 'cluster-spill');
  mkdirSync(spill);
  // Six 8 MiB datasets on two shards of 20 MiB each: at least one must spill.
  const sources = Object.fromEntries(['p', 'q', 'r', 's', 't', 'u'].map((name, i) => [name, writeIpc(`cluster-${name}`, i * MIB, MIB / 2)]));
  const cluster = await startCli(['serve', '--port', '0', '--shards', '2', '--memory', '20MiB', '--spill-dir', spill, '--shm-dir', 'off']);
  try {
    assert.deepEqual(readdirSync(spill).sort(), ['shard-0', 'shard-1']);
    for (const [name, source] of Object.entries(sources)) {
      const loaded = await runCli(['load', source, '--name', name, '--endpoint', cluster.url]);
      assert.equal(loaded.code, 0, loaded.stderr);
    }
    const spilled = ['shard-0', 'shard-1'].flatMap((shard) => readdirSync(join(spill, shard)));
    assert.ok(spilled.length >= 1 && spilled.every((f) => /^flightcache-spill-\d+-\d+\.arrow$/.test(f)), JSON.stringify(spilled));
    for (const [name, source] of Object.entries(sources)) {
      const compared = await compareWithPyarrow(cluster.url, name, 'ipc', source);
      assert.deepEqual([compared.equal, compared.rows], [true, MIB / 2], `${name}: ${compared.detail}`);
    }
  } finally {
    await cluster.stop();
  }
});

test('same-host (shm) reads of a spilled dataset get its spill file: FlightCacheDataset reads exactly the stored rows', async () => {
  const spill = join(dir, 'shm-spill');
  mkdirSync(spill);
  const server = await startCli(['serve', '--port', '0', '--memory', '20MiB', '--spill-dir', spill]);
  const client = new FlightClient(server.url);
  // samehost_spilled.py imports the Python package from the tree.
  process.env.PYTHONPATH = join(repoRoot(), 'client', 'python', 'src');
  try {
    // About 9 MB of torch_common.make_table rows, then two 8 MiB loads: the rows are read least recently and spill.
    await putRows(server.url, 'rows', 200_000, 5_000);
    for (const name of ['e', 'f']) assert.equal((await runCli(['load', writeIpc(`shm-${name}`, 0, MIB / 2), '--name', name, '--endpoint', server.url])).code, 0);
    assert.equal((await tiers(client)).rows, 'disk');
    const result = await runPython<{ passed: string[] }>('samehost_spilled.py', [server.url, 'rows', '200000'], { timeoutMs: 300_000 });
    assert.deepEqual(result.passed, ['stored order, exact rows, tensors in the mapped spill file', 'shuffled, each row exactly once, exact rows', 'Client over shm equals the table']);
  } finally {
    client.close();
    await server.stop();
  }
});
