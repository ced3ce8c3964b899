/**
 * Loads a source into a store as one new generation of a dataset, all or nothing: every message is
 * read into a region charged to the store's budget but owned by no dataset, and only when every file
 * has been read does one synchronous step drop the previous generation and commit the new one.
 * A failing file (or a cancel) releases what was read and leaves the previous generation serving.
 */
import { rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { firstSchemaDifference } from '../../client/src/flight/protocol/schema-compare.js';
import type { DatasetSnapshot, DatasetStore } from '../storage/dataset-store.js';
import type { AppendInfo } from '../storage/put-transaction.js';
import type { EncapsulatedRegion } from '../storage/stored-message.js';
import type { IpcChunk, ReadOptions } from './ipc-chunk.js';
import { parseQueryText } from '../engine/sql/plan.js';
import { filterChunks } from './filter-chunks.js';
import { readIcebergFile } from './iceberg-reader.js';
import { readIpc } from './ipc-reader.js';
import type { LoadRequest } from './load-request.js';
import { readParquet } from './parquet-reader.js';
import { listSourceFiles, type FileFormat, type SourceFile } from './source-files.js';
import { readCsv } from './csv-reader.js';
import { readJsonLines } from './text-readers.js';
import { withPartitionColumns } from './hive-columns.js';
import { downloadToTemp } from './s3-objects.js';
import { tokenizeChunks } from './tokenize-chunks.js';
import { TokenizePool } from './tokenize-pool.js';
import { decodesOnWorkers, ParquetDecoders } from './parquet-decoders.js';

/** How far a load is; shown by `stats` and /stats. */
export interface LoadProgress {
  readonly name: string;
  readonly source: string;
  state: 'listing' | 'loading' | 'done' | 'failed' | 'cancelled';
  files: number;
  filesTotal: number;
  rows: number;
  bytes: number;
  bytesTotal: number;
  /** Ids produced so far, and their rate since the first file opened (loads that tokenize). */
  tokens?: number;
  tokensPerSecond?: number;
  /** The file being read, or the one that failed. */
  file?: string;
  error?: string;
}

/** What a finished load reports. */
export interface LoadResult {
  loaded: string;
  files: number;
  rows: number;
  batches: number;
  bytes: number;
  /** Ids produced (loads that tokenize). */
  tokens?: number;
}

type Reader = (path: string, options: ReadOptions & { schema?: Readonly<Record<string, string>> }) => AsyncGenerator<IpcChunk>;
const READERS: Record<FileFormat, Reader> = { parquet: readParquet, ipc: readIpc, csv: readCsv, jsonl: readJsonLines };

/**
 * A remote (s3://) file (or tokenizer) downloaded to a temporary directory, for the readers that read
 * local files only (CSV, JSON Lines); one file at a time is on disk. Undefined for a local path.
 */
async function localCopy(remote: string, request: LoadRequest, signal: AbortSignal | undefined): Promise<string | undefined> {
  return remote.startsWith('s3://') ? downloadToTemp(remote, request.s3, signal) : undefined;
}

/** The error a failed file gives: its path first (a download's local path replaced by the file's), its gRPC code kept. */
function fileError(file: SourceFile, err: unknown, local?: string): FlightError {
  if (err instanceof Error && err.name === 'AbortError') return new FlightError(Code.CANCELLED, `load cancelled while reading ${file.path}`);
  let error = FlightError.from(err);
  if (local !== undefined && error.message.includes(local)) error = new FlightError(error.code, error.message.replaceAll(local, file.path));
  if (error.message.includes(file.path)) return error;
  const code = error.code === Code.UNKNOWN || error.code === Code.INTERNAL ? Code.INVALID_ARGUMENT : error.code;
  return new FlightError(code, `${file.path}: ${error.message}`);
}

/**
 * The files a request reads (`files`: the listed ones, a shard's share, or all) and all of the
 * source's (`all`: hive partition values are typed and numbered over the whole source).
 */
export async function requestFiles(request: LoadRequest): Promise<{ files: SourceFile[]; all: SourceFile[] }> {
  const all = await listSourceFiles(request.source, {
    ...(request.format ? { format: request.format } : {}),
    ...(request.split ? { split: request.split } : {}),
    ...(request.snapshot ? { snapshot: request.snapshot } : {}),
    ...(request.partitions ? { partitions: request.partitions } : {}),
    ...(request.filter !== undefined ? { filter: parseQueryText({ filter: request.filter }) } : {}),
    ...(request.s3 ? { s3: request.s3 } : {}),
  });
  if (!request.files) return { files: all, all };
  const wanted = new Set(request.files);
  const chosen = all.filter((f) => wanted.has(f.path));
  if (chosen.length !== wanted.size) {
    const missing = request.files.filter((p) => !chosen.some((f) => f.path === p));
    throw new FlightError(Code.NOT_FOUND, `source ${JSON.stringify(request.source)} has no file ${JSON.stringify(missing[0])}`);
  }
  return { files: chosen, all };
}

/** Loads `request` into `store`, updating `progress` as it goes; see the module comment. */
export async function loadDataset(store: DatasetStore, request: LoadRequest, progress: LoadProgress, signal?: AbortSignal): Promise<LoadResult> {
  const regions: Array<{ region: EncapsulatedRegion; info: AppendInfo }> = [];
  // One arena per load: with shared memory its segments hold this generation only (storage/allocator.ts).
  const arena = store.openArena();
  let committed = false;
  let pool: TokenizePool | undefined;
  let decoders: ParquetDecoders | undefined;
  let tokenizerCopy: string | undefined;
  try {
    const { files, all } = await requestFiles(request);
    const tokenize = request.tokenize;
    if (tokenize) {
      // Each worker opens the tokenizer file itself: an s3:// one is downloaded once, first.
      tokenizerCopy = 'tokenizer' in tokenize ? await localCopy(tokenize.tokenizer, request, signal) : undefined;
      const source = tokenizerCopy !== undefined ? { tokenizer: tokenizerCopy } : tokenize;
      pool = await TokenizePool.open({ source, specialTokens: tokenize.specialTokens }, request.threads).catch((err: unknown) => {
        const error = FlightError.from(err);
        throw tokenizerCopy && 'tokenizer' in tokenize ? new FlightError(error.code, error.message.replaceAll(tokenizerCopy, tokenize.tokenizer)) : error;
      });
      if (tokenize.layout === 'pack' && pool.eos === undefined) {
        throw new FlightError(Code.INVALID_ARGUMENT, 'pack ends each document with the end-of-sequence token, and this tokenizer defines none (<|endoftext|>, </s>, <eos>, <|end_of_text|> or [SEP])');
      }
      progress.tokens = 0;
    }
    const started = performance.now();
    const onTokens = (count: number): void => {
      progress.tokens! += count;
      progress.tokensPerSecond = Math.round(progress.tokens! / Math.max(1e-3, (performance.now() - started) / 1000));
    };
    // Tokenizing reads the text column and the other columns to keep; the others are never decoded.
    const columns = tokenize ? [...new Set([tokenize.column, ...(request.columns ?? [])])] : request.columns;
    const keep = tokenize ? (request.columns ?? []).filter((c) => c !== tokenize.column) : [];
    // A filter may read columns the load does not keep: the readers read all, the filter keeps `columns`.
    const readColumns = request.filter === undefined ? columns : undefined;
    const filter = request.filter === undefined ? undefined : parseQueryText({ filter: request.filter });
    // Local Parquet row groups decode on worker threads (s3:// and Iceberg files on this one: parquet-reader.ts).
    const localParquet = files.filter((f) => f.format === 'parquet' && !f.iceberg && !f.path.startsWith('s3://'));
    const parquetBytes = localParquet.reduce((sum, f) => sum + f.bytes, 0);
    if (localParquet.length > 0 && decodesOnWorkers(parquetBytes, request.threads)) {
      decoders = await ParquetDecoders.open(localParquet.map((f) => f.path), readColumns, request.threads);
    }
    progress.filesTotal = files.length;
    progress.bytesTotal = files.reduce((sum, f) => sum + f.bytes, 0);
    progress.state = 'loading';
    let schema: Uint8Array | undefined;
    let schemaFile = '';
    let batches = 0;
    for (const file of files) {
      signal?.throwIfAborted();
      progress.file = file.path;
      let local: string | undefined;
      try {
        // Parquet, Iceberg data files and IPC are read from S3 in ranges (their ETag guards against change).
        const ranged = file.format === 'parquet' || file.format === 'ipc';
        local = ranged ? undefined : await localCopy(file.path, request, signal);
        const onDisk = local ?? (file.path.startsWith('s3://') ? undefined : file.path);
        const before = onDisk === undefined ? undefined : await stat(onDisk);
        const options = { ...(readColumns ? { columns: readColumns } : {}), ...(signal ? { signal } : {}), ...(request.schema ? { schema: request.schema } : {}), ...(request.s3 ? { s3: request.s3 } : {}), ...(decoders ? { parquetDecoders: decoders } : {}) };
        const read = file.iceberg ? readIcebergFile(local ?? file.path, file.iceberg, options) : READERS[file.format](local ?? file.path, options);
        const withPartitions = file.partition.length > 0 ? withPartitionColumns(read, file, all) : read;
        const filtered = filter === undefined ? withPartitions : filterChunks(withPartitions, filter, columns);
        const chunks = tokenize ? tokenizeChunks(filtered, tokenize, keep, pool!, { onTokens }) : filtered;
        for await (const chunk of chunks) {
          if (!schema) {
            schema = chunk.schema.slice();
            schemaFile = file.path;
          } else if (!Buffer.from(schema).equals(chunk.schema)) {
            const difference = firstSchemaDifference(schema, chunk.schema);
            if (difference !== undefined) throw new FlightError(Code.INVALID_ARGUMENT, `${file.path}: its schema differs from ${schemaFile}'s: ${difference}`);
          }
          for (const message of chunk.messages) {
            const kind = message.info.kind;
            if (kind !== 'record_batch' && kind !== 'dictionary_batch') continue;
            const region = store.allocateMessage(message.header, message.body.length, arena);
            regions.push({ region, info: { kind, rows: message.info.rows } });
            region.message.body.set(message.body);
            if (kind === 'record_batch') {
              progress.rows += message.info.rows;
              batches++;
            }
          }
        }
        const after = onDisk === undefined ? undefined : await stat(onDisk);
        if (before && after && (after.size !== before.size || after.mtimeMs !== before.mtimeMs)) {
          throw new FlightError(Code.ABORTED, `${file.path} changed while it was read (${before.size} bytes, then ${after.size}); load it again`);
        }
      } catch (err) {
        throw fileError(file, err, local);
      } finally {
        if (local) await rm(dirname(local), { recursive: true, force: true });
      }
      progress.files++;
      progress.bytes += file.bytes;
    }
    signal?.throwIfAborted();
    // One synchronous step: readers see the old generation or the new one, never neither.
    store.drop(request.name);
    const tx = store.beginPut(request.name, schema!, arena);
    for (const { region, info } of regions) tx.adopt(region, info);
    const snapshot: DatasetSnapshot = tx.commit();
    committed = true;
    progress.state = 'done';
    progress.file = undefined;
    return { loaded: request.name, files: files.length, rows: snapshot.rows, batches, bytes: snapshot.bytes, ...(tokenize ? { tokens: progress.tokens! } : {}) };
  } catch (err) {
    const error = err instanceof Error && err.name === 'AbortError' ? new FlightError(Code.CANCELLED, `load of "${request.name}" cancelled`) : FlightError.from(err);
    progress.state = error.code === Code.CANCELLED ? 'cancelled' : 'failed';
    progress.error = error.message;
    throw error;
  } finally {
    if (!committed) for (const { region } of regions) region.region.release();
    arena.close();
    await pool?.close();
    await decoders?.close();
    if (tokenizerCopy) await rm(dirname(tokenizerCopy), { recursive: true, force: true });
  }
}
