/**
 * Row take on Arrow IPC record batches, done on the flatbuffer headers and bodies alone: builds a
 * new record batch from chosen rows of stored batches of one schema (row shuffle, re-chunking
 * consecutive batches, the tail of a batch after a resume cursor). Dictionary-encoded columns take
 * their indices only: the dictionaries are sent separately and stay as they are.
 */
import { Field } from 'apache-arrow/fb/field';
import { FieldNode } from 'apache-arrow/fb/field-node';
import { Buffer as FbBuffer } from 'apache-arrow/fb/buffer';
import { MetadataVersion } from 'apache-arrow/fb/metadata-version';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { Schema as FbSchema } from 'apache-arrow/fb/schema';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { messageAccessor, parseMessageHeader } from '../../client/src/flight/protocol/ipc-message.js';
import { recordBatchHeader } from './ipc-batch-header.js';
import type { ProjectedBatch } from './ipc-projection.js';
import { schemaLayout, type SchemaLayout } from './ipc-take-layout.js';
import { Gatherer, TakeOutput, type SourceBatch } from './ipc-take-gather.js';
import { Runs } from './ipc-take-runs.js';

/** One source batch: its flatbuffer Message header (as stored: the bytes parseMessageHeader accepts) and body. */
export interface TakeSource {
  readonly header: Uint8Array;
  readonly body: Uint8Array;
}

/** Rows to take: pairs (source index, row index), in output order. */
export interface RowPicks {
  readonly source: Uint32Array;
  readonly row: Uint32Array;
}

/** A taken record batch: a new header and the body as chunks, each buffer padded to 64 bytes. */
export type TakenBatch = ProjectedBatch;

/** Node lengths stay below 2^32 so that bit and row indices fit the kernels' 32-bit arithmetic. */
const MAX_ROWS = 2 ** 32 - 1;

function invalid(message: string): FlightError {
  return new FlightError(Code.INVALID_ARGUMENT, message);
}

/** A source batch read for taking, with its row count. */
interface ReadSource extends SourceBatch {
  readonly rows: number;
}

/** Builds record batches with chosen rows of batches of one schema. */
export class RowTaker {
  private readonly layout: SchemaLayout;
  private readonly version: MetadataVersion;

  /** schemaHeader: the Schema Message flatbuffer bytes. Throws FlightError UNIMPLEMENTED naming the type for types it cannot take. */
  constructor(schemaHeader: Uint8Array) {
    const info = parseMessageHeader(schemaHeader);
    if (info.kind !== 'schema') throw invalid(`row take needs a Schema message, got a ${info.kind} message`);
    const message = messageAccessor(schemaHeader);
    const schema = message.header(new FbSchema()) as FbSchema;
    const fields: Field[] = [];
    for (let i = 0, n = schema.fieldsLength(); i < n; i++) {
      const field = schema.fields(i);
      if (!field) throw invalid(`invalid schema: field #${i + 1} is missing`);
      fields.push(field);
    }
    this.version = message.version();
    this.layout = schemaLayout(fields, this.version);
  }

  /** A new record batch with the picked rows in order. */
  take(sources: readonly TakeSource[], picks: RowPicks): TakenBatch {
    const count = picks.source.length;
    if (picks.row.length !== count) throw invalid(`row picks have ${count} source indices but ${picks.row.length} row indices`);
    const batches = sources.map((source, i) => this.read(source, i));
    const runs = new Runs(Math.min(Math.max(count, 1), 4096));
    for (let i = 0; i < count; i++) {
      const source = picks.source[i]!;
      const row = picks.row[i]!;
      if (source >= batches.length) throw invalid(`row pick ${i} names source ${source}; there are ${batches.length} sources`);
      if (row >= batches[source]!.rows) throw invalid(`row pick ${i} names row ${row} of source ${source}, which has ${batches[source]!.rows} rows`);
      runs.push(source, row, 1);
    }
    return this.build(batches, runs);
  }

  /** Convenience: rows [from, to) of one batch. */
  slice(source: TakeSource, from: number, to: number): TakenBatch {
    const batch = this.read(source, 0);
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || from > to || to > batch.rows) {
      throw invalid(`row slice [${from}, ${to}) is not inside the batch's ${batch.rows} rows`);
    }
    const runs = new Runs(1);
    runs.push(0, from, to - from);
    return this.build([batch], runs);
  }

  /** Reads a source's header into node and buffer arrays, checked against the schema's layout. */
  private read(source: TakeSource, index: number): ReadSource {
    const info = parseMessageHeader(source.header);
    if (info.kind !== 'record_batch') throw invalid(`row take source ${index} is a ${info.kind} message, not a record batch`);
    if (info.compressed) throw new FlightError(Code.UNIMPLEMENTED, 'row take does not support compressed IPC bodies');
    if (source.body.length < info.bodyLength) {
      throw invalid(`row take source ${index} has a ${source.body.length}-byte body; its header declares ${info.bodyLength}`);
    }
    const batch = messageAccessor(source.header).header(new FbRecordBatch()) as FbRecordBatch;
    const { nodes, buffers } = this.layout;
    if (batch.nodesLength() !== nodes || batch.buffersLength() !== buffers) {
      throw invalid(
        `row take source ${index} has ${batch.nodesLength()} field nodes and ${batch.buffersLength()} buffers; its schema's layout needs ${nodes} and ${buffers}`,
      );
    }
    const nodeLength = new Float64Array(nodes);
    const nodeNulls = new Float64Array(nodes);
    const node = new FieldNode();
    for (let i = 0; i < nodes; i++) {
      batch.nodes(i, node);
      const length = Number(node.length());
      const nulls = Number(node.nullCount());
      if (length < 0 || length > MAX_ROWS) throw new FlightError(Code.UNIMPLEMENTED, `row take source ${index}: field node ${i} has ${length} rows; at most 2^32-1 are supported`);
      // apache-arrow JS writes -1 (not computed) for some sliced arrays; the bitmap then decides.
      if (nulls < -1 || nulls > length) throw invalid(`row take source ${index}: field node ${i} has ${nulls} nulls in ${length} rows`);
      nodeLength[i] = length;
      nodeNulls[i] = nulls;
    }
    const bufferOffset = new Float64Array(buffers);
    const bufferLength = new Float64Array(buffers);
    const buffer = new FbBuffer();
    for (let i = 0; i < buffers; i++) {
      // parseMessageHeader proved every buffer lies inside the body.
      batch.buffers(i, buffer);
      bufferOffset[i] = Number(buffer.offset());
      bufferLength[i] = Number(buffer.length());
    }
    return { body: source.body, rows: info.rows, nodeLength, nodeNulls, bufferOffset, bufferLength };
  }

  /** Gathers the rows of `runs` field by field and writes the RecordBatch header. */
  private build(batches: readonly ReadSource[], runs: Runs): TakenBatch {
    const out = new TakeOutput(this.layout.nodes, this.layout.buffers);
    const gatherer = new Gatherer(batches, out);
    for (const field of this.layout.fields) gatherer.field(field, runs);
    if (out.buffers !== this.layout.buffers) {
      throw new FlightError(Code.INTERNAL, `row take wrote ${out.buffers} buffers; the schema's layout has ${this.layout.buffers}`);
    }
    return { header: recordBatchHeader(this.version, runs.total, out, out.bodyLength), body: out.chunks, bodyLength: out.bodyLength };
  }
}
