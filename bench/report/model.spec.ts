import assert from 'node:assert/strict';
import { test } from 'node:test';

import { aggregateThroughput, bestRates, coordinatorCores, epochSeconds, memoryPerShard, nicGbps } from './model.js';

const RATES = { perShardGbps: 1.5, perClientGbps: 1, nicGbit: 25, nicEfficiency: 0.8 };

test('nicGbps converts link Gbit/s to usable GB/s', () => {
  assert.equal(nicGbps(25, 0.8), 2.5);
  assert.throws(() => nicGbps(25, 1.5), /nicEfficiency must be in \(0, 1\]/);
});

test('aggregateThroughput is the smallest of the shard, reader and NIC bounds and names it', () => {
  const t = aggregateThroughput({ shards: 16, shardHosts: 16, readers: 64, readerHosts: 8 }, RATES);
  assert.deepEqual(t.bounds, { shards: 24, readers: 64, 'shard-host NICs': 40, 'reader-host NICs': 20 });
  assert.equal(t.gbps, 20);
  assert.equal(t.limit, 'reader-host NICs');
});

test('aggregateThroughput is bound by the readers when there are few of them', () => {
  const t = aggregateThroughput({ shards: 4, shardHosts: 4, readers: 2, readerHosts: 2 }, RATES);
  assert.equal(t.gbps, 2);
  assert.equal(t.limit, 'readers');
});

test('aggregateThroughput refuses fractional counts and non-positive rates', () => {
  assert.throws(() => aggregateThroughput({ shards: 1.5, shardHosts: 1, readers: 1, readerHosts: 1 }, RATES), /shards must be a positive integer, got 1.5/);
  assert.throws(() => aggregateThroughput({ shards: 1, shardHosts: 1, readers: 1, readerHosts: 1 }, { ...RATES, perClientGbps: 0 }), /perClientGbps must be a positive number/);
});

test('memoryPerShard is D x F / S x overhead', () => {
  assert.equal(memoryPerShard(2 ** 40, 2, 16, 1.25), 2 ** 37 * 1.25);
  assert.throws(() => memoryPerShard(1, 3, 2, 1), /replication 3 needs at least as many shards, got 2/);
});

test('coordinatorCores is calls per second times seconds per call', () => {
  assert.equal(coordinatorCores(64, 0.0005), 0.032);
  assert.equal(coordinatorCores(0, 0.0005), 0);
  assert.throws(() => coordinatorCores(-1, 0.001), /callsPerSecond must be >= 0/);
});

test('epochSeconds reads D bytes at the aggregate rate', () => {
  assert.equal(epochSeconds(20e9, 4), 5);
});

test('bestRates takes the highest per-server and per-reader medians with their configurations', () => {
  const m = (median: number) => ({ median, min: median, max: median, runs: 1 });
  const rates = bestRates([
    { servers: 1, readers: 1, perServer: m(1), perReader: m(1) },
    { servers: 1, readers: 3, perServer: m(2.5), perReader: m(0.8) },
    { servers: 2, readers: 1, perServer: m(1.2), perReader: m(1.2) },
  ]);
  assert.deepEqual(rates, { perShard: { gbps: 2.5, servers: 1, readers: 3 }, perClient: { gbps: 1.2, servers: 2, readers: 1 } });
  assert.equal(bestRates([]), null);
});
