/**
 * Reads Parquet with parquet-wasm (arrow-rs compiled to WebAssembly): one row group at a time is
 * fetched from a file-backed Blob (or, for s3://, a Blob whose slices are ranged GETs: s3-ranged.ts)
 * and decoded, and leaves WASM memory as an Arrow IPC stream the store takes as it is. Columns not
 * asked for are never read from disk or S3, nor decoded. Local files are decoded in worker threads
 * when the load gives decoders (parquet-decoders.ts); s3:// objects here, as their ranged reads and
 * ETag checks are this thread's.
 */
import { openAsBlob } from 'node:fs';
import { ParquetFile, type RecordBatch as WasmRecordBatch } from 'parquet-wasm';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { chunkOfStream, orderPlan, projectMessages, type IpcChunk, type ReadOptions } from './ipc-chunk.js';
import type { ProjectionPlan } from '../engine/ipc-projection.js';
import { pyarrowSchema } from './parquet-schema.js';
import { S3Object } from './s3-ranged.js';
import type { ParquetDecoders } from './parquet-decoders.js';

/** Rows of the file's largest row group: as the batch size it makes each row group one batch. */
export function largestRowGroup(file: ParquetFile): number {
  const metadata = file.metadata();
  try {
    const groups = metadata.rowGroups();
    const rows = groups.map((group) => group.numRows());
    for (const group of groups) group.free();
    return Math.max(1, ...rows);
  } finally {
    metadata.free();
  }
}

/** How many row groups the file holds. */
export function rowGroupCount(file: ParquetFile): number {
  const metadata = file.metadata();
  try {
    return metadata.numRowGroups();
  } finally {
    metadata.free();
  }
}

/** Opens a Parquet file through a Blob (only the byte ranges read are fetched); `remote` is set for s3://. */
async function openParquet(path: string, options: ReadOptions): Promise<{ file: ParquetFile; remote?: S3Object }> {
  const remote = path.startsWith('s3://') ? await S3Object.open(path, options.s3, options.signal) : undefined;
  try {
    return { file: await settled(ParquetFile.fromFile(remote ? remote.asBlob() : await openAsBlob(path)), remote), ...(remote ? { remote } : {}) };
  } catch (err) {
    throw parquetError(path, err, remote);
  }
}

/** `promise`, or the first failed ranged read of `remote` (whose read parquet-wasm then waits on forever: s3-ranged.ts). */
const settled = <T>(promise: Promise<T>, remote: S3Object | undefined): Promise<T> => (remote ? Promise.race([promise, remote.failed]) : promise);

/** The writer's Arrow schema stored in the file's key-value metadata (pyarrow writes it), if any. */
function arrowSchemaOf(file: ParquetFile): string | undefined {
  const metadata = file.metadata();
  try {
    const fileMetadata = metadata.fileMetadata();
    const value: unknown = fileMetadata.keyValueMetadata().get('ARROW:schema');
    fileMetadata.free();
    return typeof value === 'string' ? value : undefined;
  } finally {
    metadata.free();
  }
}

/** The error of a failed read: a ranged read's own error (parquet-wasm only passes on its text), else the file's. */
function parquetError(path: string, err: unknown, remote?: S3Object): FlightError {
  if (err instanceof FlightError) return err;
  if (remote?.failure) return remote.failure;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof Error && err.name === 'AbortError') return new FlightError(Code.CANCELLED, `load of ${path} cancelled`);
  // A Blob read fails once the file changed after it was opened.
  if (err instanceof Error && err.name === 'NotReadableError') return new FlightError(Code.ABORTED, `${path} changed while it was read: ${message}`);
  return new FlightError(Code.INVALID_ARGUMENT, `${path}: cannot read as Parquet: ${message}`);
}

/** The file's row groups as Arrow IPC streams, in order: decoded here, one at a time (s3://, or no decoders given). */
async function* decodedHere(file: ParquetFile, remote: S3Object | undefined, columns: string[] | undefined): AsyncGenerator<Uint8Array> {
  // Batches lose the file's schema metadata on their way out of arrow-rs: it is put back.
  const metadata = file.schema().metadata();
  const stream = (await settled(file.stream({ batchSize: largestRowGroup(file), ...(columns ? { columns } : {}) }), remote)) as AsyncIterable<WasmRecordBatch>;
  const batchesOf = stream[Symbol.asyncIterator]();
  for (;;) {
    const next = await settled(batchesOf.next(), remote);
    if (next.done) return;
    const batch = next.value;
    yield (metadata.size > 0 ? batch.withSchema(batch.schema.withMetadata(metadata)) : batch).intoIPCStream();
  }
}

/**
 * The file's row groups as Arrow IPC streams, in order, decoded by `decoders`' workers: up to
 * `decoders.window` row groups are in flight (the next file's first ones once this file's last are
 * sent), so memory stays bounded while every worker is busy.
 */
async function* decodedByWorkers(path: string, file: ParquetFile, decoders: ParquetDecoders, columns: string[] | undefined): AsyncGenerator<Uint8Array> {
  const groups = rowGroupCount(file);
  const batchSize = largestRowGroup(file);
  const inFlight = await decoders.takeAhead(path, columns);
  let next = inFlight.length;
  while (next < groups || inFlight.length > 0) {
    while (next < groups && inFlight.length < decoders.window) {
      const decoded = decoders.decode({ path, rowGroup: next++, batchSize, ...(columns ? { columns } : {}) });
      // A row group behind one that failed is never awaited: its own failure is not unhandled.
      decoded.catch(() => undefined);
      inFlight.push(decoded);
    }
    // The window counts this file's row groups left: the rest of it is the next file's.
    if (next === groups) await decoders.sendAhead(path, decoders.window - inFlight.length);
    yield* (await inFlight.shift()!).streams;
  }
}

/**
 * Yields the file's schema first (also for a file without rows), then one chunk per row group.
 * With `options.parquetDecoders`, a local file's row groups are decoded by those worker threads.
 */
export async function* readParquet(path: string, options: ReadOptions = {}): AsyncGenerator<IpcChunk> {
  const { file, remote } = await openParquet(path, options);
  try {
    const columns = options.columns ? [...options.columns] : undefined;
    let batches = 0;
    let plan: ProjectionPlan | undefined;
    let fixedSchema: Uint8Array | undefined;
    try {
      const writer = arrowSchemaOf(file);
      const decoders = remote ? undefined : options.parquetDecoders;
      const streams = decoders ? decodedByWorkers(path, file, decoders, columns) : decodedHere(file, remote, columns);
      for await (const stream of streams) {
        options.signal?.throwIfAborted();
        batches++;
        const read = chunkOfStream(stream);
        if (batches === 1) fixedSchema = pyarrowSchema(read.schema, writer);
        const chunk = fixedSchema ? { schema: fixedSchema, messages: read.messages } : read;
        // arrow-rs keeps the file's column order; the load's is the order named.
        if (batches === 1) plan = orderPlan(chunk.schema, options.columns);
        yield plan ? { schema: plan.schema, messages: projectMessages(plan, chunk.messages) } : chunk;
      }
    } catch (err) {
      throw parquetError(path, err, remote);
    }
    if (batches === 0) {
      const schema = chunkOfStream(file.schema().intoIPCStream()).schema;
      yield { schema: pyarrowSchema(schema, arrowSchemaOf(file)) ?? schema, messages: [] };
    }
  } finally {
    file.free();
  }
}
