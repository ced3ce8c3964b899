/**
 * The one module that loads the native addon (build/Release/flightcache_native.node) and gives it
 * types. It is found by walking up from this file, so it loads the same way from native/lib (source)
 * and dist/native/lib (compiled).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Byte alignment of every region start. */
export const REGION_ALIGNMENT = 64;

/** Process-wide counts of native regions whose ArrayBuffer has not been collected yet. */
export interface NativeStats {
  readonly liveBytes: number;
  readonly liveRegions: number;
}

/** Opaque handle of a shared-memory directory (shared-memory.ts). */
export interface ShmSpaceHandle {
  readonly __brand: 'ShmSpace';
}

/** Opaque handle of a shared-memory arena (shared-memory.ts). */
export interface ShmArenaHandle {
  readonly __brand: 'ShmArena';
}

/** A region in a shared-memory segment: its memory, segment id, offset in the segment and the segment's size. */
export interface ShmAllocation {
  readonly buffer: ArrayBuffer;
  readonly segment: number;
  readonly offset: number;
  readonly segmentBytes: number;
}

/** The buffers of a computed Arrow array; empty where absent (no nulls: no validity; offsets for utf8 only). */
export interface ComputedColumn {
  readonly nullCount: number;
  readonly validity: Uint8Array;
  readonly offsets: Uint8Array;
  readonly values: Uint8Array;
}

/** The pre-tokenizer regexes the byte-pair encoder has written out: GPT-2's and cl100k_base's. */
export type BpePattern = 'gpt2' | 'cl100k';

/** Opaque handle of a byte-pair encoder (bpeOpen). */
export interface BpeEncoderHandle {
  readonly __brand: 'BpeEncoder';
}

/** One record batch of a CSV block: its body and, as an IPC RecordBatch lists them, (length, null count) per field node and (offset, length) per buffer. */
export interface CsvNativeBatch {
  readonly rows: number;
  readonly body: ArrayBuffer;
  readonly nodes: Float64Array;
  readonly buffers: Float64Array;
}

/** A parsed CSV block: the bytes of its complete records, their rows, the kept columns' types (csv-reader.ts codes) and one batch per part. */
export interface CsvNativeBlock {
  readonly consumed: number;
  readonly rows: number;
  readonly types: Int32Array;
  readonly batches: readonly CsvNativeBatch[];
}

/** The addon's exports as loaded, before the typed wrappers below. */
export interface NativeAddon {
  allocate(bytes: number): ArrayBuffer;
  discard(buffer: ArrayBuffer): void;
  stats(): NativeStats;
  alignmentOf(view: ArrayBufferView): number;
  gatherRuns(target: Uint8Array, source: Uint8Array, starts: Float64Array, lengths: Float64Array, count: number, width: number): void;
  /** Rows where a compiled predicate is TRUE (cache-server/engine/sql/program.ts, native/src/core/filter.h). */
  filterBatch(code: Int32Array, ints: BigInt64Array, floats: Float64Array, strings: readonly string[], columns: readonly object[], rows: number): Uint32Array;
  /**
   * filterBatch over every batch (columns and rows per batch) on `threads` native threads (0: the
   * hardware's concurrency), in order up to the first failing batch, whose error is returned, not thrown.
   */
  filterBatches(
    code: Int32Array,
    ints: BigInt64Array,
    floats: Float64Array,
    strings: readonly string[],
    batches: readonly (readonly object[])[],
    rows: readonly number[],
    threads: number,
  ): { selected: Uint32Array[]; error?: Error };
  /** A compiled select-list expression's values as an Arrow array of column type `type` (native/src/core/filter.h). */
  evaluateColumn(code: Int32Array, ints: BigInt64Array, floats: Float64Array, strings: readonly string[], columns: readonly object[], rows: number, type: number): ComputedColumn;
  shmOpenSpace(directory: string): ShmSpaceHandle;
  shmOpenArena(space: ShmSpaceHandle): ShmArenaHandle;
  shmAllocate(arena: ShmArenaHandle, bytes: number): ShmAllocation;
  shmCloseArena(arena: ShmArenaHandle): void;
  shmStats(space: ShmSpaceHandle): { segments: number; capacityBytes: number };
  shmSegmentDescriptor(space: ShmSpaceHandle, id: number): number;
  sendWithDescriptors(socket: number, data: Uint8Array, fds: readonly number[]): number;
  mapFile(path: string): ArrayBuffer;
  bpeOpen(pattern: BpePattern, tokens: Uint8Array, lengths: Int32Array, ranks: Int32Array, specials: Uint8Array, specialLengths: Int32Array, specialRanks: Int32Array): BpeEncoderHandle;
  bpeEncode(encoder: BpeEncoderHandle, text: Uint8Array, offsets: Int32Array, specialTokens: boolean): { ids: Int32Array; offsets: Int32Array };
  csvHeader(bytes: Uint8Array, atEnd: boolean): { names: string[]; consumed: number } | null;
  csvParseBlock(bytes: Uint8Array, atEnd: boolean, columns: number, kept: Int32Array, types: Int32Array, inferRows: number, threads: number): Promise<CsvNativeBlock>;
}

