import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { repoRoot } from '../../../test/helpers/python.js';

import { renderReport } from '../render.js';
import { loadResults, parseRecord } from '../results.js';
import { fixturesDir } from '../testing/fixtures.js';
import { gpuReproduce, gpuSweep, renderGpu } from './gpu.js';

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

test('gpuReproduce gives back every parameter of the record: sweep, contenders, read-ahead and shard count included', () => {
  const params = {
    gb: 2.5,
    device: 'cuda',
    batchRows: 8192,
    epochs: 3,
    hidden: 1024,
    sweep: [256, 1024, 4096],
    layers: 4,
    contenders: ['grpc', 'ipc-mmap'],
    readAhead: 16,
    shuffle: false,
    shards: 8,
    dataBytes: 2.5e9,
  };
  const command = gpuReproduce({ ...record, data: { ...record.data, params } });
  assert.ok(command.startsWith('GPU_FEED_SHARDS=8 bash bench/gpu/run.sh '), command);
  assert.deepEqual(
    optionsOf(command),
    new Map([
      ['--device', 'cuda'],
      ['--gb', '2.5'],
      ['--batch-size', '8192'],
      ['--epochs', '3'],
      ['--hidden', '1024'],
      ['--sweep', '256,1024,4096'],
      ['--layers', '4'],
      ['--contenders', 'grpc,ipc-mmap'],
      ['--read-ahead', '16'],
      ['--no-shuffle', ''],
      ['--out', 'docs/results/gpu.json'],
    ]),
  );
});

test('gpuReproduce covers every option gpu_feed.py accepts, except where it connects and writes', () => {
  const source = readFileSync(join(repoRoot(), 'bench', 'gpu', 'gpu_feed.py'), 'utf8');
  const accepted = [...source.matchAll(/add_argument\("(--[a-z-]+)"/g)].map((m) => m[1]!);
  const params = { gb: 1, device: 'cpu', batchRows: 1, epochs: 1, hidden: 1, sweep: [1], layers: 1, contenders: ['shm'], readAhead: 1, shuffle: false, shards: 1 };
  const given = optionsOf(gpuReproduce({ ...record, data: { ...record.data, params } }));
  const missing = accepted.filter((flag) => !given.has(flag) && !['--url', '--out', '--node-version'].includes(flag));
  assert.ok(accepted.length >= 12, accepted.join(' '));
  assert.deepEqual(missing, []);
});

test('gpuSweep tabulates each width\'s step and each contender\'s idle, wait and GB/s, then the shortest fed step, skips and the goal', () => {
  const point = (hidden: number, step: number, idle: number, wait: number, gbps: number) => ({ hidden, stepMsMedian: step, gpuIdleFraction: idle, dataWaitFraction: wait, feedGbps: gbps });
  const data = {
    ...record.data,
    contenders: {
      shm: { sweep: [point(512, 1.1, 0.2, 0.19, 3.1), point(2048, 4.5, 0.01, 0.004, 1.2)], shortestFedStepMs: 4.5, shortestFedHidden: 2048 },
      grpc: { sweep: [point(512, 1.2, 0.7, 0.69, 0.4), point(2048, 4.6, 0.3, 0.29, 0.3)], shortestFedStepMs: null, shortestFedHidden: null },
      'ipc-mmap': { skipped: 'no file' },
    },
    goal: { contender: 'shm', hidden: 2048, stepMsMedian: 4.5, gpuIdleFraction: 0.01, dataWaitFraction: 0.004, met: true },
  };
  assert.equal(
    gpuSweep({ ...record, data }),
    [
      '| hidden | step, median | shm: GPU idle / data wait / GB/s | grpc: GPU idle / data wait / GB/s |',
      '| ---: | ---: | --- | --- |',
      '| 512 | 1.10 ms | 20.0% / 19.0% / 3.10 | 70.0% / 69.0% / 0.40 |',
      '| 2048 | 4.50 ms | 1.0% / 0.4% / 1.20 | 30.0% / 29.0% / 0.30 |',
      '',
      '- shm: GPU idle <= 5% down to a 4.50 ms step (hidden 2048)',
      '- grpc: GPU idle above 5% at every width',
      '- ipc-mmap: skipped (no file)',
      '- goal at the default step (hidden 2048, 4.50 ms, shm): GPU idle 1.0% and data wait 0.4%, both <= 5%: met',
    ].join('\n'),
  );
  assert.equal(gpuSweep(record), null);
  const rendered = renderGpu({ ...record, data: { ...data, measured } }, context)!.markdown;
  assert.ok(rendered.includes('The same run reads over the same-host path (shm), over gRPC, and from a local Arrow IPC file'), rendered);
  assert.ok(rendered.includes('both <= 5%: met\n\n![GPU feed: share of the epoch busy, idle and waiting for data](charts/gpu-epoch.svg)'), rendered);
  assert.ok(!renderGpu(record, context)!.markdown.includes('The same run reads'));
});
