/**
 * `load --tokenize` on a single node and on a cluster, against the reference libraries: Python's
 * Hugging Face `tokenizers` with the same tokenizer.json (a WordPiece one, bert-base-uncased, and a
 * byte-level BPE one, GPT-2) and Python's `tiktoken` (cl100k_base, gpt2 and p50k_edit from the ranks
 * npm's `tiktoken` ships, encoded in the native core), on Debian's copyright files (real
 * English text with names in many scripts) plus Unicode edge cases and empty documents (test/python/tokenize_check.py). Packed, padded, truncated and
 * variable-length rows equal the reference's ids; bad options fail with INVALID_ARGUMENT. The packed
 * dataset trains client/python/examples/train_packed_lm.py (test/python/tokenize_training.py).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FlightClient } from '../../client/src/flight-client.js';
import type { LoadProgress } from '../../cache-server/loaders/dataset-loader.js';
import type { NodeStats } from '../../cache-server/node/node-actions.js';
import type { StartedProcess } from '../helpers/process.js';
import { repoRoot, runPython } from '../helpers/python.js';
import { clusterStats, startCli, waitFor } from '../cluster/cluster-helpers.js';
import { runCli } from './load-helpers.js';

/** What tokenize_check.py compare prints. */
interface Comparison {
  equal: boolean;
  rows: number;
  schema: Record<string, string>;
  tokens: number;
  mismatch?: unknown;
}

let dir: string;
let corpus: string;
let node: StartedProcess;
let cluster: StartedProcess;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flightcache-tokenize-'));
  corpus = join(dir, 'corpus');
  await runPython('tokenize_check.py', ['files', dir], { timeoutMs: 120_000 });
  // 120 copyright files and 8 edge cases in 3 Parquet files: several batches, one per file.
  await runPython('tokenize_check.py', ['corpus', corpus, '120', '3'], { timeoutMs: 120_000 });
  node = await startCli(['serve', '--port', '0', '--shm-dir', 'off']);
});

after(async () => {
  const status = await node.stop();
  const clusterStatus = cluster ? await cluster.stop() : { code: 0, signal: null };
  rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(status, { code: 0, signal: null }, node.stderr());
  assert.deepEqual(clusterStatus, { code: 0, signal: null }, cluster?.stderr());
});

const bert = (): string => join(dir, 'bert-uncased.json');
const gpt2 = (): string => join(dir, 'gpt2.json');

/** Loads the corpus with FLAGS at URL and compares it with the reference for SPEC. */
async function loadAndCompare(url: string, name: string, flags: readonly string[], spec: Record<string, unknown>): Promise<{ compared: Comparison; tokens: number }> {
  const run = await runCli(['load', corpus, '--name', name, '--endpoint', url, '--tokenize', 'text', ...flags]);
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!).result as { rows: number; tokens: number };
  const compared = await runPython<Comparison>('tokenize_check.py', ['compare', url, name, corpus, JSON.stringify(spec)], { timeoutMs: 300_000 });
  assert.equal(compared.equal, true, JSON.stringify(compared.mismatch));
  assert.equal(result.rows, compared.rows);
  return { compared, tokens: result.tokens };
}

test('packed GPT-2 BPE rows equal Hugging Face tokenizers: fixed_size_list<int32>[L] ids and their positions in each document', async () => {
  const { compared } = await loadAndCompare(node.url, 'gpt2-packed', ['--tokenizer', gpt2(), '--max-length', '128', '--pack'], { tokenizer: gpt2(), max_length: 128, pack: true });
  assert.deepEqual(compared.schema, { input_ids: 'fixed_size_list<item: int32 not null>[128]', position_ids: 'fixed_size_list<item: int32 not null>[128]' });
  assert.ok(compared.rows > 1000, `only ${compared.rows} rows`);
});

test('FlightCacheDataset yields the packed ids as (batch, L) int32 tensors without a copy, and the example LM trains from them', async () => {
  // The Python package from the working tree, as test/interop/python-package.test.ts imports it.
  process.env.PYTHONPATH = join(repoRoot(), 'client', 'python', 'src');
  const result = await runPython<{ passed: string[]; losses: number[] }>('tokenize_training.py', [node.url, 'gpt2-packed', '128'], { timeoutMs: 300_000 });
  assert.deepEqual(result.passed, ['batches of (8, 128) int32 input_ids and position_ids', 'input_ids tensor shares the Arrow buffer', "the example's loss decreases"]);
  assert.equal(result.losses.length, 12);
});

test('padded WordPiece (bert-base-uncased) rows equal Hugging Face tokenizers, with the attention mask and the kept columns', async () => {
  const { compared } = await loadAndCompare(node.url, 'bert-padded', ['--tokenizer', bert(), '--max-length', '64', '--truncate', '--pad', '--columns', 'name,n'], {
    tokenizer: bert(),
    max_length: 64,
    truncate: true,
    pad: true,
  });
  assert.deepEqual(compared.schema, {
    input_ids: 'fixed_size_list<item: int32 not null>[64]',
    attention_mask: 'fixed_size_list<item: int8 not null>[64]',
    name: 'string',
    n: 'int64',
  });
  assert.equal(compared.rows, 128);
});

