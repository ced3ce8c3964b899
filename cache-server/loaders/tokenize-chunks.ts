/**
 * Turns one file's chunks into tokenized ones: the text column's documents go to the tokenize
 * workers (several batches in flight, in slices, so every worker is busy) and come back as
 * `input_ids` laid out as the load asks (tokenize-options.ts), with the other columns named in
 * `columns` after them. Packing runs over the file's documents in order; the ids left over at the
 * file's end (less than one row) are dropped, so each file packs the same on any shard.
 */
import {
  Field, FixedSizeList, Int32, Int8, List, RecordBatch, RecordBatchReader, Schema, Struct, Table, Type, makeData, tableToIPC, type Data,
} from 'apache-arrow';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { chunkOfStream, streamOfChunk, type IpcChunk } from './ipc-chunk.js';
import type { EncodedBatch, Utf8Documents } from './text-tokenizer.js';
import type { TokenizeOptions } from './tokenize-options.js';
import type { TokenizePool } from './tokenize-pool.js';

/** Documents per worker message: small enough to spread a batch over the workers, big enough to amortise a message. */
const SLICE_DOCS = 256;
const SLICE_BYTES = 1 << 20;

/** The ids' column and the ones that go with it. */
const ID_FIELD = new Field('item', new Int32(), false);
const MASK_FIELD = new Field('item', new Int8(), false);

/** What a tokenized file reports as it goes. */
export interface TokenizeProgress {
  /** Called with the number of ids each batch produced. */
  onTokens(count: number): void;
}

/** A batch's text column as UTF-8 bytes and per-document byte offsets (bigint for large_string). */
interface TextColumn {
  readonly rows: number;
  readonly values: Uint8Array;
  readonly offsets: Int32Array | BigInt64Array;
  /** Whether row i holds a document; a null document tokenizes as an empty one. */
  readonly isValid: (row: number) => boolean;
  readonly nullCount: number;
}

function textColumn(batch: RecordBatch, column: string): TextColumn {
  const vector = batch.getChild(column);
  if (!vector) throw new FlightError(Code.INVALID_ARGUMENT, `tokenize: no column "${column}" (columns: ${batch.schema.fields.map((f) => f.name).join(', ')})`);
  if (vector.type.typeId !== Type.Utf8 && vector.type.typeId !== Type.LargeUtf8) {
    throw new FlightError(Code.INVALID_ARGUMENT, `tokenize: column "${column}" is ${String(vector.type)}, not a string column`);
  }
  const data = vector.data[0]!;
  return { rows: data.length, values: data.values as Uint8Array, offsets: data.valueOffsets as Int32Array | BigInt64Array, isValid: (row) => data.getValid(row), nullCount: data.nullCount };
}

/** Rows [first, end) of `text` as documents of their own (their bytes copied, so they can move to a worker). */
function documentsOf(text: TextColumn, first: number, end: number): Utf8Documents {
  const at = (row: number): number => Number(text.offsets[row]!);
  const offsets = new Int32Array(end - first + 1);
  if (text.nullCount === 0) {
    const base = at(first);
    for (let row = first; row <= end; row++) offsets[row - first] = at(row) - base;
    return { data: text.values.slice(base, at(end)), offsets };
  }
  for (let row = first; row < end; row++) offsets[row - first + 1] = offsets[row - first]! + (text.isValid(row) ? at(row + 1) - at(row) : 0);
  const data = new Uint8Array(offsets[end - first]!);
  for (let row = first; row < end; row++) if (text.isValid(row)) data.set(text.values.subarray(at(row), at(row + 1)), offsets[row - first]!);
  return { data, offsets };
}

