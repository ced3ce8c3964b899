/**
 * `load` on a single node, differentially against pyarrow: pyarrow writes Parquet (every codec, the
 * types it stores, directories, hive trees, a Hugging Face layout), Arrow IPC files and streams (LZ4
 * and ZSTD bodies), CSV and JSON Lines; `flightcache load` loads each, and the dataset read back through
 * pyarrow.flight equals pyarrow's own read. Bad input fails with a precise status naming the file,
 * leaves the previous generation serving and the process alive.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FlightClient } from '../../client/src/flight-client.js';
import { Code } from '../../client/src/flight/errors.js';
import type { NodeStats } from '../../cache-server/node/node-actions.js';
import { freePort, type StartedProcess } from '../helpers/process.js';
import { rejectsWith } from '../helpers/flight.js';
import { venvPython } from '../helpers/python.js';
import { startCli } from '../cluster/cluster-helpers.js';
import { CLI, compareWithPyarrow, runCli, writeFixtures } from './load-helpers.js';

/** The column where arrow-rs (parquet-wasm) reads back a type other than pyarrow's: see the last test. */
const ARROW_RS_DIFFERS = ['date64'];
const CODECS = ['snappy', 'zstd', 'gzip', 'lz4', 'brotli', 'none'];

let fixtures: string;
let server: StartedProcess;
let client: FlightClient;

before(async () => {
  fixtures = await writeFixtures();
  server = await startCli(['serve', '--port', '0']);
  client = new FlightClient(server.url);
});

after(async () => {
  client.close();
  const status = await server.stop();
  rmSync(fixtures, { recursive: true, force: true });
  assert.deepEqual(status, { code: 0, signal: null }, server.stderr());
});

const load = (source: string, name: string, ...flags: string[]) => runCli(['load', join(fixtures, source), '--name', name, '--endpoint', server.url, ...flags]);

async function allTypeColumns(): Promise<string[]> {
  const loaded = await load('types/none.parquet', 'all-columns');
  assert.equal(loaded.code, 0, loaded.stderr);
  const compared = await compareWithPyarrow(server.url, 'all-columns', 'parquet', join(fixtures, 'types/none.parquet'));
  return compared.columns;
}

test('Parquet with every codec pyarrow writes loads equal to pyarrow.parquet.read_table, type for type', async () => {
  const columns = (await allTypeColumns()).filter((c) => !ARROW_RS_DIFFERS.includes(c));
  assert.equal(columns.length, 50);
  for (const codec of CODECS) {
    const run = await load(`types/${codec}.parquet`, `types-${codec}`, '--columns', columns.join(','));
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout.trim().split('\n').at(-1)!).result.rows, 24);
    const compared = await compareWithPyarrow(server.url, `types-${codec}`, 'parquet', join(fixtures, `types/${codec}.parquet`), ['--columns', columns.join(',')]);
    assert.equal(compared.equal, true, `${codec}: ${compared.detail}`);
  }
});

test('column projection reads only the named columns, in the order named', async () => {
  const run = await load('dir', 'projected', '--columns', 'score,id');
  assert.equal(run.code, 0, run.stderr);
  const compared = await compareWithPyarrow(server.url, 'projected', 'parquet', join(fixtures, 'dir'), ['--columns', 'score,id']);
  assert.deepEqual([compared.equal, compared.columns, compared.rows], [true, ['score', 'id'], 1050]);
});

test('a directory, a glob and a hive-partitioned tree load equal to pyarrow (partition values become dictionary columns)', async () => {
  for (const [source, name, oracle] of [['dir', 'dir', 'dir'], ['dir/part-*.parquet', 'glob', 'dir'], ['hive', 'hive', 'hive']] as const) {
    const run = await load(source, name);
    assert.equal(run.code, 0, run.stderr);
    const compared = await compareWithPyarrow(server.url, name, 'parquet', join(fixtures, oracle));
    assert.equal(compared.equal, true, `${source}: ${compared.detail}`);
  }
  const hive = await compareWithPyarrow(server.url, 'hive', 'parquet', join(fixtures, 'hive'));
  assert.deepEqual(hive.columns, ['id', 'text', 'score', 'year', 'lang']);
});

