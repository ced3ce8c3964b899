/**
 * Runs a compiled expression over one record batch: finds the buffers of the columns it reads in
 * the batch body (and, for dictionary columns, in the dictionary batch in force) and hands views of
 * them to the native kernel, which returns the selected row indices (a predicate) or the values as
 * an Arrow array (a select-list expression).
 */
import { Field } from 'apache-arrow/fb/field';
import { Buffer as FbBuffer } from 'apache-arrow/fb/buffer';
import { DictionaryBatch } from 'apache-arrow/fb/dictionary-batch';
import { FieldNode } from 'apache-arrow/fb/field-node';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { Schema as FbSchema } from 'apache-arrow/fb/schema';
import { Code, FlightError } from '../../../client/src/flight/errors.js';
import { messageAccessor } from '../../../client/src/flight/protocol/ipc-message.js';
import { load, type ComputedColumn } from '../../../native/lib/addon.js';
import type { MessageBody } from '../ipc-projection.js';
import { schemaLayout, type FieldLayout } from '../ipc-take-layout.js';
import type { ColumnStorage } from './expr.js';
import type { FilterProgram } from './program.js';

/** An IPC message: its flatbuffer header and body. */
export interface BatchMessage {
  readonly header: Uint8Array;
  readonly body: MessageBody;
}

/** A record batch a predicate runs over, with the dictionary batches in force for it. */
export interface FilterInput {
  readonly message: BatchMessage;
  readonly rows: number;
  readonly dictionaries: ReadonlyMap<bigint, BatchMessage>;
}

/** The outcome of a scan of many batches: each batch's selection up to the first that failed, then that failure. */
export interface BatchSelections {
  readonly selected: readonly Uint32Array[];
  /** The FlightError (or error) batch `selected.length` failed with; absent when every batch was scanned. */
  readonly error?: unknown;
}

/** A column as the native kernel takes it. */
interface NativeColumn {
  type: number;
  ancestorValidity?: Uint8Array[];
  validity?: Uint8Array;
  values?: Uint8Array;
  offsets?: Uint8Array;
  indexType?: number;
  dictionaryLarge?: number;
  dictionaryLength?: number;
  dictionaryValidity?: Uint8Array;
  dictionaryValues?: Uint8Array;
  dictionaryOffsets?: Uint8Array;
}

/** The buffers of a record batch, as views of its body; empty buffers are absent. */
function bufferViews(recordBatch: FbRecordBatch, body: MessageBody): (Uint8Array | undefined)[] {
  const out: (Uint8Array | undefined)[] = [];
  const buffer = new FbBuffer();
  for (let i = 0, n = recordBatch.buffersLength(); i < n; i++) {
    recordBatch.buffers(i, buffer);
    const offset = Number(buffer.offset());
    const length = Number(buffer.length());
    if (typeof body === 'function') {
      out.push(length === 0 ? undefined : body(offset, length));
      continue;
    }
    if (offset < 0 || length < 0 || offset + length > body.length) throw new FlightError(Code.INTERNAL, `stored batch buffer ${i} lies outside its body`);
    out.push(length === 0 ? undefined : body.subarray(offset, offset + length));
  }
  return out;
}

/** The FlightError of a failed native evaluation (`context` says what was evaluated). */
function evaluationError(error: unknown, context: string): unknown {
  const e = error as Error & { code?: string };
  if (e.code === 'FILTER_EVALUATION') return new FlightError(Code.INVALID_ARGUMENT, `query evaluation failed: ${e.message}${context}`);
  if (e.code === 'FILTER_UNSUPPORTED') return new FlightError(Code.UNIMPLEMENTED, `query evaluation failed: ${e.message}${context}`);
  if (e.code === 'FILTER_MALFORMED') return new FlightError(Code.INTERNAL, `filter kernel refused a stored batch: ${e.message}${context}`);
  return error;
}

/** Evaluates one compiled expression (a predicate, or a select-list value) over record batches of one schema. */
export class BatchFilter {
  private readonly fields: readonly FieldLayout[];
  private readonly dictionaryIds: readonly (bigint | undefined)[];

  constructor(
    schemaHeader: Uint8Array,
    readonly program: FilterProgram,
    private readonly storage: readonly ColumnStorage[],
  ) {
    const message = messageAccessor(schemaHeader);
    const schema = message.header(new FbSchema()) as FbSchema;
    const fields: Field[] = [];
    for (let i = 0; i < schema.fieldsLength(); i++) fields.push(schema.fields(i)!);
    this.fields = schemaLayout(fields, message.version()).fields;
    this.dictionaryIds = program.columns.map(({ index, path }) => (path.length === 0 ? fields[index]!.dictionary()?.id() : undefined));
  }

  /** The dictionary ids of the columns the predicate reads (their dictionaries must be passed to select). */
  get dictionaries(): readonly bigint[] {
    return this.dictionaryIds.filter((id): id is bigint => id !== undefined);
  }

