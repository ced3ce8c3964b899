/**
 * CSV files (comma-separated, a header line, quoting as RFC 4180 and pyarrow's defaults) read in
 * blocks of about BLOCK_BYTES cut at record boundaries by the native reader
 * (native/src/core/csv_block.h): each block is parsed on one thread per core straight into Arrow
 * buffers, one record batch per thread, while the previous block goes to the store. Types come from
 * the first INFER_ROWS rows (as pyarrow infers them) unless given; a later cell that does not fit
 * fails the load, naming its record.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Bool, DateDay, Float64, Int64, Null, TimestampSecond, Utf8, type DataType, type Schema } from 'apache-arrow';
import { MetadataVersion } from 'apache-arrow/fb/metadata-version';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { parseMessageHeader, type IpcMessage } from '../../client/src/flight/protocol/ipc-message.js';
import { csvHeader, csvParseBlock, type CsvNativeBatch, type CsvNativeBlock } from '../../native/lib/addon.js';
import { recordBatchHeader } from '../engine/ipc-batch-header.js';
import type { IpcChunk } from './ipc-chunk.js';
import { builtColumn, encodeBatch, nullableSchema } from './text-schema.js';
import { keptColumns, typesOf, type TextReadOptions } from './text-readers.js';

/** Bytes read per block (a block grows when one record is longer). */
export const BLOCK_BYTES = 16 << 20;
/** Rows of the first block that inferred types look at. */
export const INFER_ROWS = 65_536;

/** The native reader's type codes (core/csv_cells.h CsvType), in its order. */
const TYPES: ReadonlyArray<new () => DataType> = [Null, Int64, Bool, DateDay, TimestampSecond, Float64, Utf8];
const INFER = -1;

function typeCode(type: DataType): number {
  const code = TYPES.findIndex((make) => type instanceof make);
  if (code < 0) throw new FlightError(Code.INVALID_ARGUMENT, `CSV columns cannot be ${String(type)}`);
  return code;
}

/** A native error (csvParseBlock's codes) as the load's FlightError; `record` numbers the block's first record. */
function blockError(err: unknown, record: number, header: readonly string[], kept: readonly number[]): FlightError {
  const { code, fields, column, cell, type } = err as { code?: string; record: number; fields: number; column: number; cell: string; type: number };
  const at = record + (err as { record: number }).record;
  switch (code) {
    case 'CSV_FIELD_COUNT':
      return new FlightError(Code.INVALID_ARGUMENT, `CSV line ${at} has ${fields} fields; the header has ${header.length}`);
    case 'CSV_CELL': {
      return new FlightError(Code.INVALID_ARGUMENT, `CSV line ${at}: column "${header[kept[column]!]}" is ${String(new TYPES[type]!())} (inferred from the first ${INFER_ROWS} rows or given) but holds ${JSON.stringify(cell)}`);
    }
    case 'CSV_STRING_TOO_LONG':
      return new FlightError(Code.INVALID_ARGUMENT, `CSV line ${at}: a string column holds over 2 GiB in one block`);
    case 'ENOMEM':
      return new FlightError(Code.RESOURCE_EXHAUSTED, 'out of memory parsing a CSV block');
    default:
      return FlightError.from(err);
  }
}

/** Every other element of interleaved pairs, from `first`. */
function halves(pairs: Float64Array, first: number): Float64Array {
  return Float64Array.from({ length: pairs.length / 2 }, (_, i) => pairs[2 * i + first]!);
}

/** The RecordBatch message of a native batch. */
function batchMessage(batch: CsvNativeBatch): IpcMessage {
  const { nodes, buffers } = batch;
  const layout = { nodeLength: halves(nodes, 0), nodeNulls: halves(nodes, 1), bufferOffset: halves(buffers, 0), bufferLength: halves(buffers, 1) };
  const header = recordBatchHeader(MetadataVersion.V5, batch.rows, layout, batch.body.byteLength);
  return { header, body: new Uint8Array(batch.body), info: parseMessageHeader(header) };
}

/** Reads a file sequentially into the tail of a buffer. */
class BlockFile {
  atEnd = false;
  constructor(private readonly handle: FileHandle) {}