test('a Hugging Face layout loads one split by name', async () => {
  for (const split of ['train', 'test']) {
    const run = await load('hf', `hf-${split}`, '--split', split);
    assert.equal(run.code, 0, run.stderr);
    const compared = await compareWithPyarrow(server.url, `hf-${split}`, 'hf', join(fixtures, 'hf'), ['--split', split]);
    assert.deepEqual([compared.equal, compared.rows], [true, 200], compared.detail);
  }
});

test('Arrow IPC files and streams load equal to pyarrow, LZ4 and ZSTD bodies decompressed', async () => {
  for (const kind of ['file', 'stream']) {
    for (const codec of ['none', 'lz4', 'zstd']) {
      const name = `ipc-${kind}-${codec}`;
      const run = await load(`ipc/${kind}-${codec}.arrow`, name);
      assert.equal(run.code, 0, run.stderr);
      const compared = await compareWithPyarrow(server.url, name, 'ipc', join(fixtures, `ipc/${kind}-${codec}.arrow`));
      assert.deepEqual([compared.equal, compared.rows], [true, 16], `${name}: ${compared.detail}`);
    }
  }
});

test('CSV (quoted commas and newlines, nulls, dates, timestamps) and JSON Lines (lists, structs) load equal to pyarrow.csv / pyarrow.json', async () => {
  for (const [file, kind] of [['text/table.csv', 'csv'], ['text/table.jsonl', 'jsonl']] as const) {
    const run = await load(file, kind);
    assert.equal(run.code, 0, run.stderr);
    const compared = await compareWithPyarrow(server.url, kind, kind, join(fixtures, file));
    assert.deepEqual([compared.equal, compared.rows], [true, 70_000], `${kind}: ${compared.detail}`);
  }
});

test('progress: the CLI prints JSON lines when piped, and stats keeps files, rows and bytes done and total', async () => {
  const run = await load('dir', 'progress');
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines.at(-1), { result: { loaded: 'progress', files: 3, rows: 1050, batches: 11, bytes: (await client.action<NodeStats>('stats')).datasets.find((d) => d.name === 'progress')!.bytes } });
  const stats = await client.action<NodeStats>('stats');
  const progress = stats.loads.find((l) => l.name === 'progress')!;
  assert.equal(progress.state, 'done');
  assert.deepEqual([progress.files, progress.filesTotal, progress.rows, progress.bytes === progress.bytesTotal], [3, 3, 1050, true]);
  assert.ok(progress.bytesTotal > 0);
});

test('bad input fails with a precise status naming the file, the previous generation serves on, the node lives', async () => {
  assert.equal((await load('dir', 'kept')).code, 0);
  const cases: Array<[string, string[], RegExp]> = [
    ['bad/footer.parquet', [], /^flightcache: INVALID_ARGUMENT: .*bad\/footer\.parquet: cannot read as Parquet: .*\n$/],
    ['bad/truncated.parquet', [], /^flightcache: INVALID_ARGUMENT: .*bad\/truncated\.parquet: cannot read as Parquet: .*\n$/],
    ['bad/notparquet.parquet', [], /^flightcache: INVALID_ARGUMENT: .*bad\/notparquet\.parquet: cannot read as Parquet: .*\n$/],
    ['bad/truncated.arrow', [], /^flightcache: INVALID_ARGUMENT: .*bad\/truncated\.arrow: invalid Arrow IPC data: metadata length \d+ at offset \d+ runs past the data \(truncated\?\)\n$/],
    ['text/table.csv', ['--format', 'parquet'], /^flightcache: INVALID_ARGUMENT: .*text\/table\.csv: cannot read as Parquet: .*\n$/],
    ['nowhere', [], /^flightcache: NOT_FOUND: source ".*nowhere" does not exist\n$/],
  ];
  for (const [source, flags, message] of cases) {
    const run = await load(source, 'kept', ...flags);
    assert.equal(run.code, 1, source);
    assert.match(run.stderr, message);
    const kept = await compareWithPyarrow(server.url, 'kept', 'parquet', join(fixtures, 'dir'));
    assert.deepEqual([kept.equal, kept.rows], [true, 1050], `${source} changed the dataset: ${kept.detail}`);
  }
  const failed = (await client.action<NodeStats>('stats')).loads.find((l) => l.name === 'kept')!;
  assert.equal(failed.state, 'failed');
  assert.match(failed.error!, /^source ".*nowhere" does not exist$/);
  assert.deepEqual(await client.action<{ status: string }>('health').then((h) => h.status), 'ok');
});