  /**
   * Rows of `batch` where the predicate is TRUE; `dictionaries` maps each id of `dictionaries` to
   * the dictionary batch in force (deltas are not supported here).
   */
  select(batch: BatchMessage, rows: number, dictionaries: ReadonlyMap<bigint, BatchMessage>): Uint32Array {
    if (rows === 0) return new Uint32Array(0);
    const columns = this.nativeColumns(batch, dictionaries);
    try {
      const { code, ints, floats, strings } = this.program;
      return load().filterBatch(code, ints, floats, strings, columns, rows);
    } catch (error) {
      throw evaluationError(error, '');
    }
  }

  /**
   * `select` over each of `batches`, the batches shared out among `threads` native threads (0: one
   * per core): the same selections in the same order, up to the first batch whose select would throw.
   */
  selectBatches(batches: readonly FilterInput[], threads = 0): BatchSelections {
    // Empty batches select nothing and, as in select, their buffers are not read.
    const scanned: number[] = [];
    const columns: NativeColumn[][] = [];
    // A batch whose buffers cannot be found ends the scan there, as select would throw there.
    let end = batches.length;
    let refusal: unknown;
    for (let b = 0; b < end; b++) {
      const { message, rows, dictionaries } = batches[b]!;
      if (rows === 0) continue;
      try {
        columns.push(this.nativeColumns(message, dictionaries));
        scanned.push(b);
      } catch (error) {
        refusal = error;
        end = b;
      }
    }
    const { code, ints, floats, strings } = this.program;
    const scan = load().filterBatches(code, ints, floats, strings, columns, scanned.map((b) => batches[b]!.rows), threads);
    const failedAt = scan.error === undefined ? end : scanned[scan.selected.length]!;
    const selected: Uint32Array[] = [];
    for (let b = 0, next = 0; b < failedAt; b++) selected.push(scanned[next] === b ? scan.selected[next++]! : new Uint32Array(0));
    if (scan.error !== undefined) return { selected, error: evaluationError(scan.error, '') };
    return refusal === undefined ? { selected } : { selected, error: refusal };
  }

  /** The expression's value for every row of `batch`, as an array of native column type `type`; `context` ends error messages. */
  compute(batch: BatchMessage, rows: number, dictionaries: ReadonlyMap<bigint, BatchMessage>, type: number, context: string): ComputedColumn {
    const columns = this.nativeColumns(batch, dictionaries);
    try {
      const { code, ints, floats, strings } = this.program;
      return load().evaluateColumn(code, ints, floats, strings, columns, rows, type);
    } catch (error) {
      throw evaluationError(error, context);
    }
  }

  /** The columns the program reads, as views of `batch` and its dictionaries. */
  private nativeColumns(batch: BatchMessage, dictionaries: ReadonlyMap<bigint, BatchMessage>): NativeColumn[] {
    const recordBatch = messageAccessor(batch.header).header(new FbRecordBatch()) as FbRecordBatch;
    const buffers = bufferViews(recordBatch, batch.body);
    return this.program.columns.map(({ index, path }, slot): NativeColumn => {
      // Down to the field through its structs, whose validity bitmaps also null it.
      let field = this.fields[index]!;
      const ancestorValidity: Uint8Array[] = [];
      for (const child of path) {
        const validity = buffers[field.buffer];
        if (validity) ancestorValidity.push(validity);
        field = field.children[child]!;
      }
      const storage = this.storage[slot]!;
      const at = field.buffer;
      if (storage.code === 14) {
        const id = this.dictionaryIds[slot]!;
        const dictionary = dictionaries.get(id);
        if (!dictionary) throw new FlightError(Code.INTERNAL, `no dictionary batch with id ${id} precedes the batch`);
        const data = (messageAccessor(dictionary.header).header(new DictionaryBatch()) as DictionaryBatch).data()!;
        const node = data.nodes(0, new FieldNode())!;
        const values = bufferViews(data, dictionary.body);
        return {
          type: 14,
          ...(buffers[at] ? { validity: buffers[at] } : {}),
          ...(buffers[at + 1] ? { values: buffers[at + 1] } : {}),
          indexType: storage.indexCode!,
          dictionaryLarge: storage.dictionaryLarge ? 1 : 0,
          dictionaryLength: Number(node.length()),
          ...(values[0] ? { dictionaryValidity: values[0] } : {}),
          ...(values[1] ? { dictionaryOffsets: values[1] } : {}),
          ...(values[2] ? { dictionaryValues: values[2] } : {}),
        };
      }
      const column: NativeColumn = { type: storage.code, ...(ancestorValidity.length > 0 ? { ancestorValidity } : {}) };
      if (buffers[at]) column.validity = buffers[at];
      if (storage.code === 12 || storage.code === 13) {
        if (buffers[at + 1]) column.offsets = buffers[at + 1];
        if (buffers[at + 2]) column.values = buffers[at + 2];
      } else if (buffers[at + 1]) column.values = buffers[at + 1];
      return column;
    });
  }
}