  /** Fills `buffer` after its first `filled` bytes (to its end, or the file's); returns the bytes it holds. */
  async fill(buffer: Buffer, filled: number): Promise<number> {
    while (!this.atEnd && filled < buffer.length) {
      const { bytesRead } = await this.handle.read(buffer, filled, buffer.length - filled, null);
      if (bytesRead === 0) this.atEnd = true;
      filled += bytesRead;
    }
    return filled;
  }
}

/** Reads a CSV file with a header line. */
export async function* readCsv(path: string, options: TextReadOptions = {}): AsyncGenerator<IpcChunk> {
  const handle = await open(path, 'r');
  try {
    const file = new BlockFile(handle);
    // A file smaller than a block gets a buffer of its size (and one byte to see its end).
    let buffer = Buffer.allocUnsafe(Math.min(BLOCK_BYTES, (await handle.stat()).size + 1));
    let filled = await file.fill(buffer, 0);
    let header: { names: string[]; consumed: number } | null;
    for (;;) {
      try {
        header = csvHeader(buffer.subarray(0, filled), file.atEnd);
      } catch {
        // As pyarrow: a file without records, or whose header line does not end, has no columns.
        throw new FlightError(Code.INVALID_ARGUMENT, 'empty CSV: no header line (a line end must follow it)');
      }
      if (header) break;
      buffer = Buffer.concat([buffer, Buffer.allocUnsafe(buffer.length)]);
      filled = await file.fill(buffer, filled);
    }
    const names = header.names;
    const kept = keptColumns(names, options.columns, 'CSV header');
    const given = typesOf(kept.map((i) => names[i]!), options.schema, () => new Null());
    let types: Int32Array = Int32Array.from(kept.map((index, k) => (options.schema?.[names[index]!] !== undefined ? typeCode(given[k]!) : INFER)));
    buffer.copy(buffer, 0, header.consumed, filled);
    filled -= header.consumed;
    // The record number of the buffer's first record (the header is record 1).
    let record = 2;
    let schema: { schema: Schema; empty: IpcChunk } | undefined;
    let rowsYielded = 0;
    const threads = availableParallelism();
    const parse = (bytes: Buffer, atEnd: boolean, inferRows: number): Promise<CsvNativeBlock> =>
      csvParseBlock(bytes, atEnd, names.length, Int32Array.from(kept), types, inferRows, threads).catch((err: unknown) => {
        throw blockError(err, record, names, kept);
      });
    let block = await parse(buffer.subarray(0, filled), file.atEnd, INFER_ROWS);
    for (;;) {
      const last = file.atEnd && block.consumed === filled;
      // Types are fixed by the first block with rows (or by the end of a file without any).
      if (!schema && (block.rows > 0 || last)) {
        types = block.types;
        const fields = Array.from(types, (code) => new TYPES[code]!());
        const arrowSchema = nullableSchema(kept.map((i) => names[i]!), fields);
        schema = { schema: arrowSchema, empty: encodeBatch(arrowSchema, fields.map((type) => builtColumn(type, [])), 0) };
      }
      if (block.consumed === 0 && !file.atEnd && filled === buffer.length) {
        // One record is longer than the buffer: a larger one, then the same bytes again.
        buffer = Buffer.concat([buffer, Buffer.allocUnsafe(buffer.length)]);
      }
      const { batches } = block;
      record += block.rows;
      // The next block's bytes: the records not yet complete, then more of the file; it parses on
      // the native threads while this block's batches go to the store.
      let next: Promise<CsvNativeBlock> | undefined;
      if (!last) {
        const following = Buffer.allocUnsafe(buffer.length);
        buffer.copy(following, 0, block.consumed, filled);
        filled = await file.fill(following, filled - block.consumed);
        buffer = following;
        options.signal?.throwIfAborted();
        next = parse(buffer.subarray(0, filled), file.atEnd, schema ? 0 : INFER_ROWS);
        // Awaited below; a consumer that stops early must not leave its rejection unhandled.
        next.catch(() => undefined);
      }
      if (batches.length > 0 && schema) {
        rowsYielded += block.rows;
        yield { schema: schema.empty.schema, messages: batches.map(batchMessage) };
      }
      if (!next) {
        // A header and no records: one empty batch, so the dataset has its schema.
        if (rowsYielded === 0 && schema) yield schema.empty;
        return;
      }
      block = await next;
    }
  } finally {
    await handle.close();
  }
}
