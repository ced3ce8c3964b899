import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fixture } from '../testing/fixtures.js';
import { renderDoget } from './doget.js';

const context = { chartHref: (name: string) => `charts/${name}` };

test('renderDoget tabulates each server with its ratio to pyarrow and links its bar chart', () => {
  const { markdown, charts } = renderDoget(fixture('doget'), context);
  assert.ok(
    markdown.includes(
      '| server | median GB/s | min | max | runs | median / pyarrow |\n| --- | ---: | ---: | ---: | ---: | ---: |\n' +
        '| ours | 2.000 | 1.500 | 2.500 | 3 | 2.000 |\n| pyarrow | 1.000 | 0.500 | 1.250 | 3 | 1.000 |',
    ),
    markdown,
  );
  assert.ok(markdown.includes('![doget throughput per server](charts/doget-throughput.svg)'));
  assert.ok(markdown.includes('Each read returns 100.0 MiB of Arrow buffers.'));
  assert.deepEqual(charts.map((c) => c.name), ['doget-throughput.svg']);
});

test('renderDoget lists each server memory after load, its ratio to the data and after the reads', () => {
  const { markdown } = renderDoget(fixture('doget'), context);
  assert.ok(markdown.includes('| ours | 120.0 MiB | 1.20 | 122.0 MiB |\n| pyarrow | 140.0 MiB | 1.40 | 142.0 MiB |'), markdown);
});

test('renderDoget without pyarrow leaves the ratio column empty', () => {
  const record = fixture('doget');
  const targets = record.data['targets'] as Record<string, unknown>;
  const { markdown } = renderDoget({ ...record, data: { ...record.data, targets: { ours: targets['ours'] } } }, context);
  assert.ok(markdown.includes('| ours | 2.000 | 1.500 | 2.500 | 3 | \u2013 |'), markdown);
});

test('renderDoget of a missing record, or one without server summaries, says doget was not measured', () => {
  for (const record of [undefined, { ...fixture('doget'), data: { targets: { ours: { gbps: [1] } } } }]) {
    const { markdown, charts } = renderDoget(record, context);
    assert.ok(markdown.endsWith('\n\ndoget: not measured in this results set.'), markdown);
    assert.deepEqual(charts, []);
  }
});

test('renderDoget lists the cores each read took in the client, its busiest thread and the server', () => {
  const { markdown } = renderDoget(fixture('doget'), context);
  assert.ok(
    markdown.includes(
      '| server | client cores | client busiest thread | server cores |\n| --- | ---: | ---: | ---: |\n' +
        '| ours | 1.10 | 0.30 | 0.45 |\n| pyarrow | 1.05 | 0.35 | 0.70 |',
    ),
    markdown,
  );
});

test('renderDoget of a record without CPU figures has no CPU table', () => {
  const record = fixture('doget');
  const targets = record.data['targets'] as Record<string, Record<string, unknown>>;
  const withoutCpu = Object.fromEntries(Object.entries(targets).map(([name, { cpu: _cpu, ...rest }]) => [name, rest]));
  const { markdown } = renderDoget({ ...record, data: { ...record.data, targets: withoutCpu } }, context);
  assert.ok(!markdown.includes('### CPU per read'), markdown);
});

test('renderDoget shows bytes per server CPU-second with the ratio to pyarrow and where the processes ran', () => {
  const record = fixture('doget');
  const targets = record.data['targets'] as Record<string, Record<string, unknown>>;
  const data = {
    ...record.data,
    pinning: { serverCpus: [0], clientCpus: [1] },
    targets: {
      ours: { ...targets['ours'], serverGbPerCpuSecond: { n: 3, median: 3, min: 2.5, max: 3.5 } },
      pyarrow: { ...targets['pyarrow'], serverGbPerCpuSecond: { n: 3, median: 4, min: 3.75, max: 4.25 } },
    },
  };
  const { markdown } = renderDoget({ ...record, data }, context);
  assert.ok(
    markdown.endsWith(
      'The servers ran on CPUs 0 and the client on CPUs 1 (taskset), so a server\'s CPU time is its own work.\n\n' +
        '| server | median GB / server CPU-second | min | max | runs | median / pyarrow |\n| --- | ---: | ---: | ---: | ---: | ---: |\n' +
        '| ours | 3.00 | 2.50 | 3.50 | 3 | 0.750 |\n| pyarrow | 4.00 | 3.75 | 4.25 | 3 | 1.000 |',
    ),
    markdown,
  );
  const unpinned = renderDoget({ ...record, data: { ...data, pinning: { unpinned: 'taskset is not installed' } } }, context).markdown;
  assert.ok(unpinned.includes('Processes were not pinned to CPUs (taskset is not installed): client and servers shared them.'), unpinned);
});

test('renderDoget of a record without per-read server CPU says the efficiency was not measured', () => {
  assert.ok(renderDoget(fixture('doget'), context).markdown.endsWith('### Server efficiency\n\nBytes per server CPU-second: not measured in this results set.'));
});
