/**
 * The row-take kernels: copy the rows that runs select from the buffers of source record batches
 * into new buffers, field by field in batch order, recursing into children with the rows each
 * child holds for the selected parent rows. Values move as typed-array elements or byte ranges.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { Layout, type FieldLayout } from './ipc-take-layout.js';
import { Runs, copyBits, countZeroBits, setBits } from './ipc-take-runs.js';
import { gatherRuns } from '../../native/lib/addon.js';

/** A source record batch: its body and the FieldNodes and Buffers of its header, as numbers. */
export interface SourceBatch {
  readonly body: Uint8Array;
  readonly nodeLength: Float64Array;
  readonly nodeNulls: Float64Array;
  readonly bufferOffset: Float64Array;
  readonly bufferLength: Float64Array;
}

const EMPTY = new Uint8Array(0);
const MAX_INT32 = 2 ** 31 - 1;
const TWO_32 = 2 ** 32;
/** Buffers are laid out at multiples of 64 bytes, as Arrow C++ writes them. */
const ALIGNMENT = 64;
/** Below this many bytes a run is copied element by element rather than with Uint8Array.set. */
const SET_THRESHOLD = 64;

/** A zeroed buffer of `length` bytes whose allocation is padded to the body alignment. */
function allocate(length: number): Uint8Array {
  return new Uint8Array(Math.ceil(length / ALIGNMENT) * ALIGNMENT);
}

/** An element view of `bytes` for `width`-byte values when aligned for it, else null. */
function elementView(bytes: Uint8Array, width: number): Int32Array | Uint16Array | Uint8Array | null {
  if (width % 4 === 0) {
    return bytes.byteOffset % 4 === 0 ? new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2) : null;
  }
  if (width === 2) return bytes.byteOffset % 2 === 0 ? new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 1) : null;
  return width === 1 ? bytes : null;
}

/** Copies `count` elements; one call site per view type keeps each loop monomorphic (the shuffle's hot path). */
function copyElements(target: Int32Array | Uint16Array | Uint8Array, to: number, source: Int32Array | Uint16Array | Uint8Array, from: number, count: number): void {
  if (target instanceof Int32Array && source instanceof Int32Array) copy32(target, to, source, from, count);
  else if (target instanceof Uint16Array && source instanceof Uint16Array) copy16(target, to, source, from, count);
  else copy8(target as Uint8Array, to, source as Uint8Array, from, count);
}

function copy32(target: Int32Array, to: number, source: Int32Array, from: number, count: number): void {
  for (let i = 0; i < count; i++) target[to + i] = source[from + i]!;
}

function copy16(target: Uint16Array, to: number, source: Uint16Array, from: number, count: number): void {
  for (let i = 0; i < count; i++) target[to + i] = source[from + i]!;
}

function copy8(target: Uint8Array, to: number, source: Uint8Array, from: number, count: number): void {
  for (let i = 0; i < count; i++) target[to + i] = source[from + i]!;
}

function readOffset(view: DataView, index: number, width: number): number {
  if (width === 4) return view.getInt32(index * 4, true);
  const high = view.getInt32(index * 8 + 4, true);
  return high * TWO_32 + view.getUint32(index * 8, true);
}

function writeOffset(view: DataView, index: number, width: number, value: number): void {
  if (width === 4) {
    view.setInt32(index * 4, value, true);
    return;
  }
  const low = value >>> 0;
  view.setUint32(index * 8, low, true);
  view.setUint32(index * 8 + 4, (value - low) / TWO_32, true);
}

/** Node lengths, null counts and buffers of the batch being built, appended in batch order. */
export class TakeOutput {
  readonly nodeLength: Float64Array;
  readonly nodeNulls: Float64Array;
  readonly bufferOffset: Float64Array;
  readonly bufferLength: Float64Array;
  readonly chunks: Uint8Array[] = [];
  buffers = 0;
  bodyLength = 0;

  constructor(nodes: number, buffers: number) {
    this.nodeLength = new Float64Array(nodes);
    this.nodeNulls = new Float64Array(nodes);
    this.bufferOffset = new Float64Array(buffers);
    this.bufferLength = new Float64Array(buffers);
  }

  /** Appends a buffer: the first `length` bytes of `bytes`, whose padded allocation becomes a body chunk. */
  push(bytes: Uint8Array, length: number): void {
    this.bufferOffset[this.buffers] = this.bodyLength;
    this.bufferLength[this.buffers] = length;
    this.buffers++;
    if (length === 0) return;
    this.chunks.push(bytes);
    this.bodyLength += bytes.length;
  }
}

/** Copies the selected rows of every field of `sources` into `out`. */
export class Gatherer {
  constructor(
    private readonly sources: readonly SourceBatch[],
    private readonly out: TakeOutput,
  ) {}