/** Sends a batch's documents to the pool in slices and joins the answers into one batch of ids. */
async function encodeAll(pool: TokenizePool, text: TextColumn): Promise<EncodedBatch> {
  const slices: Utf8Documents[] = [];
  for (let first = 0; first < text.rows; ) {
    let end = first + 1;
    const start = Number(text.offsets[first]!);
    while (end < text.rows && end - first < SLICE_DOCS && Number(text.offsets[end + 1]!) - start <= SLICE_BYTES) end++;
    slices.push(documentsOf(text, first, end));
    first = end;
  }
  const parts = await Promise.all(slices.map((s) => pool.encode(s)));
  const offsets = new Int32Array(text.rows + 1);
  const ids = new Int32Array(parts.reduce((sum, p) => sum + p.ids.length, 0));
  let doc = 0;
  let base = 0;
  for (const part of parts) {
    ids.set(part.ids, base);
    for (let i = 1; i < part.offsets.length; i++) offsets[++doc] = base + part.offsets[i]!;
    base += part.ids.length;
  }
  return { ids, offsets };
}

function fixedRows(values: Int32Array | Int8Array, rows: number, length: number, field: Field): Data {
  const child = makeData({ type: field.type, length: rows * length, nullCount: 0, data: values });
  return makeData({ type: new FixedSizeList(length, field), length: rows, nullCount: 0, child });
}

function listRows(ids: Int32Array, offsets: Int32Array): Data {
  const child = makeData({ type: new Int32(), length: ids.length, nullCount: 0, data: ids });
  return makeData({ type: new List(ID_FIELD), length: offsets.length - 1, nullCount: 0, valueOffsets: offsets, child });
}

/** Ids of a packed stream not yet cut into a full row, with each id's position in its document. */
class Packer {
  #ids = new Int32Array(0);
  #positions = new Int32Array(0);

  constructor(private readonly length: number, private readonly eos: number) {}

