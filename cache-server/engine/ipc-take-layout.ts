/**
 * The buffer layout of every field of a schema, as the row-take kernel needs it: how each field's
 * rows are laid out (fixed width, bits, offsets, children) and which FieldNode and Buffers it
 * occupies in a record batch. Read from the Schema flatbuffer alone, without apache-arrow types.
 */
import { Field } from 'apache-arrow/fb/field';
import { Type } from 'apache-arrow/fb/type';
import { Int } from 'apache-arrow/fb/int';
import { FloatingPoint } from 'apache-arrow/fb/floating-point';
import { Precision } from 'apache-arrow/fb/precision';
import { Decimal } from 'apache-arrow/fb/decimal';
import { Date as FbDate } from 'apache-arrow/fb/date';
import { DateUnit } from 'apache-arrow/fb/date-unit';
import { Time } from 'apache-arrow/fb/time';
import { Interval } from 'apache-arrow/fb/interval';
import { IntervalUnit } from 'apache-arrow/fb/interval-unit';
import { FixedSizeBinary } from 'apache-arrow/fb/fixed-size-binary';
import { FixedSizeList } from 'apache-arrow/fb/fixed-size-list';
import { Union } from 'apache-arrow/fb/union';
import { UnionMode } from 'apache-arrow/fb/union-mode';
import { MetadataVersion } from 'apache-arrow/fb/metadata-version';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { invalidField, typeTable } from './ipc-field-copy.js';

/** How a field's values are laid out in its buffers. */
export const enum Layout {
  /** No buffers; every row is null. */
  Null,
  /** One bit per row (bool). */
  Bits,
  /** `width` bytes per row (numbers, temporal types, decimals, fixed-size binary, dictionary indices). */
  Fixed,
  /** Offsets of `offsetWidth` bytes into a byte buffer (utf8, binary and their large variants). */
  Bytes,
  /** Offsets of `offsetWidth` bytes into one child (list, large list, map). */
  List,
  /** `listSize` child rows per row. */
  FixedList,
  /** Children with the rows of the parent. */
  Struct,
  /** Type ids; children with the rows of the parent. */
  SparseUnion,
  /** Type ids and int32 offsets into the child each type id names. */
  DenseUnion,
}

/** One field of the schema, with where its FieldNode and first Buffer sit in a record batch. */
export interface FieldLayout {
  readonly path: string;
  readonly layout: Layout;
  /** Whether the field's first buffer is a validity bitmap. */
  readonly validity: boolean;
  /** Bytes per row for Fixed; 1 for union type ids. */
  readonly width: number;
  /** Bytes per offset (4 or 8) for Bytes and List. */
  readonly offsetWidth: number;
  readonly listSize: number;
  /** For unions: child index of each type id (-1 where none), indexed by type id (0..127). */
  readonly childOfTypeId: Int8Array | null;
  readonly node: number;
  readonly buffer: number;
  readonly children: readonly FieldLayout[];
}

/** The layout of a whole schema: its top-level fields and the node and buffer counts of a batch. */
export interface SchemaLayout {
  readonly fields: readonly FieldLayout[];
  readonly nodes: number;
  readonly buffers: number;
}

const MAX_DEPTH = 64;

function unsupported(path: string, what: string): FlightError {
  return new FlightError(Code.UNIMPLEMENTED, `row take does not support field "${path}" of type ${what}`);
}

/** Bytes per row of a fixed-width type; 0 for types that are not fixed width. */
function fixedWidth(field: Field, path: string): number {
  switch (field.typeType()) {
    case Type.Int:
    case Type.Time:
    case Type.Decimal: {
      const type = field.typeType();
      const bits =
        type === Type.Int ? typeTable(field, new Int(), path).bitWidth()
        : type === Type.Time ? typeTable(field, new Time(), path).bitWidth()
        : typeTable(field, new Decimal(), path).bitWidth();
      if (bits <= 0 || bits % 8 !== 0) throw invalidField(path, `has a ${Type[type]} bit width of ${bits}`);
      return bits / 8;
    }
    case Type.FloatingPoint: {
      const precision = typeTable(field, new FloatingPoint(), path).precision();
      return precision === Precision.HALF ? 2 : precision === Precision.SINGLE ? 4 : 8;
    }
    case Type.Date:
      return typeTable(field, new FbDate(), path).unit() === DateUnit.DAY ? 4 : 8;
    case Type.Timestamp:
    case Type.Duration:
      return 8;
    case Type.Interval: {
      const unit = typeTable(field, new Interval(), path).unit();
      return unit === IntervalUnit.YEAR_MONTH ? 4 : unit === IntervalUnit.DAY_TIME ? 8 : 16;
    }
    case Type.FixedSizeBinary: {
      const width = typeTable(field, new FixedSizeBinary(), path).byteWidth();
      if (width < 0) throw invalidField(path, `has a fixed-size binary width of ${width}`);
      return width;
    }
    default:
      return 0;
  }
}

