import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { BLOCK_BYTES, readCsv } from './csv-reader.js';
import type { TextReadOptions } from './text-readers.js';
import { streamOfChunk, type IpcChunk } from './ipc-chunk.js';

/** Writes `text` to a scratch file and reads it with readCsv into one table (and its batch count). */
async function read(text: string | Buffer, options: TextReadOptions = {}): Promise<{ table: Table; batches: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'csv-reader-'));
  try {
    writeFileSync(join(dir, 'f.csv'), text);
    const chunks: IpcChunk[] = [];
    for await (const chunk of readCsv(join(dir, 'f.csv'), options)) chunks.push(chunk);
    const messages = chunks.flatMap((c) => c.messages);
    return { table: tableFromIPC(streamOfChunk({ schema: chunks[0]!.schema, messages })), batches: messages.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function failure(text: string, options: TextReadOptions = {}): Promise<string> {
  const err = await read(text, options).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof FlightError && err.code === Code.INVALID_ARGUMENT, String(err));
  return err.message;
}

test('a cell that does not fit the type inferred from the first 65,536 rows fails naming its line, column, type and cell', async () => {
  const text = `a,b\n${'1,x\n'.repeat(70_000)}y,x\n`;
  assert.equal(await failure(text), 'CSV line 70002: column "a" is Int64 (inferred from the first 65536 rows or given) but holds "y"');
});

test('a record with another field count than the header fails naming its line', async () => {
  assert.equal(await failure('a,b\n1,2\n\n3\n'), 'CSV line 3 has 1 fields; the header has 2');
});

test('a file without a header line ending in a line end has no columns (as pyarrow)', async () => {
  for (const text of ['', '\n\n', 'a,b']) assert.equal(await failure(text), 'empty CSV: no header line (a line end must follow it)');
});

test('given types and a projection: the named columns in their order, given types kept, the others inferred', async () => {
  const { table } = await read('a,b,c\n1,2,x\n3,,y\n', { columns: ['c', 'a'], schema: { a: 'string' } });
  assert.deepEqual(table.schema.fields.map((f) => `${f.name}:${String(f.type)}`), ['c:Utf8', 'a:Utf8']);
  assert.deepEqual([table.getChild('c')!.toArray(), table.getChild('a')!.toArray()], [['x', 'y'], ['1', '3']]);
  assert.equal(await failure('a\n1\n', { columns: ['z'] }), 'unknown column "z"; the CSV header\'s columns are: "a"');
});

test('a header and no records: one empty batch whose columns are null', async () => {
  const { table, batches } = await read('a,b\r\n');
  assert.deepEqual([table.numRows, batches, table.schema.fields.map((f) => String(f.type))], [0, 1, ['Null', 'Null']]);
});

test('a record longer than a block is read whole, and records cross block boundaries', async () => {
  const long = 'x'.repeat(BLOCK_BYTES + 1000) + '""\n';
  const rows = Array.from({ length: 1000 }, (_, i) => `${i},"s${i}"\n`).join('');
  const { table } = await read(Buffer.from(`a,b\n-1,"${long}"\n${rows}${rows}`));
  assert.equal(table.numRows, 2001);
  const a = table.getChild('a')!.toArray() as BigInt64Array;
  assert.deepEqual([a[0], a[1], a[2000]], [-1n, 0n, 999n]);
  const b = table.getChild('b')!;
  assert.deepEqual([b.get(0)!.length, b.get(0)!.slice(-2), b.get(2000)], [BLOCK_BYTES + 1002, '"\n', 's999']);
});