const ADDON_PATH = join('build', 'Release', 'flightcache_native.node');

let loaded: NativeAddon | undefined;

/** Loads the addon once (later calls return the same module); throws when it has not been built. */
export function load(): NativeAddon {
  if (loaded) return loaded;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, ADDON_PATH);
    if (existsSync(candidate)) {
      loaded = createRequire(import.meta.url)(candidate) as NativeAddon;
      return loaded;
    }
    if (dirname(dir) === dir) break;
  }
  throw new Error(`flightcache native addon not found: no ${ADDON_PATH} in ${start} or above it (run \`npm run install\`)`);
}

/**
 * A new ArrayBuffer of exactly `bytes` bytes over 64-byte-aligned native memory, not zeroed; the
 * memory is freed when the ArrayBuffer is collected. Throws TypeError/RangeError on a bad size and an
 * Error with code 'ENOMEM' when the memory cannot be obtained.
 */
export function allocate(bytes: number): ArrayBuffer {
  return load().allocate(bytes);
}

/**
 * Frees the memory of an ArrayBuffer from `allocate` now rather than when it is collected: the buffer
 * is detached (every view of it becomes empty) and its region is freed on the next event-loop turn.
 * Only for memory that nothing reads any more, including pending socket writes.
 */
export function discard(buffer: ArrayBuffer): void {
  load().discard(buffer);
}

/**
 * The whole file at `path` as an ArrayBuffer over a copy-on-write mapping (reads come from the page
 * cache; writes never reach the file), unmapped when the buffer is collected. Throws an Error whose
 * code is the errno name (e.g. 'ENOENT') when it cannot be mapped.
 */
export function mapFile(path: string): ArrayBuffer {
  return load().mapFile(path);
}

/** Live native bytes and regions in this process (including released but not yet collected ones). */
export function stats(): NativeStats {
  return load().stats();
}

/** The largest power of two, at most 4096, that divides the address of the view's first byte. */
export function alignmentOf(view: ArrayBufferView): number {
  return load().alignmentOf(view);
}

/**
 * Copies `count` runs of `width`-byte elements, run i being elements [starts[i], starts[i] +
 * lengths[i]) of `source`, to consecutive elements of `target` (the shuffle's row gather).
 * RangeError when a run reads or writes past a buffer.
 */
export function gatherRuns(target: Uint8Array, source: Uint8Array, starts: Float64Array, lengths: Float64Array, count: number, width: number): void {
  load().gatherRuns(target, source, starts, lengths, count, width);
}

/**
 * A tiktoken byte-pair encoder splitting text with `pattern`'s regex (native/src/core/bpe_encoder.h):
 * the tokens' bytes back to back in `tokens`, token i `lengths[i]` bytes with id `ranks[i]`, and the
 * special tokens the same way. RangeError when the layout does not add up or a rank is unusable.
 */
export function bpeOpen(pattern: BpePattern, tokens: Uint8Array, lengths: Int32Array, ranks: Int32Array, specials: Uint8Array, specialLengths: Int32Array, specialRanks: Int32Array): BpeEncoderHandle {
  return load().bpeOpen(pattern, tokens, lengths, ranks, specials, specialLengths, specialRanks);
}

/**
 * The ids of UTF-8 documents (document i is text[offsets[i]..offsets[i+1]]), concatenated, with
 * document i's ids at ids[out.offsets[i]..out.offsets[i+1]]; `specialTokens`: special-token text is
 * its special id, as tiktoken's `encode(text, allowed_special="all")`, else `encode_ordinary`.
 */
export function bpeEncode(encoder: BpeEncoderHandle, text: Uint8Array, offsets: Int32Array, specialTokens: boolean): { ids: Int32Array; offsets: Int32Array } {
  return load().bpeEncode(encoder, text, offsets, specialTokens);
}

/**
 * The header of CSV bytes (native/src/core/csv_block.h): its field values and the bytes it takes
 * (with a byte order mark and empty lines), or null when the bytes end inside it and more may come.
 * Throws an Error coded CSV_NO_HEADER_LINE when the file has no record or its header line has no line end.
 */
export function csvHeader(bytes: Uint8Array, atEnd: boolean): { names: string[]; consumed: number } | null {
  return load().csvHeader(bytes, atEnd);
}

/**
 * Parses the complete CSV records of `bytes` (`columns` fields each) on `threads` threads into one
 * record batch per part, converting the `kept` columns to `types` (-1: inferred from the first
 * `inferRows` rows). `bytes` must not change until the promise settles. Rejects with an Error coded
 * CSV_FIELD_COUNT, CSV_CELL, CSV_STRING_TOO_LONG or ENOMEM whose `record` (0-based
 * in the block), `column` (index in kept), its `type`, `fields` and `cell` say where.
 */
export function csvParseBlock(bytes: Uint8Array, atEnd: boolean, columns: number, kept: Int32Array, types: Int32Array, inferRows: number, threads: number): Promise<CsvNativeBlock> {
  return load().csvParseBlock(bytes, atEnd, columns, kept, types, inferRows, threads);
}