test('a file that changes while it is read fails the load with ABORTED naming it, and keeps the previous generation', async () => {
  const path = join(fixtures, 'grow.csv');
  writeFileSync(path, 'a,b\n' + Array.from({ length: 200_000 }, (_, i) => `${i},x${i}\n`).join(''));
  assert.equal((await load('grow.csv', 'grow')).code, 0);
  writeFileSync(path, 'a,b\n' + Array.from({ length: 3_000_000 }, (_, i) => `${i},x${i}\n`).join(''));
  const loading = load('grow.csv', 'grow');
  await waitForLoad('grow');
  appendFileSync(path, '3000000,x3000000\n');
  const run = await loading;
  assert.equal(run.code, 1, run.stdout);
  assert.match(run.stderr, /^flightcache: ABORTED: .*grow\.csv changed while it was read \(\d+ bytes, then \d+\); load it again\n$/);
  const stats = await client.action<NodeStats>('stats');
  assert.equal(stats.datasets.find((d) => d.name === 'grow')!.rows, 200_000);
});

/** Resolves once the node reports a load of `name` reading its files. */
async function waitForLoad(name: string): Promise<void> {
  for (;;) {
    const progress = (await client.action<NodeStats>('stats')).loads.find((l) => l.name === name);
    if (progress?.state === 'loading') return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('dropping a dataset while it loads cancels the load: CANCELLED, nothing stored, memory returned', async () => {
  const path = join(fixtures, 'slow.jsonl');
  writeFileSync(path, Array.from({ length: 300_000 }, (_, i) => JSON.stringify({ i, s: `value ${i}`, l: [i, i + 1] })).join('\n'));
  const before = (await client.action<NodeStats>('stats')).memory.usedBytes;
  const loading = client.action('load', JSON.stringify({ name: 'slow', source: path }));
  await waitForLoad('slow');
  assert.deepEqual(await client.action('drop', 'slow'), { dropped: 'slow' });
  await rejectsWith(loading, Code.CANCELLED, /^(load of "slow" cancelled|load cancelled while reading .*slow\.jsonl)$/);
  const stats = await client.action<NodeStats>('stats');
  assert.equal(stats.datasets.some((d) => d.name === 'slow'), false);
  assert.equal(stats.loads.find((l) => l.name === 'slow')!.state, 'cancelled');
  assert.equal(stats.memory.usedBytes, before);
});

test('dropping a dataset while worker threads decode its Parquet cancels the load: CANCELLED, nothing stored, memory returned', async () => {
  const path = join(fixtures, 'slow.parquet');
  const write = 'import sys, pyarrow as pa, pyarrow.parquet as pq; n = 8_000_000; pq.write_table(pa.table({"i": pa.array(range(n), pa.int64()), "x": pa.array(range(n), pa.float64())}), sys.argv[1], row_group_size=100_000)';
  execFileSync(venvPython(), ['-c', write, path]);
  const before = (await client.action<NodeStats>('stats')).memory.usedBytes;
  const loading = client.action('load', JSON.stringify({ name: 'slow-parquet', source: path, options: { threads: 2 } }));
  await waitForLoad('slow-parquet');
  assert.deepEqual(await client.action('drop', 'slow-parquet'), { dropped: 'slow-parquet' });
  await rejectsWith(loading, Code.CANCELLED, /^(load of "slow-parquet" cancelled|load cancelled while reading .*slow\.parquet|load of .*slow\.parquet cancelled)$/);
  const stats = await client.action<NodeStats>('stats');
  assert.equal(stats.datasets.some((d) => d.name === 'slow-parquet'), false);
  assert.equal(stats.loads.find((l) => l.name === 'slow-parquet')!.state, 'cancelled');
  assert.equal(stats.memory.usedBytes, before);
  assert.deepEqual(await client.action<{ status: string }>('health').then((h) => h.status), 'ok');
});

test('a load replaces the dataset: a second load of the same name holds only the new rows', async () => {
  assert.equal((await load('dir/part-0.parquet', 'twice')).code, 0);
  assert.equal((await load('dir/part-1.parquet', 'twice')).code, 0);
  const compared = await compareWithPyarrow(server.url, 'twice', 'parquet', join(fixtures, 'dir/part-1.parquet'));
  assert.deepEqual([compared.equal, compared.rows], [true, 350]);
});

test('"threads" sets how many worker threads decode Parquet: with 1 or 3 the directory loads equal to pyarrow, files in order', async () => {
  for (const threads of [1, 3]) {
    const name = `threads-${threads}`;
    await client.action('load', JSON.stringify({ name, source: join(fixtures, 'dir'), options: { threads } }));
    const compared = await compareWithPyarrow(server.url, name, 'parquet', join(fixtures, 'dir'));
    assert.deepEqual([compared.equal, compared.rows], [true, 1050], compared.detail);
  }
  await rejectsWith(client.action('load', JSON.stringify({ name: 'threads-0', source: join(fixtures, 'dir'), options: { threads: 0 } })), Code.INVALID_ARGUMENT, /^"threads" must be an integer from 1 to 256/);
});

test('arrow-rs (parquet-wasm) reads a date64 column back as date64 where pyarrow reads date32 (known difference, values equal)', async () => {
  assert.equal((await load('types/snappy.parquet', 'differs', '--columns', 'date64')).code, 0);
  const compared = await compareWithPyarrow(server.url, 'differs', 'parquet', join(fixtures, 'types/snappy.parquet'), ['--columns', 'date64']);
  assert.match(compared.detail, /^schema differs: expected\ndate64: date32\[day\]\n-- schema metadata --\n[^]*\ngot\ndate64: date64\[ms\]\n-- schema metadata --\n/);
});

test('Parquet written by DuckDB (lists, structs, maps, decimal, timestamptz) loads equal to pyarrow', async () => {
  assert.equal((await load('duckdb/duck.parquet', 'duck')).code, 0);
  const compared = await compareWithPyarrow(server.url, 'duck', 'parquet', join(fixtures, 'duckdb/duck.parquet'));
  assert.deepEqual([compared.equal, compared.rows], [true, 5000], compared.detail);
});

test('on a terminal the CLI draws a progress bar (cli-progress) and ends with a summary line', async () => {
  const path = join(fixtures, 'tty.jsonl');
  writeFileSync(path, Array.from({ length: 600_000 }, (_, i) => JSON.stringify({ i, s: `value ${i}` })).join('\n'));
  // script(1) runs the CLI on a pseudo-terminal, so stdout.isTTY is true.
  const command = [process.execPath, CLI, 'load', path, '--name', 'tty', '--endpoint', server.url].map((a) => `'${a}'`).join(' ');
  const output = await new Promise<string>((resolve, reject) => {
    execFile('script', ['-qec', command, '/dev/null'], { timeout: 120_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
  assert.match(output, /[\u2588\u2591]+ \d+% \| 0\/1 files \| \d+ rows \| /);
  assert.match(output, /loaded tty: 600000 rows in 10 batches from 1 files, [\d.]+ MiB\r?\n$/);
});

test('/stats on the ops port shows the loads as the stats action does', async () => {
  const httpPort = await freePort();
  const node = await startCli(['serve', '--port', '0', '--http-port', String(httpPort)]);
  try {
    const run = await runCli(['load', join(fixtures, 'dir'), '--name', 'ops', '--endpoint', node.url]);
    assert.equal(run.code, 0, run.stderr);
    const stats = (await (await fetch(`http://127.0.0.1:${httpPort}/stats`)).json()) as NodeStats;
    const { state, files, filesTotal, rows, bytes, bytesTotal } = stats.loads.find((l) => l.name === 'ops')!;
    assert.deepEqual({ state, files, filesTotal, rows, done: bytes === bytesTotal }, { state: 'done', files: 3, filesTotal: 3, rows: 1050, done: true });
  } finally {
    await node.stop();
  }
});
