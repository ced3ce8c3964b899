import assert from 'node:assert/strict';
import { test } from 'node:test';

import { rollUp, runScaleWith, scaleSettings, type ScaleConfigResult } from './scale.js';
import { asWindowResult } from './scale-reader.js';

const QUICK = { quick: true, only: undefined, runs: undefined };

test('scaleSettings: --quick loads 64 MiB and measures three 1 s windows; a full run 512 MiB and five 2 s windows', () => {
  assert.deepEqual(scaleSettings(QUICK, {}), { servers: undefined, readers: undefined, mib: 64, windowSeconds: 1, runs: 3, warmup: 1, infoCalls: 100 });
  assert.deepEqual(scaleSettings({ ...QUICK, quick: false, runs: 9 }, {}), { servers: undefined, readers: undefined, mib: 512, windowSeconds: 2, runs: 9, warmup: 1, infoCalls: 500 });
});

test('scaleSettings reads N, M, data size and window length from BENCH_SCALE_* variables', () => {
  const env = { BENCH_SCALE_SERVERS: '2,1', BENCH_SCALE_READERS: '4', BENCH_SCALE_MIB: '8', BENCH_SCALE_SECONDS: '0.5' };
  assert.deepEqual(scaleSettings(QUICK, env), { servers: [1, 2], readers: [4], mib: 8, windowSeconds: 0.5, runs: 3, warmup: 1, infoCalls: 100 });
});

test('scaleSettings refuses bad variables and any --only but ours', () => {
  assert.throws(() => scaleSettings(QUICK, { BENCH_SCALE_SECONDS: '0' }), /BENCH_SCALE_SECONDS must be a positive number, got "0"/);
  assert.throws(() => scaleSettings(QUICK, { BENCH_SCALE_SERVERS: 'two' }), /BENCH_SCALE_SERVERS must be a comma-separated list/);
  assert.throws(() => scaleSettings({ ...QUICK, only: 'pyarrow' }, {}), /scale measures flightcache alone: --only must be ours, got pyarrow/);
});

test('rollUp sums reader rates into the aggregate and into their server (j mod N), leaving idle servers out', () => {
  const w = (gb: number) => ({ bytes: gb * 1e9, rows: 1, seconds: 1, reads: 1 });
  const three = rollUp({ servers: 2, readers: 3 }, [[w(1), w(2), w(3)], [w(2), w(2), w(2)]]);
  assert.deepEqual(three.aggregateGbps, { n: 2, median: 6, min: 6, max: 6 });
  assert.deepEqual(three.perServerGbps, { n: 4, median: 3, min: 2, max: 4 });
  assert.deepEqual(three.perReaderGbps, { n: 6, median: 2, min: 1, max: 3 });
  const idle = rollUp({ servers: 4, readers: 1 }, [[w(1.5)]]);
  assert.deepEqual(idle.perServerGbps, { n: 1, median: 1.5, min: 1.5, max: 1.5 });
});

test('rollUp refuses a window with the wrong number of readers', () => {
  assert.throws(() => rollUp({ servers: 1, readers: 2 }, [[{ bytes: 1, rows: 1, seconds: 1, reads: 1 }]]), /a window of 2 readers has 1 results/);
});

test('asWindowResult accepts a complete reply and names the reader of a malformed one', () => {
  assert.deepEqual(asWindowResult({ bytes: 5, rows: 1, seconds: 0.5, reads: 0 }, 'r0'), { bytes: 5, rows: 1, seconds: 0.5, reads: 0 });
  assert.throws(() => asWindowResult({ bytes: 5, rows: 1, seconds: 0, reads: 0 }, 'r0'), /r0 sent a malformed window result/);
  assert.throws(() => asWindowResult({ error: 'x' }, 'r1'), /r1 sent a malformed window result: \{"error":"x"\}/);
});

test('runScaleWith runs one node and one reader end to end and reports every summary', async () => {
  const settings = { servers: [1], readers: [1], mib: 4, windowSeconds: 0.2, runs: 2, warmup: 1, infoCalls: 5 };
  const { text, data } = await runScaleWith(settings);
  const params = data['params'] as { dataBytes: number; rows: number; runs: number };
  const [config, ...rest] = data['configs'] as ScaleConfigResult[];
  assert.equal(rest.length, 0);
  assert.equal(params.dataBytes, 65_536 * 48 * 2);
  assert.equal(params.rows, 65_536 * 2);
  assert.deepEqual([config!.servers, config!.readers, config!.aggregateGbps.n, config!.perReaderGbps.n], [1, 1, 2, 2]);
  assert.equal(config!.windows.length, 2);
  for (const [reader] of config!.windows) assert.ok(reader!.bytes > 0 && reader!.seconds >= 0.2, JSON.stringify(reader));
  assert.equal((data['getFlightInfoSeconds'] as { n: number }).n, 5);
  assert.match(text, /model input r_s \(per-shard rate\): \d+\.\d{3} GB\/s at N=1, M=1/);
});
