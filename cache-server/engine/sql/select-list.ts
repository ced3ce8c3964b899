/**
 * A select list with computed expressions: the batches of a read are first projected onto the
 * stored columns the list reads (its inputs, taken by the usual zero-copy take path), then each
 * expression is evaluated by the native kernel over those rows into a new Arrow array, and the
 * output batch lists stored and computed columns in select-list order under their output names.
 */
import type { Builder, Offset } from 'flatbuffers';
import { Bool } from 'apache-arrow/fb/bool';
import { Field } from 'apache-arrow/fb/field';
import { FloatingPoint } from 'apache-arrow/fb/floating-point';
import { Int } from 'apache-arrow/fb/int';
import { LargeUtf8 } from 'apache-arrow/fb/large-utf8';
import { Precision } from 'apache-arrow/fb/precision';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { Type } from 'apache-arrow/fb/type';
import { Utf8 } from 'apache-arrow/fb/utf8';
import { FieldNode } from 'apache-arrow/fb/field-node';
import { Buffer as FbBuffer } from 'apache-arrow/fb/buffer';
import { Code, FlightError } from '../../../client/src/flight/errors.js';
import { messageAccessor } from '../../../client/src/flight/protocol/ipc-message.js';
import { extendSchema, ProjectionPlan, recordBatchHeader, type ProjectedBatch } from '../ipc-projection.js';
import { BatchFilter, type BatchMessage } from './evaluate.js';
import { Binder, bindColumns, INT_TYPES, typeName, type ColumnStorage, type Expr } from './expr.js';
import { compileFilter } from './program.js';
import { expressionName } from './select-names.js';
import { positionOf, type Node, type SelectItem } from './syntax.js';


/** A computed column: its kernel, the native column type of its result, and how errors name it. */
interface Computed {
  readonly filter: BatchFilter;
  readonly code: number;
  readonly context: string;
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/** Whether a string expression is large_utf8: DataFusion keeps a large_utf8 operand's type through lower, upper and CAST. */
function isLarge(expr: Expr): boolean {
  if (expr.op === 'column') return expr.storage.code === 13;
  if (expr.op === 'lower' || expr.op === 'upper') return isLarge(expr.arg);
  return false;
}

/** The native column type code of a select-list expression's result, UNIMPLEMENTED for types it does not compute. */
function resultCode(expr: Expr, node: Node, shift: number): number {
  const type = expr.type;
  if (type.kind === 'int') return INT_TYPES.indexOf(type.name) + 1;
  if (type.kind === 'float') return type.bits === 32 ? 9 : 10;
  if (type.kind === 'bool') return 11;
  if (type.kind === 'string') return isLarge(expr) ? 13 : 12;
  throw new FlightError(Code.UNIMPLEMENTED, `a select-list expression of type ${typeName(type)} is not supported at ${positionOf(node, shift)} (select the column itself)`);
}

/** Writes the Field of a computed column (nullable, no children). */
function computedField(builder: Builder, name: string, code: number): Offset {
  let typeType: Type;
  let typeOffset: Offset;
  if (code <= 8) {
    typeType = Type.Int;
    typeOffset = Int.createInt(builder, [8, 16, 32, 64][(code - 1) % 4]!, code <= 4);
  } else if (code <= 10) {
    typeType = Type.FloatingPoint;
    typeOffset = FloatingPoint.createFloatingPoint(builder, code === 9 ? Precision.SINGLE : Precision.DOUBLE);
  } else if (code === 11) {
    typeType = Type.Bool;
    typeOffset = Bool.createBool(builder);
  } else {
    typeType = code === 12 ? Type.Utf8 : Type.LargeUtf8;
    typeOffset = code === 12 ? Utf8.createUtf8(builder) : LargeUtf8.createLargeUtf8(builder);
  }
  const nameOffset = builder.createString(name);
  const children = Field.createChildrenVector(builder, []);
  Field.startField(builder);
  Field.addName(builder, nameOffset);
  Field.addNullable(builder, true);
  Field.addTypeType(builder, typeType);
  Field.addType(builder, typeOffset);
  Field.addChildren(builder, children);
  return Field.endField(builder);
}

/** A select list planned against a dataset's schema. */
export class SelectList {
  /** Projects stored batches onto the columns the list reads (what the take path works on). */
  readonly input: ProjectionPlan;
  /** The output Schema message flatbuffer. */
  readonly schema: Uint8Array;
  /** Dictionary ids of the output's stored columns: the dictionary batches a reader receives. */
  readonly dictionaryIds: ReadonlySet<bigint>;
  private readonly computed: readonly Computed[];
  private readonly output: ProjectionPlan;

