/**
 * A Parquet decode worker thread: decodes the row groups it is sent, one at a time, with parquet-wasm
 * from the file (which stays open for the next row group of the same file), and
 * transfers each back as an Arrow IPC stream with the file's schema metadata put back.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { workerData } from 'node:worker_threads';
import { initSync, ParquetFile, type RecordBatch as WasmRecordBatch } from 'parquet-wasm/esm';
import type { DecodedRowGroup, RowGroupRequest } from './parquet-decoders.js';
import { serveRequests } from './worker-pool.js';

interface OpenFile {
  readonly path: string;
  readonly file: ParquetFile;
  readonly handle: FileHandle;
  readonly metadata: Map<string, string>;
}

/** The file last opened, reused while its row groups come. */
let current: OpenFile | undefined;
/** Row groups run one after another: one decoded row group per worker in memory. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * The file as the Blob parquet-wasm reads (`size`, `slice`, `arrayBuffer`): each slice one read
 * into its own buffer, where a file-backed Blob reads in chunks and copies them together.
 */
function fileBlob(handle: FileHandle, size: number): Blob {
  const slice = (start = 0, end = size): { arrayBuffer(): Promise<ArrayBuffer> } => ({
    arrayBuffer: async () => {
      const length = Math.max(0, Math.min(size, end) - start);
      const bytes = new Uint8Array(length);
      let read = 0;
      while (read < length) {
        const { bytesRead } = await handle.read(bytes, read, length - read, start + read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      // A file cut short mid-load gives fewer bytes: parquet-wasm fails on them, naming what is missing.
      return read === length ? bytes.buffer : bytes.buffer.slice(0, read);
    },
  });
  return { size, slice } as unknown as Blob;
}

async function fileOf(path: string): Promise<OpenFile> {
  if (current?.path === path) return current;
  if (current) {
    current.file.free();
    await current.handle.close();
  }
  current = undefined;
  const handle = await open(path);
  try {
    const file = await ParquetFile.fromFile(fileBlob(handle, (await handle.stat()).size));
    current = { path, file, handle, metadata: file.schema().metadata() };
  } catch (err) {
    await handle.close();
    throw err;
  }
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
  () => {
    // The module its pool compiled (parquet-decoders.ts): instantiated here, not compiled again.
    initSync({ module: workerData as WebAssembly.Module });
    return { state: null, ready: null };
  },
  (_state, request) => {
    const done = queue.then(() => decode(request));
    queue = done.catch(() => undefined);
    return done;
  },
);