/** Child index of each type id of a union, checked against its children. */
function unionChildren(union: Union, children: number, path: string): Int8Array {
  const map = new Int8Array(128).fill(-1);
  const declared = union.typeIdsLength();
  if (declared !== 0 && declared !== children) throw invalidField(path, `declares ${declared} type ids for ${children} children`);
  for (let child = 0; child < children; child++) {
    const id = declared === 0 ? child : union.typeIds(child) ?? -1;
    if (id < 0 || id > 127 || map[id] !== -1) throw invalidField(path, `has an invalid or repeated union type id ${id}`);
    map[id] = child;
  }
  return map;
}

/** Builds layouts in batch order (a field before its children), counting nodes and buffers. */
class LayoutWalker {
  nodes = 0;
  buffers = 0;

  constructor(private readonly version: MetadataVersion) {}

  field(field: Field, path: string, depth: number): FieldLayout {
    if (depth > MAX_DEPTH) throw invalidField(path, `is nested deeper than ${MAX_DEPTH} levels`);
    const node = this.nodes++;
    const buffer = this.buffers;
    const base = { path, node, buffer, width: 0, offsetWidth: 0, listSize: 0, childOfTypeId: null, children: [] as FieldLayout[] };
    const dictionary = field.dictionary();
    if (dictionary) {
      // Record batches carry only the indices; the values travel in dictionary batches.
      const bits = dictionary.indexType()?.bitWidth() ?? 32;
      if (bits <= 0 || bits % 8 !== 0) throw invalidField(path, `has a dictionary index bit width of ${bits}`);
      this.buffers += 2;
      return { ...base, layout: Layout.Fixed, validity: true, width: bits / 8 };
    }
    const type = field.typeType();
    const width = fixedWidth(field, path);
    switch (type) {
      case Type.Null:
        return { ...base, layout: Layout.Null, validity: false };
      case Type.Bool:
        this.buffers += 2;
        return { ...base, layout: Layout.Bits, validity: true };
      case Type.Utf8:
      case Type.Binary:
      case Type.LargeUtf8:
      case Type.LargeBinary: {
        this.buffers += 3;
        const large = type === Type.LargeUtf8 || type === Type.LargeBinary;
        return { ...base, layout: Layout.Bytes, validity: true, offsetWidth: large ? 8 : 4 };
      }
      case Type.List:
      case Type.LargeList:
      case Type.Map:
        this.buffers += 2;
        return { ...base, layout: Layout.List, validity: true, offsetWidth: type === Type.LargeList ? 8 : 4, children: this.children(field, path, depth, 1) };
      case Type.FixedSizeList: {
        this.buffers += 1;
        const listSize = typeTable(field, new FixedSizeList(), path).listSize();
        if (listSize < 0) throw invalidField(path, `has a fixed-size list size of ${listSize}`);
        return { ...base, layout: Layout.FixedList, validity: true, listSize, children: this.children(field, path, depth, 1) };
      }
      case Type.Struct_:
        this.buffers += 1;
        return { ...base, layout: Layout.Struct, validity: true, children: this.children(field, path, depth, -1) };
      case Type.Union: {
        const union = typeTable(field, new Union(), path);
        const dense = union.mode() === UnionMode.Dense;
        // V5 dropped the validity bitmap of unions; V4 writers still send one.
        const validity = this.version < MetadataVersion.V5;
        this.buffers += (validity ? 1 : 0) + (dense ? 2 : 1);
        const children = this.children(field, path, depth, -1);
        const childOfTypeId = unionChildren(union, children.length, path);
        return { ...base, layout: dense ? Layout.DenseUnion : Layout.SparseUnion, validity, width: 1, childOfTypeId, children };
      }
      default:
        if (width === 0 && type !== Type.FixedSizeBinary) throw unsupported(path, Type[type] ?? String(type));
        this.buffers += 2;
        return { ...base, layout: Layout.Fixed, validity: true, width };
    }
  }

  /** The children of a field; `expected` is their required count, or -1 for any. */
  private children(field: Field, path: string, depth: number, expected: number): FieldLayout[] {
    const n = field.childrenLength();
    if (expected >= 0 && n !== expected) throw invalidField(path, `has ${n} children, its type needs ${expected}`);
    const out: FieldLayout[] = [];
    for (let i = 0; i < n; i++) {
      const child = field.children(i);
      if (!child) throw invalidField(path, `is missing child #${i + 1}`);
      out.push(this.field(child, `${path}.${child.name() ?? ''}`, depth + 1));
    }
    return out;
  }
}

/** The layout of the given top-level fields; UNIMPLEMENTED naming the first type the kernel cannot take. */
export function schemaLayout(fields: readonly Field[], version: MetadataVersion): SchemaLayout {
  const walker = new LayoutWalker(version);
  const layouts = fields.map((field) => walker.field(field, field.name() ?? '', 0));
  return { fields: layouts, nodes: walker.nodes, buffers: walker.buffers };
}