  /**
   * Plans `items` over the Schema message of dataset `table`; `inputs` are the indices of the stored
   * columns they read. Expressions without an alias get DataFusion's name for them.
   */
  constructor(datasetSchema: Uint8Array, inputs: readonly number[], items: readonly SelectItem[], table: string, shift: number) {
    this.input = new ProjectionPlan(datasetSchema, inputs);
    const columns = bindColumns(this.input.schema);
    const topLevel = columns.filter((c) => c.path.length === 0).map((c) => c.name);
    const binder = new Binder(columns, shift);
    const computed: Computed[] = [];
    const names: string[] = [];
    const order = items.map((item) => {
      if (item.column !== undefined) {
        names.push(item.alias!);
        return topLevel.indexOf(item.column);
      }
      const expr = binder.value(item.expr);
      const name = item.alias ?? expressionName(item.expr, table, shift);
      names.push(name);
      const code = resultCode(expr, item.expr, shift);
      const program = compileFilter(expr);
      const storageOf = (slot: { index: number; path: readonly number[] }): ColumnStorage =>
        columns.find((c) => c.index === slot.index && c.path.join('.') === slot.path.join('.'))!.storage!;
      const filter = new BatchFilter(this.input.schema, program, program.columns.map(storageOf));
      computed.push({ filter, code, context: ` (select-list column "${name}" at ${positionOf(item.expr, shift)})` });
      return topLevel.length + computed.length - 1;
    });
    this.computed = computed;
    const repeated = names.find((name, i) => names.indexOf(name) !== i);
    if (repeated !== undefined) throw new FlightError(Code.INVALID_ARGUMENT, `the select list names output column "${repeated}" twice`);
    const computedNames = names.filter((_, i) => items[i]!.column === undefined);
    const extended = extendSchema(this.input.schema, (builder) => computed.map((c, i) => computedField(builder, computedNames[i]!, c.code)));
    this.output = new ProjectionPlan(extended, order, names);
    this.schema = this.output.schema;
    this.dictionaryIds = this.output.dictionaryIds;
  }

  /**
   * The output batch of `batch` (a record batch of `input`'s schema): its stored columns as views,
   * the computed ones evaluated over its rows; `dictionaries` maps the ids the expressions read to
   * the dictionary batch in force.
   */
  apply(batch: ProjectedBatch, dictionaries: ReadonlyMap<bigint, BatchMessage>): ProjectedBatch {
    const message = messageAccessor(batch.header);
    const recordBatch = message.header(new FbRecordBatch()) as FbRecordBatch;
    const rows = Number(recordBatch.length());
    const read = chunkReader(batch.body);
    const source: BatchMessage = { header: batch.header, body: read };
    const nodes: { length: bigint; nulls: bigint }[] = [];
    const buffers: { offset: number; length: number }[] = [];
    const node = new FieldNode();
    for (let i = 0; i < recordBatch.nodesLength(); i++) {
      recordBatch.nodes(i, node);
      nodes.push({ length: node.length(), nulls: node.nullCount() });
    }
    const buffer = new FbBuffer();
    for (let i = 0; i < recordBatch.buffersLength(); i++) {
      recordBatch.buffers(i, buffer);
      buffers.push({ offset: Number(buffer.offset()), length: Number(buffer.length()) });
    }
    // Computed buffers follow the batch's body: (offset -> bytes).
    const added = new Map<number, Uint8Array>();
    let at = align8(batch.bodyLength);
    const place = (bytes: Uint8Array): void => {
      buffers.push({ offset: at, length: bytes.length });
      if (bytes.length > 0) added.set(at, bytes);
      at = align8(at + bytes.length);
    };
    for (const c of this.computed) {
      const column = c.filter.compute(source, rows, dictionaries, c.code, c.context);
      nodes.push({ length: BigInt(rows), nulls: BigInt(column.nullCount) });
      place(column.validity);
      if (c.code === 12 || c.code === 13) place(column.offsets);
      place(column.values);
    }
    const header = recordBatchHeader(message, recordBatch.length(), nodes, buffers, at);
    return this.output.projectRecordBatch(header, (offset, length) => (offset < batch.bodyLength ? read(offset, length) : added.get(offset) ?? new Uint8Array(0)));
  }
}

/** Reads byte ranges of a body held in chunks: a view when the range lies in one chunk, else a copy. */
function chunkReader(chunks: readonly Uint8Array[]): (offset: number, length: number) => Uint8Array {
  const starts: number[] = [];
  let total = 0;
  for (const chunk of chunks) {
    starts.push(total);
    total += chunk.length;
  }
  return (offset, length) => {
    if (offset < 0 || length < 0 || offset + length > total) throw new FlightError(Code.INTERNAL, `a batch buffer (${offset}+${length}) lies outside its ${total}-byte body`);
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const chunk = chunks[lo]!;
    const from = offset - starts[lo]!;
    if (from + length <= chunk.length) return chunk.subarray(from, from + length);
    const out = new Uint8Array(length);
    let filled = 0;
    for (let k = lo; filled < length; k++) {
      const part = chunks[k]!.subarray(k === lo ? from : 0, Math.min(chunks[k]!.length, (k === lo ? from : 0) + length - filled));
      out.set(part, filled);
      filled += part.length;
    }
    return out;
  };
}
