import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { venvPython } from '../../test/helpers/python.js';
import type { IpcChunk, ReadOptions } from './ipc-chunk.js';
import { DECODE_THREADS_FROM_BYTES, decodesOnWorkers, ParquetDecoders } from './parquet-decoders.js';
import { readParquet } from './parquet-reader.js';

let dir: string;
let decoders: ParquetDecoders;

// 12 row groups of 1000 rows, and the last one of 500, with schema metadata arrow-rs drops and the reader puts back.
const WRITE = `
import sys, pyarrow as pa, pyarrow.parquet as pq
n = 11500
t = pa.table({"id": pa.array(range(n), pa.int64()), "x": pa.array([i * 0.5 for i in range(n)]), "s": pa.array([f"row {i}" for i in range(n)])}).replace_schema_metadata({"origin": "spec"})
pq.write_table(t, sys.argv[1], row_group_size=1000, compression="none")
`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parquet-decoders-'));
  execFileSync(venvPython(), ['-c', WRITE, join(dir, 'groups.parquet')]);
  decoders = await ParquetDecoders.open([], undefined, 2);
});

after(async () => {
  await decoders.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every chunk of a read: its schema and each message's header and body bytes. */
async function readAll(path: string, options: ReadOptions = {}): Promise<Array<{ schema: Buffer; messages: Array<[Buffer, Buffer]> }>> {
  const out = [];
  for await (const chunk of readParquet(path, options) as AsyncIterable<IpcChunk>) {
    out.push({ schema: Buffer.from(chunk.schema), messages: chunk.messages.map((m): [Buffer, Buffer] => [Buffer.from(m.header), Buffer.from(m.body)]) });
  }
  return out;
}

test('row groups decoded by worker threads come in file order, byte for byte as decoded on the loading thread', async () => {
  const path = join(dir, 'groups.parquet');
  const here = await readAll(path);
  const workers = await readAll(path, { parquetDecoders: decoders });
  assert.equal(here.length, 12);
  assert.deepEqual(workers, here);
});

test('worker threads decode only the columns asked for, in the order named', async () => {
  const path = join(dir, 'groups.parquet');
  const options = { columns: ['s', 'id'] };
  const workers = await readAll(path, { ...options, parquetDecoders: decoders });
  assert.deepEqual(workers, await readAll(path, options));
  assert.equal(workers.length, 12);
});

test("the next file's first row groups decode while one file ends: each file's chunks come in order, as read one file at a time", async () => {
  const [first, second] = [join(dir, 'groups.parquet'), join(dir, 'second.parquet')];
  copyFileSync(first, second);
  const columns = ['x', 'id'];
  const load = await ParquetDecoders.open([first, second], columns, 2);
  try {
    const options = { columns, parquetDecoders: load };
    assert.deepEqual(await readAll(first, options), await readAll(first, { columns }));
    // The window is 4 row groups: as the first file's last one is read, the second's first 3 are in flight.
    const ahead = await load.takeAhead(second, columns);
    assert.deepEqual((await Promise.all(ahead)).map((decoded) => decoded.streams.length), [1, 1, 1]);
    const b = await readAll(second, options);
    assert.deepEqual(b, await readAll(second, { columns }));
    assert.equal(b.length, 12);
  } finally {
    await load.close();
  }
});

test("a next file whose footer cannot be read fails its own read, with the error it gives when read alone, after the file before it loads", async () => {
  const [first, broken] = [join(dir, 'groups.parquet'), join(dir, 'broken-footer.parquet')];
  const bytes = readFileSync(first);
  bytes.fill(0, bytes.length - 200, bytes.length - 8);
  writeFileSync(broken, bytes);
  const load = await ParquetDecoders.open([first, broken], undefined, 2);
  try {
    assert.equal((await readAll(first, { parquetDecoders: load })).length, 12);
    const alone = await readAll(broken).then(() => assert.fail('read'), (err: unknown) => err);
    await assert.rejects(readAll(broken, { parquetDecoders: load }), (err: unknown) => {
      assert.ok(err instanceof FlightError && alone instanceof FlightError);
      assert.equal(err.code, Code.INVALID_ARGUMENT);
      assert.equal(err.message, alone.message);
      return true;
    });
  } finally {
    await load.close();
  }
});

test('a row group whose pages stop arrow-rs fails the read with INVALID_ARGUMENT naming the file; the process lives', async () => {
  const path = join(dir, 'corrupt.parquet');
  const bytes = readFileSync(join(dir, 'groups.parquet'));
  // The footer stays whole; the pages of the first row groups do not (arrow-rs panics on them: a WebAssembly trap).
  bytes.fill(0xff, 4, 40_000);
  writeFileSync(path, bytes);
  const crashing = await ParquetDecoders.open([path], undefined, 2);
  try {
    await assert.rejects(readAll(path, { parquetDecoders: crashing }), (err: unknown) => {
      assert.ok(err instanceof FlightError);
      assert.equal(err.code, Code.INVALID_ARGUMENT);
      assert.match(err.message, /corrupt\.parquet: cannot read as Parquet: arrow-rs stopped on its data \(WebAssembly trap: unreachable\)$/);
      return true;
    });
  } finally {
    await crashing.close();
  }
});

test('an aborted read stops at the next row group with CANCELLED', async () => {
  const controller = new AbortController();
  const chunks = readParquet(join(dir, 'groups.parquet'), { parquetDecoders: decoders, signal: controller.signal });
  assert.equal((await chunks.next()).done, false);
  controller.abort();
  await assert.rejects(chunks.next(), (err: unknown) => err instanceof FlightError && err.code === Code.CANCELLED && /groups\.parquet cancelled$/.test(err.message));
});

test('a load decodes on worker threads from 64 MiB of local Parquet, or at any size when it names its threads', () => {
  assert.equal(DECODE_THREADS_FROM_BYTES, 64 * 1024 * 1024);
  assert.equal(decodesOnWorkers(64 * 1024 * 1024 - 1, undefined), false);
  assert.equal(decodesOnWorkers(64 * 1024 * 1024, undefined), true);
  assert.equal(decodesOnWorkers(1000, 1), true);
});
