import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Int64, LargeUtf8, RecordBatchReader, Table, Utf8, tableToIPC, vectorFromArray, type DataType } from 'apache-arrow';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { chunkOfStream, streamOfChunk, type IpcChunk } from './ipc-chunk.js';
import { openTokenizer, utf8Documents, type TextTokenizer } from './text-tokenizer.js';
import { tokenizeChunks } from './tokenize-chunks.js';
import { parseTokenizeOptions } from './tokenize-options.js';
import { TokenizePool } from './tokenize-pool.js';

const DOCS = ['Hello world', '', 'naïve café 👩🏽‍💻', 'a much longer document that spans more than one packed row of ids'];
let pool: TokenizePool;
let reference: TextTokenizer;

before(async () => {
  pool = await TokenizePool.open({ source: { tiktoken: 'gpt2' }, specialTokens: true }, 2);
  reference = openTokenizer({ tiktoken: 'gpt2' }, true);
});

after(async () => {
  await pool.close();
  reference.close();
});

/** Two batches of a text column and an id column, as a reader yields them. */
function chunks(): IpcChunk[] {
  const table = (docs: string[], from: number) => new Table({ text: vectorFromArray(docs, new Utf8()), n: vectorFromArray(docs.map((_, i) => BigInt(from + i)), new Int64()) });
  return [chunkOfStream(tableToIPC(table(DOCS.slice(0, 2), 0), 'stream')), chunkOfStream(tableToIPC(table(DOCS.slice(2), 2), 'stream'))];
}

async function run(options: Record<string, unknown>, keep: string[] = []): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  const source = (async function* () {
    yield* chunks();
  })();
  for await (const chunk of tokenizeChunks(source, parseTokenizeOptions({ column: 'text', tiktoken: 'gpt2', ...options }), keep, pool, { onTokens: () => {} })) {
    for (const batch of RecordBatchReader.from(streamOfChunk(chunk)).readAll()) {
      for (const field of batch.schema.fields) (out[field.name] ??= []).push(...[...batch.getChild(field.name)!].map((v) => (v && typeof v === 'object' ? [...(v as Iterable<unknown>)] : v)));
    }
  }
  return out;
}

async function ids(): Promise<number[][]> {
  const { ids, offsets } = await reference.encode(utf8Documents(DOCS));
  return DOCS.map((_, d) => [...ids.subarray(offsets[d]!, offsets[d + 1]!)]);
}

test('pack ends every document with <|endoftext|>, cuts rows of exactly L across batches, and drops the rest', async () => {
  const stream = (await ids()).flatMap((doc) => [...doc, 50256]);
  const positions = (await ids()).flatMap((doc) => [...doc, 50256].map((_, i) => i));
  const got = await run({ max_length: 5, pack: true });
  const rows = Math.floor(stream.length / 5);
  assert.deepEqual(got.input_ids, Array.from({ length: rows }, (_, r) => stream.slice(r * 5, r * 5 + 5)));
  assert.deepEqual(got.position_ids, Array.from({ length: rows }, (_, r) => positions.slice(r * 5, r * 5 + 5)));
});

test('truncate and pad keep one row per document with the attention mask and the kept columns', async () => {
  const docs = (await ids()).map((doc) => doc.slice(0, 4));
  const got = await run({ max_length: 4, truncate: true, pad: true }, ['n']);
  assert.deepEqual(got.input_ids, docs.map((doc) => [...doc, ...Array(4 - doc.length).fill(50256)]));
  assert.deepEqual(got.attention_mask, docs.map((doc) => [...doc.map(() => 1), ...Array(4 - doc.length).fill(0)]));
  assert.deepEqual(got.n, [0n, 1n, 2n, 3n]);
  assert.deepEqual((await run({ max_length: 4, truncate: true })).input_ids, docs);
  assert.deepEqual((await run({ max_length: 4 })).input_ids, await ids());
});

test('a column that is not text is refused with INVALID_ARGUMENT naming its type', async () => {
  await assert.rejects(
    async () => {
      const source = (async function* () {
        yield* chunks();
      })();
      for await (const _ of tokenizeChunks(source, parseTokenizeOptions({ column: 'n', tiktoken: 'gpt2', max_length: 4 }), [], pool, { onTokens: () => {} })) void _;
    },
    (err: unknown) => err instanceof FlightError && err.code === Code.INVALID_ARGUMENT && err.message === 'tokenize: column "n" is Int64, not a string column',
  );
});

test('a file without rows still gives the output schema, with the kept columns as read', async () => {
  const empty = new Table({ text: vectorFromArray([] as string[], new Utf8()), n: vectorFromArray([] as bigint[], new Int64()) });
  const source = (async function* () {
    yield chunkOfStream(tableToIPC(empty, 'stream'));
  })();
  const out: IpcChunk[] = [];
  for await (const chunk of tokenizeChunks(source, parseTokenizeOptions({ column: 'text', tiktoken: 'gpt2', max_length: 8, truncate: true, pad: true }), ['n'], pool, { onTokens: () => {} })) out.push(chunk);
  assert.equal(out.length, 1);
  const reader = RecordBatchReader.from(streamOfChunk(out[0]!)).open();
  assert.deepEqual(reader.schema.fields.map((f) => `${f.name}: ${String(f.type)}`), ['input_ids: FixedSizeList[8]<Int32>', 'attention_mask: FixedSizeList[8]<Int8>', 'n: Int64']);
  assert.equal(reader.readAll().reduce((rows, b) => rows + b.numRows, 0), 0);
});

/** The variable-length ids of one batch of `docs` in a text column of `type`. */
async function idsOfColumn(docs: Array<string | null>, type: DataType): Promise<number[][]> {
  const source = (async function* () {
    yield chunkOfStream(tableToIPC(new Table({ text: vectorFromArray(docs, type) }), 'stream'));
  })();
  const rows: number[][] = [];
  for await (const chunk of tokenizeChunks(source, parseTokenizeOptions({ column: 'text', tiktoken: 'gpt2', max_length: 16 }), [], pool, { onTokens: () => {} })) {
    for (const batch of RecordBatchReader.from(streamOfChunk(chunk)).readAll()) rows.push(...[...batch.getChild('input_ids')!].map((v) => [...(v as Iterable<number>)]));
  }
  return rows;
}

test('a null document tokenizes as an empty one, between documents that keep their ids', async () => {
  assert.deepEqual(await idsOfColumn(['Hello world', null, 'naïve café'], new Utf8()), [[15496, 995], [], [2616, 38776, 40304]]);
});

test('a large_string column tokenizes as a string column does', async () => {
  assert.deepEqual(await idsOfColumn(['Hello world', null, 'naïve café'], new LargeUtf8()), [[15496, 995], [], [2616, 38776, 40304]]);
});

test('a batch of more documents and bytes than one worker message holds keeps every document in order', async () => {
  const docs = Array.from({ length: 600 }, (_, i) => (i % 7 === 3 ? `${'long text '.repeat(30_000)}${i}` : `document ${i}: it's ${i * 7} bytes`));
  const { ids, offsets } = await reference.encode(utf8Documents(docs));
  assert.deepEqual(await idsOfColumn(docs, new Utf8()), docs.map((_, d) => [...ids.subarray(offsets[d]!, offsets[d + 1]!)]));
});
