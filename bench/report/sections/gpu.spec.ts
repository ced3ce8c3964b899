import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { repoRoot } from '../../../test/helpers/python.js';

import { renderReport } from '../render.js';
import { loadResults, parseRecord } from '../results.js';
import { fixturesDir } from '../testing/fixtures.js';
import { gpuReproduce, renderGpu } from './gpu.js';

const context = { chartHref: (name: string) => `charts/${name}` };

const measured = { seconds: 7.31, samplesPerSec: 3.61e6, feedGbps: 0.274, h2dGbps: 12.84, stepMsMedian: 4.42, dataWaitFraction: 0.234, gpuIdleFraction: 0.022 };
const record = parseRecord('gpu.json', {
  suite: 'gpu',
  quick: false,
  only: null,
  date: '2001-02-03T07:00:00Z',
  machine: { cpuModel: 'Test Xeon', cores: 16, pyarrow: '25.0.1' },
  device: 'cuda',
  gpuName: 'NVIDIA H200',
  torch: '2.11.0+cu130',
  cuda: '13.0',
  pyarrowVersion: '25.0.1',
  params: { dataBytes: 2e9, rowBytes: 76, batchRows: 16384, shuffle: false, layers: 3, hidden: 2048, epochs: 2 },
  measured,
});

test('renderGpu states the card name and versions and tabulates the measured epoch', () => {
  const section = renderGpu(record, context)!;
  assert.ok(section.markdown.startsWith('## GPU feed\n\n'), section.markdown);
  assert.ok(section.markdown.includes('Measured 2001-02-03 07:00 UTC on **NVIDIA H200**, host Test Xeon (16 cores), torch 2.11.0+cu130 (CUDA 13.0), pyarrow 25.0.1. No commit recorded. No load average recorded.'), section.markdown);
  assert.ok(section.markdown.includes('1907.3 MiB (76 bytes/row), 16384-row batches, not shuffled; MLP of 3 hidden layers x 2048'), section.markdown);
  const command = 'bash bench/gpu/run.sh --device cuda --gb 2 --batch-size 16384 --epochs 2 --hidden 2048 --layers 3 --no-shuffle --out docs/results/gpu.json';
  assert.ok(section.markdown.includes(command), section.markdown);
  assert.ok(
    section.markdown.includes(
      '| samples/s | 3.61 M |\n| feed GB/s (bytes / epoch wall time) | 0.274 |\n| host-to-device GB/s (bytes / copy-stream time) | 12.84 |\n' +
        '| training step, median | 4.42 ms |\n| time blocked waiting for the next batch / total | 23.4% |\n| GPU idle (share of the epoch outside training steps) | 2.2% |\n| epoch | 7.31 s |',
    ),
    section.markdown,
  );
  assert.ok(section.markdown.endsWith('![GPU feed: share of the epoch busy, idle and waiting for data](charts/gpu-epoch.svg)'), section.markdown);
  assert.deepEqual(section.charts.map((c) => c.name), ['gpu-epoch.svg']);
  // GPU busy 97.8%, idle 2.2%, waiting for data 23.4% of the epoch.
  for (const label of ['>97.80<', '>2.20<', '>23.40<', '>GPU busy<', '>waiting for data<']) assert.ok(section.charts[0]!.svg.includes(label), label);
});

test('renderGpu of a CPU dry run says so and shows no host-to-device rate', () => {
  const params = { ...(record.data['params'] as Record<string, unknown>), epochs: 1 };
  const dry = { ...record, data: { ...record.data, params, device: 'cpu', gpuName: null, cuda: null, measured: { ...measured, h2dGbps: null } } };
  const markdown = renderGpu(dry, context)!.markdown;
  assert.ok(markdown.includes('MLP of 3 hidden layers x 2048; one epoch, reported without a warm-up.'), markdown);
  assert.ok(markdown.includes('on CPU dry run (device cpu, no GPU), host Test Xeon (16 cores), torch 2.11.0+cu130, pyarrow 25.0.1. No commit recorded. No load average recorded.'), markdown);
  assert.ok(markdown.includes('| host-to-device GB/s (bytes / copy-stream time) | \u2013 |'), markdown);
});

test('renderGpu gives no section without a gpu record, and renderReport adds it last among the known suites when there is one', () => {
  assert.equal(renderGpu(undefined, context), null);
  const results = loadResults(fixturesDir());
  results.set('gpu', record);
  const headings = renderReport(results, 'charts').markdown.split('\n').filter((line) => line.startsWith('## '));
  assert.deepEqual(headings, ['## Findings', '## doget', '## epoch', '## micro', '## scale', '## cluster', '## torch', '## GPU feed']);
});

/** The options of a command line after the script: flag -> value ('' for a switch). */
function optionsOf(command: string): Map<string, string> {
  const words = command.split(' ');
  const options = new Map<string, string>();
  for (let i = words.indexOf('bench/gpu/run.sh') + 1; i < words.length; i++) {
    const next = words[i + 1];
    if (next === undefined || next.startsWith('--')) options.set(words[i]!, '');
    else options.set(words[i]!, words[++i]!);
  }
  return options;
}

test('gpuReproduce gives back every parameter of the record, read ahead and shard count included', () => {
  const params = { gb: 2.5, device: 'cuda', batchRows: 8192, epochs: 3, hidden: 1024, layers: 4, readAhead: 16, shuffle: true, shards: 8, dataBytes: 2.5e9 };
  const command = gpuReproduce({ ...record, data: { ...record.data, params } });
  assert.ok(command.startsWith('GPU_FEED_SHARDS=8 bash bench/gpu/run.sh '), command);
  assert.deepEqual(
    optionsOf(command),
    new Map([['--device', 'cuda'], ['--gb', '2.5'], ['--batch-size', '8192'], ['--epochs', '3'], ['--hidden', '1024'], ['--layers', '4'], ['--read-ahead', '16'], ['--out', 'docs/results/gpu.json']]),
  );
});

test('gpuReproduce covers every option gpu_feed.py accepts, except where it connects and writes', () => {
  const source = readFileSync(join(repoRoot(), 'bench', 'gpu', 'gpu_feed.py'), 'utf8');
  const accepted = [...source.matchAll(/add_argument\("(--[a-z-]+)"/g)].map((m) => m[1]!);
  const params = { gb: 1, device: 'cpu', batchRows: 1, epochs: 1, hidden: 1, layers: 1, readAhead: 1, shuffle: false, shards: 1 };
  const given = optionsOf(gpuReproduce({ ...record, data: { ...record.data, params } }));
  const missing = accepted.filter((flag) => !given.has(flag) && !['--url', '--out', '--node-version'].includes(flag));
  assert.ok(accepted.length >= 9, accepted.join(' '));
  assert.deepEqual(missing, []);
});