  /** Takes the rows `runs` selects of field `f` and, recursively, of its children. */
  field(f: FieldLayout, runs: Runs): void {
    this.checkRows(f, runs);
    if (f.layout === Layout.Null) {
      this.node(f, runs.total, runs.total);
      return;
    }
    this.node(f, runs.total, f.validity ? this.validity(f, runs) : 0);
    const buffer = f.buffer + (f.validity ? 1 : 0);
    switch (f.layout) {
      case Layout.Bits:
        this.bits(f, runs, buffer);
        return;
      case Layout.Fixed:
        this.fixed(f, runs, buffer, f.width);
        return;
      case Layout.Bytes:
        this.fixed(f, this.offsets(f, runs, buffer), buffer + 1, 1);
        return;
      case Layout.List:
        this.field(f.children[0]!, this.offsets(f, runs, buffer));
        return;
      case Layout.FixedList:
        this.field(f.children[0]!, runs.scaled(f.listSize));
        return;
      case Layout.Struct:
        for (const child of f.children) this.field(child, runs);
        return;
      case Layout.SparseUnion:
        this.fixed(f, runs, buffer, 1);
        for (const child of f.children) this.field(child, runs);
        return;
      case Layout.DenseUnion: {
        const children = this.denseUnion(f, runs, buffer);
        f.children.forEach((child, i) => this.field(child, children[i]!));
        return;
      }
    }
  }

  private node(f: FieldLayout, length: number, nulls: number): void {
    this.out.nodeLength[f.node] = length;
    this.out.nodeNulls[f.node] = nulls;
  }

  private invalid(f: FieldLayout, source: number, message: string): FlightError {
    return new FlightError(Code.INVALID_ARGUMENT, `invalid record batch (source ${source}): field "${f.path}" ${message}`);
  }

  /** Every run must lie inside the field's rows in its source. */
  private checkRows(f: FieldLayout, runs: Runs): void {
    for (let r = 0; r < runs.count; r++) {
      const source = runs.source[r]!;
      const rows = this.sources[source]!.nodeLength[f.node]!;
      if (runs.start[r]! + runs.length[r]! > rows) {
        throw this.invalid(f, source, `has ${rows} rows; rows ${runs.start[r]} to ${runs.start[r]! + runs.length[r]! - 1} were asked for`);
      }
    }
  }

  /** The bytes of buffer `index` of a source, at least `needed` of them, kept in `cache` (one view per source). */
  private buffer(f: FieldLayout, source: number, index: number, needed: number, cache: Uint8Array[]): Uint8Array {
    let bytes = cache[source];
    if (bytes === undefined) {
      const batch = this.sources[source]!;
      const offset = batch.bufferOffset[index]!;
      bytes = cache[source] = batch.body.subarray(offset, offset + batch.bufferLength[index]!);
    }
    if (bytes.length < needed) throw this.invalid(f, source, `has a ${bytes.length}-byte buffer #${index}; its rows need ${needed} bytes`);
    return bytes;
  }

  /** Builds the validity bitmap; returns the exact null count. A bitmap without nulls is sent empty. */
  private validity(f: FieldLayout, runs: Runs): number {
    let nulls = false;
    for (let r = 0; r < runs.count && !nulls; r++) nulls = this.hasBitmap(f, runs.source[r]!);
    if (!nulls) {
      this.out.push(EMPTY, 0);
      return 0;
    }
    const length = Math.ceil(runs.total / 8);
    const bitmap = allocate(length);
    const cache: Uint8Array[] = [];
    for (let r = 0, at = 0; r < runs.count; at += runs.length[r]!, r++) {
      const source = runs.source[r]!;
      const start = runs.start[r]!;
      const n = runs.length[r]!;
      if (!this.hasBitmap(f, source)) setBits(bitmap, at, n);
      else copyBits(bitmap, at, this.buffer(f, source, f.buffer, Math.ceil((start + n) / 8), cache), start, n);
    }
    const count = countZeroBits(bitmap, runs.total);
    this.out.push(bitmap, count === 0 ? 0 : length);
    return count;
  }

  /** Whether a source's rows of `f` may hold nulls: a positive null count, or an unknown one (-1) with a bitmap. */
  private hasBitmap(f: FieldLayout, source: number): boolean {
    const batch = this.sources[source]!;
    const nulls = batch.nodeNulls[f.node]!;
    return nulls > 0 || (nulls < 0 && batch.bufferLength[f.buffer]! > 0);
  }

  private bits(f: FieldLayout, runs: Runs, index: number): void {
    const length = Math.ceil(runs.total / 8);
    const bitmap = allocate(length);
    const cache: Uint8Array[] = [];
    for (let r = 0, at = 0; r < runs.count; at += runs.length[r]!, r++) {
      const start = runs.start[r]!;
      const n = runs.length[r]!;
      copyBits(bitmap, at, this.buffer(f, runs.source[r]!, index, Math.ceil((start + n) / 8), cache), start, n);
    }
    this.out.push(bitmap, length);
  }

