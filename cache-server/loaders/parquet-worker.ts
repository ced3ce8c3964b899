/**
 * A Parquet decode worker thread: decodes the row groups it is sent, one at a time, with parquet-wasm
 * from a file-backed Blob (the file stays open for the next row group of the same file), and
 * transfers each back as an Arrow IPC stream with the file's schema metadata put back.
 */
import { openAsBlob } from 'node:fs';
import { ParquetFile, type RecordBatch as WasmRecordBatch } from 'parquet-wasm';
import type { DecodedRowGroup, RowGroupRequest } from './parquet-decoders.js';
import { serveRequests } from './worker-pool.js';

interface OpenFile {
  readonly path: string;
  readonly file: ParquetFile;
  readonly metadata: Map<string, string>;
}

/** The file last opened, reused while its row groups come. */
let current: OpenFile | undefined;
/** Row groups run one after another: one decoded row group per worker in memory. */
let queue: Promise<unknown> = Promise.resolve();

async function fileOf(path: string): Promise<OpenFile> {
  if (current?.path === path) return current;
  current?.file.free();
  current = undefined;
  const file = await ParquetFile.fromFile(await openAsBlob(path));
  current = { path, file, metadata: file.schema().metadata() };
  return current;
}

async function decode({ path, rowGroup, batchSize, columns }: RowGroupRequest): Promise<{ result: DecodedRowGroup; transfer: ArrayBuffer[] }> {
  const { file, metadata } = await fileOf(path);
  const stream = (await file.stream({ rowGroups: [rowGroup], batchSize, ...(columns ? { columns } : {}) })) as AsyncIterable<WasmRecordBatch>;
  const streams: Uint8Array[] = [];
  for await (const batch of stream) {
    // Batches lose the file's schema metadata on their way out of arrow-rs: it is put back.
    const restored = metadata.size > 0 ? batch.withSchema(batch.schema.withMetadata(metadata)) : batch;
    streams.push(restored.intoIPCStream());
  }
  return { result: { streams }, transfer: streams.map((s) => s.buffer as ArrayBuffer) };
}

serveRequests<RowGroupRequest, DecodedRowGroup, null, null>(
  () => ({ state: null, ready: null }),
  (_state, request) => {
    const done = queue.then(() => decode(request));
    queue = done.catch(() => undefined);
    return done;
  },
);