test('variable-length tiktoken cl100k_base ids equal Python tiktoken, and the load counts every id', async () => {
  const { compared, tokens } = await loadAndCompare(node.url, 'cl100k', ['--tiktoken', 'cl100k_base', '--max-length', '16'], { tiktoken: 'cl100k_base', max_length: 16 });
  assert.deepEqual(compared.schema, { input_ids: 'list<item: int32 not null>' });
  assert.equal(tokens, compared.tokens);
});

test('tiktoken gpt2 and p50k_edit equal Python tiktoken: packed, and truncated without special tokens', async () => {
  const { compared } = await loadAndCompare(node.url, 'gpt2-tiktoken', ['--tiktoken', 'gpt2', '--max-length', '64', '--pack'], { tiktoken: 'gpt2', max_length: 64, pack: true });
  assert.deepEqual(compared.schema, { input_ids: 'fixed_size_list<item: int32 not null>[64]', position_ids: 'fixed_size_list<item: int32 not null>[64]' });
  assert.ok(compared.rows > 1000, `only ${compared.rows} rows`);
  await loadAndCompare(node.url, 'p50k-plain', ['--tiktoken', 'p50k_edit', '--max-length', '40', '--truncate', '--no-special-tokens'], {
    tiktoken: 'p50k_edit',
    max_length: 40,
    truncate: true,
    special_tokens: false,
  });
});

test('--no-special-tokens: special-token text is plain text (tiktoken) and no [CLS]/[SEP] is added (WordPiece), truncated to L', async () => {
  await loadAndCompare(node.url, 'cl100k-plain', ['--tiktoken', 'cl100k_base', '--max-length', '24', '--truncate', '--no-special-tokens'], {
    tiktoken: 'cl100k_base',
    max_length: 24,
    truncate: true,
    special_tokens: false,
  });
  await loadAndCompare(node.url, 'bert-plain-packed', ['--tokenizer', bert(), '--max-length', '50', '--pack', '--no-special-tokens'], {
    tokenizer: bert(),
    max_length: 50,
    pack: true,
    special_tokens: false,
  });
});

test('bad tokenize options fail with INVALID_ARGUMENT naming the problem, and the node keeps serving', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--tiktoken', 'nope', '--max-length', '8'], /unknown tiktoken encoding "nope"/],
    [['--tokenizer', join(dir, 'missing.json'), '--max-length', '8'], /cannot open tokenizer .*missing\.json/],
    [['--tiktoken', 'gpt2', '--max-length', '0'], /"max_length" must be an integer from 1 to 1048576/],
    [['--tiktoken', 'gpt2', '--max-length', '8', '--pad'], /"pad" needs "truncate"/],
    [['--tiktoken', 'gpt2', '--max-length', '8', '--pack', '--columns', 'text,name'], /can name only the text column "text" with "pack"/],
  ];
  for (const [flags, message] of cases) {
    const run = await runCli(['load', corpus, '--name', 'bad', '--endpoint', node.url, '--tokenize', 'text', ...flags]);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /INVALID_ARGUMENT/);
    assert.match(run.stderr, message);
  }
  const notText = await runCli(['load', corpus, '--name', 'bad', '--endpoint', node.url, '--tokenize', 'n', '--tiktoken', 'gpt2', '--max-length', '8']);
  assert.match(notText.stderr, /INVALID_ARGUMENT.*column "n" is Int64, not a string column/);
  const stray = await runCli(['load', corpus, '--name', 'bad', '--endpoint', node.url, '--pack']);
  assert.match(stray.stderr, /--pack needs --tokenize COLUMN/);
  const client = new FlightClient(node.url);
  try {
    const stats = await client.action<NodeStats>('stats');
    assert.equal(stats.datasets.some((d) => d.name === 'bad'), false);
    assert.equal(stats.loads.filter((l) => l.name === 'bad').every((l) => l.state === 'failed'), true);
  } finally {
    client.close();
  }
});

test('on a cluster each shard tokenizes the files it loads: packed and padded rows equal the reference', async () => {
  cluster = await startCli(['serve', '--port', '0', '--shards', '2', '--replicas', '1', '--shm-dir', 'off']);
  const client = new FlightClient(cluster.url);
  try {
    await waitFor('two live shards', async () => ((await clusterStats(client)).members.filter((m) => m.live).length === 2 ? true : undefined), 60_000);
    const packed = await loadAndCompare(cluster.url, 'gpt2-packed', ['--tokenizer', gpt2(), '--max-length', '128', '--pack'], { tokenizer: gpt2(), max_length: 128, pack: true, cluster: true });
    await loadAndCompare(cluster.url, 'cl100k-padded', ['--tiktoken', 'cl100k_base', '--max-length', '32', '--truncate', '--pad', '--columns', 'text,n'], {
      tiktoken: 'cl100k_base',
      max_length: 32,
      truncate: true,
      pad: true,
      cluster: true,
    });
    const { loads } = await client.action<{ loads: LoadProgress[] }>('stats');
    // The coordinator's progress adds up the ids its shards produced.
    assert.ok(packed.tokens > 100_000, `${packed.tokens} tokens`);
    const progress = loads.find((l) => l.name === 'gpt2-packed');
    assert.equal(progress?.tokens, packed.tokens);
    assert.ok((progress?.tokensPerSecond ?? 0) > 0);
  } finally {
    client.close();
  }
});
