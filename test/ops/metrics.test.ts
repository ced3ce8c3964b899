/**
 * /metrics scraped from real processes (a `serve` node, a coordinator with two shards) and parsed by a
 * strict exposition parser: after known calls, puts, loads and a shard's death, every family reports
 * exactly what happened.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { Code } from '../../client/src/flight/errors.js';
import type { NodeStats } from '../../cache-server/node/node-actions.js';
import { rejectsWith } from '../helpers/flight.js';
import { freePort } from '../helpers/process.js';
import { sampleValue, scrape } from '../helpers/prometheus.js';
import { clusterStats, idBatches, startCli, waitFor } from '../cluster/cluster-helpers.js';

const MiB = 1024 * 1024;

/** Reads every batch of `name` from a node, returning the number of rows. */
async function readAll(client: FlightClient, name: string): Promise<number> {
  const info = await client.getFlightInfo(pathDescriptor(name));
  let rows = 0;
  for (const endpoint of info.endpoints) for await (const batch of client.doGet(endpoint.ticket!)) rows += batch.numRows;
  return rows;
}

test('a node counts its calls by method and code, the bytes they moved, its datasets, memory by tier and loads', async () => {
  const httpPort = await freePort();
  const node = await startCli(['serve', '--port', '0', '--http-port', String(httpPort), '--memory', '64MiB', '--shm-dir', 'off']);
  const client = new FlightClient(node.url);
  const dir = mkdtempSync(join(tmpdir(), 'metrics-'));
  const url = `http://127.0.0.1:${httpPort}/metrics`;
  try {
    await client.doPut(pathDescriptor('a'), idBatches(3, 10));
    await rejectsWith(client.getFlightInfo(pathDescriptor('missing')), Code.NOT_FOUND, /missing/);
    assert.equal(await readAll(client, 'a'), 30);
    const once = await scrape(url);
    assert.equal(await readAll(client, 'a'), 30);
    const twice = await scrape(url);
    const stats = (await (await fetch(`http://127.0.0.1:${httpPort}/stats`)).json()) as NodeStats;

    assert.equal(sampleValue(twice, 'flightcache_rpc_handled_total', { method: 'DoPut', code: 'OK' }), 1);
    assert.equal(sampleValue(twice, 'flightcache_rpc_handled_total', { method: 'GetFlightInfo', code: 'NOT_FOUND' }), 1);
    assert.equal(sampleValue(twice, 'flightcache_rpc_handled_total', { method: 'GetFlightInfo', code: 'OK' }), 2);
    assert.equal(sampleValue(twice, 'flightcache_rpc_handled_total', { method: 'DoGet', code: 'OK' }), 2);
    assert.equal(sampleValue(twice, 'flightcache_rpc_duration_seconds_count', { method: 'DoGet', code: 'OK' }), 2);
    assert.equal(sampleValue(twice, 'flightcache_rpc_duration_seconds_bucket', { method: 'DoGet', code: 'OK', le: '+Inf' }), 2);
    // Reading the same data again sends exactly the same bytes; a put receives at least its bodies.
    const sentOnce = sampleValue(once, 'flightcache_rpc_sent_bytes_total', { method: 'DoGet' });
    assert.equal(sampleValue(twice, 'flightcache_rpc_sent_bytes_total', { method: 'DoGet' }), 2 * sentOnce);
    assert.ok(sentOnce > stats.bytes, `${sentOnce} > ${stats.bytes}`);
    assert.ok(sampleValue(twice, 'flightcache_rpc_received_bytes_total', { method: 'DoPut' }) > stats.bytes);

    assert.equal(sampleValue(twice, 'flightcache_datasets', { state: 'stored' }), 1);
    assert.equal(sampleValue(twice, 'flightcache_dataset_rows', { dataset: 'a' }), 30);
    assert.equal(sampleValue(twice, 'flightcache_dataset_bytes', { dataset: 'a' }), stats.bytes);
    assert.equal(sampleValue(twice, 'flightcache_memory_used_bytes', { tier: 'private' }), stats.memory.usedBytes);
    assert.equal(sampleValue(twice, 'flightcache_memory_limit_bytes', { tier: 'private' }), 64 * MiB);
    assert.ok(sampleValue(twice, 'process_resident_memory_bytes') > 0);
    assert.equal(twice.get('flightcache_members')!.samples.length, 0, 'a node has no members');

    const file = join(dir, 'rows.jsonl');
    writeFileSync(file, Array.from({ length: 250 }, (_, i) => JSON.stringify({ i })).join('\n') + '\n');
    await client.action('load', JSON.stringify({ name: 'loaded', source: file }));
    const loaded = await scrape(url);
    assert.equal(sampleValue(loaded, 'flightcache_loads', { state: 'done' }), 1);
    assert.equal(sampleValue(loaded, 'flightcache_load_read_rows', { dataset: 'loaded' }), 250);
    assert.equal(sampleValue(loaded, 'flightcache_load_read_files', { dataset: 'loaded' }), 1);
    assert.equal(sampleValue(loaded, 'flightcache_load_source_files', { dataset: 'loaded' }), 1);
    assert.equal(sampleValue(loaded, 'flightcache_load_read_bytes', { dataset: 'loaded' }), sampleValue(loaded, 'flightcache_load_source_bytes', { dataset: 'loaded' }));
    assert.equal(sampleValue(loaded, 'flightcache_datasets', { state: 'stored' }), 2);

    await client.action('drop', 'a');
    const dropped = await scrape(url);
    assert.equal(sampleValue(dropped, 'flightcache_datasets', { state: 'stored' }), 1);
    assert.throws(() => sampleValue(dropped, 'flightcache_dataset_rows', { dataset: 'a' }), /0 samples/);
  } finally {
    client.close();
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a coordinator reports members, replication health and planning time, and sees a shard die', async () => {
  const a = await startCli(['shard', '--port', '0']);
  const b = await startCli(['shard', '--port', '0']);
  const httpPort = await freePort();
  const coordinator = await startCli(['coordinator', '--port', '0', '--http-port', String(httpPort), '--replicas', '2', '--shard-list', `${a.url},${b.url}`]);
  const client = new FlightClient(coordinator.url);
  const url = `http://127.0.0.1:${httpPort}/metrics`;
  try {
    await waitFor('two live members', async () => ((await clusterStats(client)).members.filter((m) => m.live).length === 2 ? true : undefined));
    await client.doPut(pathDescriptor('d'), idBatches(8, 20));
    await client.getFlightInfo(pathDescriptor('d'));
    await client.getSchema(pathDescriptor('d'));
    const stats = await clusterStats(client);
    const partitions = stats.datasets[0]!.partitions;
    const healthy = await scrape(url);
    assert.equal(sampleValue(healthy, 'flightcache_replicas'), 2);
    assert.deepEqual(
      ['live', 'refilling', 'down'].map((state) => sampleValue(healthy, 'flightcache_members', { state })),
      [2, 0, 0],
    );
    for (const member of [a.url, b.url]) {
      assert.equal(sampleValue(healthy, 'flightcache_member_up', { member }), 1);
      assert.equal(sampleValue(healthy, 'flightcache_member_live', { member }), 1);
    }
    assert.equal(sampleValue(healthy, 'flightcache_datasets', { state: 'healthy' }), 1);
    assert.equal(sampleValue(healthy, 'flightcache_dataset_rows', { dataset: 'd' }), 160);
    assert.equal(sampleValue(healthy, 'flightcache_dataset_partitions', { dataset: 'd' }), partitions);
    assert.equal(sampleValue(healthy, 'flightcache_dataset_degraded_partitions', { dataset: 'd' }), 0);
    assert.equal(sampleValue(healthy, 'flightcache_coordinator_planning_seconds_count', { method: 'GetFlightInfo' }), 1);
    assert.equal(sampleValue(healthy, 'flightcache_coordinator_planning_seconds_count', { method: 'GetSchema' }), 1);
    assert.equal(sampleValue(healthy, 'flightcache_rpc_handled_total', { method: 'DoPut', code: 'OK' }), 1);

    b.child.kill('SIGKILL');
    await waitFor('the killed member to be down', async () => ((await clusterStats(client)).members.some((m) => m.state === 'down') ? true : undefined));
    const degraded = await scrape(url);
    assert.deepEqual(
      ['live', 'refilling', 'down'].map((state) => sampleValue(degraded, 'flightcache_members', { state })),
      [1, 0, 1],
    );
    assert.equal(sampleValue(degraded, 'flightcache_member_up', { member: b.url }), 0);
    assert.equal(sampleValue(degraded, 'flightcache_member_live', { member: b.url }), 0);
    assert.equal(sampleValue(degraded, 'flightcache_datasets', { state: 'degraded' }), 1);
    assert.equal(sampleValue(degraded, 'flightcache_dataset_degraded_partitions', { dataset: 'd' }), partitions);
    assert.equal(sampleValue(degraded, 'flightcache_dataset_lost_partitions', { dataset: 'd' }), 0);
  } finally {
    client.close();
    for (const p of [coordinator, a, b]) await p.stop();
  }
});