  /** Gathers `width`-byte values (short runs element by element through typed views, long ones with set); returns them. */
  private fixed(f: FieldLayout, runs: Runs, index: number, width: number): Uint8Array {
    const length = runs.total * width;
    const bytes = allocate(length);
    const target = elementView(bytes, width);
    const per = width % 4 === 0 ? width / 4 : width === 2 || width === 1 ? 1 : 0;
    const cache: Uint8Array[] = [];
    if (this.gatherOneSource(f, runs, index, width, bytes, cache)) {
      this.out.push(bytes, length);
      return bytes;
    }
    const views: (Int32Array | Uint16Array | Uint8Array | null)[] = [];
    for (let r = 0, at = 0; r < runs.count; at += runs.length[r]!, r++) {
      const source = runs.source[r]!;
      const start = runs.start[r]!;
      const n = runs.length[r]!;
      const values = this.buffer(f, source, index, (start + n) * width, cache);
      let view = views[source];
      if (view === undefined) view = views[source] = elementView(values, width);
      if (n * width >= SET_THRESHOLD || view === null || target === null) {
        bytes.set(values.subarray(start * width, (start + n) * width), at * width);
      } else {
        copyElements(target, at * per, view, start * per, n * per);
      }
    }
    this.out.push(bytes, length);
    return bytes;
  }

  /**
   * The shuffle's fast path: every run from one source, checked and copied by the native gather in
   * one call instead of a JS loop per run. False when the runs span several sources.
   */
  private gatherOneSource(f: FieldLayout, runs: Runs, index: number, width: number, target: Uint8Array, cache: Uint8Array[]): boolean {
    if (runs.count < 2) return false;
    const source = runs.source[0]!;
    let end = 0;
    for (let r = 0; r < runs.count; r++) {
      if (runs.source[r] !== source) return false;
      end = Math.max(end, runs.start[r]! + runs.length[r]!);
    }
    gatherRuns(target, this.buffer(f, source, index, end * width, cache), runs.start, runs.length, runs.count, width);
    return true;
  }

  /** Rebases the offsets of the selected rows; returns the runs of values (or child rows) they cover. */
  private offsets(f: FieldLayout, runs: Runs, index: number): Runs {
    const width = f.offsetWidth;
    const length = (runs.total + 1) * width;
    const bytes = allocate(length);
    const target = new DataView(bytes.buffer);
    const cache: Uint8Array[] = [];
    const views: DataView[] = [];
    const child = new Runs(runs.count);
    let total = 0;
    for (let r = 0, at = 0; r < runs.count; at += runs.length[r]!, r++) {
      const source = runs.source[r]!;
      const start = runs.start[r]!;
      const n = runs.length[r]!;
      let view = views[source];
      if (view === undefined) {
        const buffer = this.buffer(f, source, index, 0, cache);
        view = views[source] = new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
      }
      if (view.byteLength < (start + n + 1) * width) {
        throw this.invalid(f, source, `has a ${view.byteLength}-byte offsets buffer; rows up to ${start + n - 1} need ${(start + n + 1) * width}`);
      }
      const base = readOffset(view, start, width);
      if (base < 0) throw this.invalid(f, source, `has a negative offset ${base} at row ${start}`);
      let previous = base;
      for (let i = 1; i <= n; i++) {
        const offset = readOffset(view, start + i, width);
        if (offset < previous) throw this.invalid(f, source, `has decreasing offsets at row ${start + i - 1}`);
        writeOffset(target, at + i, width, total + offset - base);
        previous = offset;
      }
      if (previous > Number.MAX_SAFE_INTEGER) throw this.invalid(f, source, `has an offset past 2^53 at row ${start + n - 1}`);
      child.push(source, base, previous - base);
      total += previous - base;
      if (width === 4 && total > MAX_INT32) {
        throw new FlightError(Code.INVALID_ARGUMENT, `field "${f.path}": the taken rows hold ${total} values or bytes, more than 32-bit offsets address`);
      }
    }
    this.out.push(bytes, length);
    return child;
  }

  /** Copies type ids, assigns each row the next slot of its child; returns each child's runs. */
  private denseUnion(f: FieldLayout, runs: Runs, index: number): Runs[] {
    const ids = this.fixed(f, runs, index, 1);
    const types = new Int8Array(ids.buffer, ids.byteOffset, ids.length);
    const map = f.childOfTypeId!;
    const length = runs.total * 4;
    const bytes = allocate(length);
    const target = new Int32Array(bytes.buffer);
    const children = f.children.map(() => new Runs());
    const cache: Uint8Array[] = [];
    const views: DataView[] = [];
    for (let r = 0, at = 0; r < runs.count; r++) {
      const source = runs.source[r]!;
      const start = runs.start[r]!;
      const n = runs.length[r]!;
      const buffer = this.buffer(f, source, index + 1, (start + n) * 4, cache);
      let view = views[source];
      if (view === undefined) view = views[source] = new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
      for (let i = 0; i < n; i++, at++) {
        const type = types[at]!;
        const child = type < 0 ? -1 : map[type]!;
        if (child < 0) throw this.invalid(f, source, `has an unknown union type id ${type} at row ${start + i}`);
        const offset = view.getInt32((start + i) * 4, true);
        if (offset < 0) throw this.invalid(f, source, `has a negative union offset ${offset} at row ${start + i}`);
        const runsOfChild = children[child]!;
        target[at] = runsOfChild.total;
        runsOfChild.push(source, offset, 1);
      }
    }
    this.out.push(bytes, length);
    return children;
  }
}