  /** Appends a batch's documents (each ending with EOS) and returns the full rows now available. */
  push({ ids, offsets }: EncodedBatch): { rows: number; ids: Int32Array; positions: Int32Array } {
    const docs = offsets.length - 1;
    let added = 0;
    for (let d = 0; d < docs; d++) {
      const n = offsets[d + 1]! - offsets[d]!;
      added += n > 0 && ids[offsets[d + 1]! - 1] === this.eos ? n : n + 1;
    }
    const all = new Int32Array(this.#ids.length + added);
    const positions = new Int32Array(all.length);
    all.set(this.#ids);
    positions.set(this.#positions);
    let at = this.#ids.length;
    for (let d = 0; d < docs; d++) {
      const doc = ids.subarray(offsets[d]!, offsets[d + 1]!);
      all.set(doc, at);
      const n = doc.length > 0 && doc[doc.length - 1] === this.eos ? doc.length : doc.length + 1;
      if (n > doc.length) all[at + doc.length] = this.eos;
      for (let i = 0; i < n; i++) positions[at + i] = i;
      at += n;
    }
    const rows = Math.floor(all.length / this.length);
    const cut = rows * this.length;
    this.#ids = all.slice(cut);
    this.#positions = positions.slice(cut);
    return { rows, ids: all.subarray(0, cut), positions: positions.subarray(0, cut) };
  }
}

/** The id columns' fields, by layout. */
function idFields(options: TokenizeOptions): Field[] {
  const fixed = new FixedSizeList(options.maxLength, ID_FIELD);
  switch (options.layout) {
    case 'pack':
      return [new Field('input_ids', fixed, false), new Field('position_ids', fixed, false)];
    case 'pad':
      return [new Field('input_ids', fixed, false), new Field('attention_mask', new FixedSizeList(options.maxLength, MASK_FIELD), false)];
    default:
      return [new Field('input_ids', new List(ID_FIELD), false)];
  }
}

/** The output schema: the id columns, then the kept columns as the input schema has them. */
function outputSchema(options: TokenizeOptions, keep: readonly string[], input: Schema): Schema {
  const others = keep.map((name) => {
    const field = input.fields.find((f) => f.name === name);
    if (!field) throw new FlightError(Code.INVALID_ARGUMENT, `tokenize: no column "${name}" to keep`);
    return field;
  });
  return new Schema([...idFields(options), ...others]);
}

/** The id columns' data for a batch of encoded documents, by layout. */
function idColumns(options: TokenizeOptions, encoded: EncodedBatch, pad: number, packer: Packer | undefined): { data: Data[]; rows: number } {
  const L = options.maxLength;
  if (packer) {
    const { rows, ids, positions } = packer.push(encoded);
    return { data: [fixedRows(ids, rows, L, ID_FIELD), fixedRows(positions, rows, L, ID_FIELD)], rows };
  }
  const docs = encoded.offsets.length - 1;
  if (options.layout === 'none') return { data: [listRows(encoded.ids, encoded.offsets)], rows: docs };
  const kept = (d: number): Int32Array => encoded.ids.subarray(encoded.offsets[d]!, Math.min(encoded.offsets[d + 1]!, encoded.offsets[d]! + L));
  if (options.layout === 'truncate') {
    const offsets = new Int32Array(docs + 1);
    for (let d = 0; d < docs; d++) offsets[d + 1] = offsets[d]! + kept(d).length;
    const ids = new Int32Array(offsets[docs]!);
    for (let d = 0; d < docs; d++) ids.set(kept(d), offsets[d]!);
    return { data: [listRows(ids, offsets)], rows: docs };
  }
  const ids = new Int32Array(docs * L).fill(pad);
  const mask = new Int8Array(docs * L);
  for (let d = 0; d < docs; d++) {
    const doc = kept(d);
    ids.set(doc, d * L);
    mask.fill(1, d * L, d * L + doc.length);
  }
  return { data: [fixedRows(ids, docs, L, ID_FIELD), fixedRows(mask, docs, L, MASK_FIELD)], rows: docs };
}

/** One input batch's output as a chunk under `schema` (undefined when packing has no full row yet). */
function outputChunk(options: TokenizeOptions, schema: Schema, batch: RecordBatch, encoded: EncodedBatch, pad: number, packer: Packer | undefined): IpcChunk | undefined {
  const { data, rows } = idColumns(options, encoded, pad, packer);
  if (rows === 0) return undefined;
  const others = schema.fields.slice(data.length).map((f) => batch.getChild(f.name)!.data[0]!);
  const struct = makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children: [...data, ...others] });
  return chunkOfStream(tableToIPC(new Table(schema, [new RecordBatch(schema, struct)]), 'stream'));
}

/**
 * The tokenized chunks of one file. `keep`: the other columns to carry, in order (none when packing).
 * The pool's end-of-sequence id ends packed documents.
 */
export async function* tokenizeChunks(chunks: AsyncIterable<IpcChunk>, options: TokenizeOptions, keep: readonly string[], pool: TokenizePool, progress: TokenizeProgress): AsyncGenerator<IpcChunk> {
  const packer = options.layout === 'pack' ? new Packer(options.maxLength, pool.eos!) : undefined;
  const inFlight: Array<{ batch: RecordBatch; encoded: Promise<EncodedBatch> }> = [];
  let schema: Schema | undefined;
  let yielded = false;
  const finish = async function* (): AsyncGenerator<IpcChunk> {
    const { batch, encoded } = inFlight.shift()!;
    const ids = await encoded;
    progress.onTokens(ids.ids.length);
    const out = outputChunk(options, schema!, batch, ids, pool.pad, packer);
    if (out) {
      yielded = true;
      yield out;
    }
  };
  try {
    for await (const chunk of chunks) {
      const reader = RecordBatchReader.from(streamOfChunk(chunk)).open();
      schema ??= outputSchema(options, keep, reader.schema);
      for (const batch of reader.readAll()) {
        const encoded = encodeAll(pool, textColumn(batch, options.column));
        encoded.catch(() => {}); // awaited in order below; a later batch's failure must not go unhandled meanwhile
        inFlight.push({ batch, encoded });
        // Two batches per worker keep every worker busy while the earliest is laid out.
        while (inFlight.length > 2 * pool.size) yield* finish();
      }
    }
    while (inFlight.length > 0) yield* finish();
  } finally {
    inFlight.length = 0;
  }
  // A file with no rows, or no full packed row, still gives the dataset its schema.
  if (!yielded && schema) yield chunkOfStream(tableToIPC(new Table(schema), 'stream'));
}
