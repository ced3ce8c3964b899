/**
 * Pruning an Iceberg scan by a `load --filter` predicate: a data file (or a whole manifest) is
 * skipped when what its metadata says of its columns shows the predicate cannot be TRUE on any of
 * its rows. What the metadata says, per column:
 * - its partition value through the spec's transform: identity, year, month, day, hour and
 *   truncate give the range of source values (a truncated string: the strings with that prefix);
 *   bucket[N] gives the bucket, checked against `=`/`IN` literals with Iceberg's 32-bit Murmur3;
 * - its value bounds (`lower_bounds`/`upper_bounds`, Iceberg's single-value serialization) and null
 *   and value counts;
 * - for a manifest, the lower and upper partition values of its files.
 * Checked are comparisons of a top-level int, long, date, timestamp or string column with a literal,
 * IS [NOT] NULL, IN, BETWEEN, AND, OR and NOT (pushed down by SQL's three-valued logic). Everything
 * else may be TRUE. Floats, decimals and nested columns are never pruned on. Pruning only skips files
 * the filter would empty, so a pruned load equals an unpruned one.
 */
import type { Expr } from '../engine/sql/expr.js';
import type { PartitionField } from './iceberg-metadata.js';
import type { IcebergField } from './iceberg-types.js';

/** A column value in the predicate's domain: integers, days (date), nanoseconds (timestamp), text. */
type Value = bigint | string;

/** What one piece of metadata says of a column's values in a file or manifest. */
interface Facts {
  lower?: Value;
  upper?: Value;
  /** The upper bound is a prefix: every value starts with it (a truncated string partition). */
  upperIsPrefix?: boolean;
  /** bucket[count] of every non-null value is `value`. */
  bucket?: { readonly count: number; readonly value: number; readonly type: string };
  noNulls?: boolean;
  allNull?: boolean;
}

/** Facts by source field id; several facts of one column all hold. */
export type ColumnFacts = Map<number, Facts[]>;

/** The field types the domain covers (Iceberg type -> how its values read). */
const PRUNED_TYPES = new Set(['int', 'long', 'date', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns', 'string']);
const NANOS_PER_MICRO = 1000n;
const NANOS_PER_HOUR = 3_600_000_000_000n;
const MS_PER_DAY = 86_400_000;

/** Nanoseconds per stored unit of a timestamp type. */
const unitNanos = (type: string): bigint => (type.endsWith('_ns') ? 1n : NANOS_PER_MICRO);
const isTimestamp = (type: string): boolean => type.startsWith('timestamp');

/** A stored value (an Avro partition value, a bound's decoding) in the predicate's domain. */
function domainValue(value: unknown, type: string): Value | undefined {
  if (type === 'string') return typeof value === 'string' ? value : undefined;
  if (typeof value !== 'number' && typeof value !== 'bigint') return undefined;
  const integer = BigInt(value);
  return isTimestamp(type) ? integer * unitNanos(type) : integer;
}

/** A value bound (Iceberg single-value serialization) of a column of `type`; a boolean as 0n or 1n. */
export function boundValue(bytes: Uint8Array, type: string): Value | undefined {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (type === 'string') return buffer.toString('utf8');
  if (type === 'boolean') return BigInt(buffer[0] ?? 0);
  // An int column promoted to long keeps 4-byte bounds in older files.
  if (buffer.length === 4) return domainValue(buffer.readInt32LE(), type);
  if (buffer.length === 8) return domainValue(buffer.readBigInt64LE(), type);
  return undefined;
}

/** Compares two domain values (strings in UTF-8 byte order, as the kernels do). */
function order(a: Value, b: Value): number {
  if (typeof a === 'string' || typeof b === 'string') return Buffer.compare(Buffer.from(String(a)), Buffer.from(String(b)));
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The range of source values whose `transform` is the partition value `p` (undefined: no range). */
function transformRange(transform: string, p: unknown, type: string): Facts | undefined {
  if (p === null || p === undefined) return { allNull: true };
  const facts: Facts = { noNulls: true };
  const n = typeof p === 'number' || typeof p === 'bigint' ? Number(p) : NaN;
  const temporal = (startMs: (k: number) => number): Facts | undefined => {
    if (!Number.isInteger(n)) return undefined;
    const [start, end] = [startMs(n), startMs(n + 1)];
    if (type === 'date') return { ...facts, lower: BigInt(start / MS_PER_DAY), upper: BigInt(end / MS_PER_DAY) - 1n };
    if (isTimestamp(type)) return { ...facts, lower: BigInt(start) * 1_000_000n, upper: BigInt(end) * 1_000_000n - 1n };
    return undefined;
  };
  if (transform === 'identity') {
    const v = domainValue(p, type);
    return v === undefined ? facts : { ...facts, lower: v, upper: v };
  }
  if (transform === 'year') return temporal((k) => Date.UTC(1970 + k, 0, 1));
  if (transform === 'month') return temporal((k) => Date.UTC(1970, k, 1));
  if (transform === 'day') return temporal((k) => k * MS_PER_DAY);
  if (transform === 'hour' && isTimestamp(type) && Number.isInteger(n)) return { ...facts, lower: BigInt(n) * NANOS_PER_HOUR, upper: BigInt(n + 1) * NANOS_PER_HOUR - 1n };
  const truncate = /^truncate\[(\d+)\]$/.exec(transform);
  if (truncate) {
    const width = Number(truncate[1]);
    if (type === 'string' && typeof p === 'string') return [...p].length < width ? { ...facts, lower: p, upper: p } : { ...facts, lower: p, upper: p, upperIsPrefix: true };
    if ((type === 'int' || type === 'long') && Number.isInteger(n)) return { ...facts, lower: BigInt(p as number), upper: BigInt(p as number) + BigInt(width) - 1n };
    return facts;
  }
  const bucket = /^bucket\[(\d+)\]$/.exec(transform);
  if (bucket && Number.isInteger(n)) return { ...facts, bucket: { count: Number(bucket[1]), value: n, type } };
  return facts;
}

/** Iceberg's 32-bit Murmur3 (x86, seed 0) of `bytes`. */
export function murmur3(bytes: Uint8Array): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = 0;
  const blocks = bytes.length >>> 2;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const mix = (k: number): number => Math.imul(((k = Math.imul(k, c1)) << 15) | (k >>> 17), c2);
  for (let i = 0; i < blocks; i++) {
    h ^= mix(view.getUint32(i * 4, true));
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = blocks * 4;
  const rest = bytes.length & 3;
  if (rest > 0) {
    let k = 0;
    for (let i = rest - 1; i >= 0; i--) k = (k << 8) | bytes[tail + i]!;
    h ^= mix(k);
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** The bucket of a literal in the domain, as Iceberg's bucket[count] transform gives it; undefined when not computable. */
function bucketOf(value: Value, type: string, count: number): number | undefined {
  let bytes: Uint8Array;
  if (type === 'string') bytes = Buffer.from(value as string, 'utf8');
  else {
    let long = value as bigint;
    if (isTimestamp(type)) {
      // Iceberg buckets timestamps by their microseconds.
      if (long % NANOS_PER_MICRO !== 0n) return undefined;
      long /= NANOS_PER_MICRO;
    }
    bytes = Buffer.alloc(8);
    Buffer.from(bytes.buffer).writeBigInt64LE(BigInt.asIntN(64, long));
  }
  return (murmur3(bytes) & 0x7fffffff) % count;
}

type Op = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
const FLIPPED: Record<Op, Op> = { eq: 'eq', ne: 'ne', lt: 'gt', le: 'ge', gt: 'lt', ge: 'le' };
const NEGATED: Record<Op, Op> = { eq: 'ne', ne: 'eq', lt: 'ge', le: 'gt', gt: 'le', ge: 'lt' };

/** True when some non-null value the facts allow can satisfy `value op v`. */
function mayCompare(facts: Facts, op: Op, v: Value): boolean {
  if (facts.allNull) return false;
  const { lower, upper } = facts;
  // Some allowed value is above v (strictly when `strict`): the upper bound, or any value with the prefix.
  const above = (strict: boolean): boolean => {
    if (upper === undefined) return true;
    const c = order(upper, v);
    if (facts.upperIsPrefix && typeof v === 'string' && v.startsWith(upper as string)) return true;
    return strict ? c > 0 : c >= 0;
  };
  const below = (strict: boolean): boolean => lower === undefined || (strict ? order(lower, v) < 0 : order(lower, v) <= 0);
  switch (op) {
    case 'eq': {
      const bucket = facts.bucket && bucketOf(v, facts.bucket.type, facts.bucket.count);
      if (bucket !== undefined && bucket !== facts.bucket!.value) return false;
      return below(false) && above(false);
    }
    case 'ne':
      return !(lower !== undefined && upper !== undefined && !facts.upperIsPrefix && order(lower, v) === 0 && order(upper, v) === 0);
    case 'lt':
      return below(true);
    case 'le':
      return below(false);
    case 'gt':
      return above(true);
    case 'ge':
      return above(false);
  }
}

/** A top-level column of a prunable type, by its field (a timestamp column as the binder reads it: its stored units times nanoseconds per unit). */
function prunableColumn(e: Expr, fields: readonly IcebergField[]): IcebergField | undefined {
  if (e.op === 'arith' && e.arith === 'mul' && e.left.op === 'column' && e.right.op === 'literal' && e.right.value === e.left.storage.nanosPerUnit) e = e.left;
  if (e.op !== 'column' || e.path.length !== 0) return undefined;
  const field = fields[e.index];
  return field && typeof field.type === 'string' && PRUNED_TYPES.has(field.type) && field.name === e.name ? field : undefined;
}

/** The literal's value in the domain, or null for NULL, or undefined when it is not one the domain reads. */
function literalValue(e: Expr, type: string): Value | null | undefined {
  if (e.op !== 'literal') return undefined;
  if (e.value === null) return null;
  if (type === 'string') return typeof e.value === 'string' ? e.value : undefined;
  return typeof e.value === 'bigint' ? e.value : undefined;
}

/** Decides, from a file's or manifest's column facts, whether a bound predicate may be TRUE on some row. */
export class IcebergPruner {
  constructor(
    private readonly predicate: Expr,
    /** The top-level fields, in the order the predicate's column indices count them. */
    private readonly fields: readonly IcebergField[],
  ) {}

  /** False only when no row described by `facts` can make the predicate TRUE. */
  mayMatch(facts: ColumnFacts): boolean {
    return this.may(this.predicate, true, facts);
  }

  /** May `e` be TRUE (`want`) or FALSE (`!want`) on some row? */
  private may(e: Expr, want: boolean, facts: ColumnFacts): boolean {
    switch (e.op) {
      case 'and':
        return want ? this.may(e.left, true, facts) && this.may(e.right, true, facts) : this.may(e.left, false, facts) || this.may(e.right, false, facts);
      case 'or':
        return want ? this.may(e.left, true, facts) || this.may(e.right, true, facts) : this.may(e.left, false, facts) && this.may(e.right, false, facts);
      case 'not':
        return this.may(e.arg, !want, facts);
      case 'literal':
        return e.value === null ? false : e.value === want || typeof e.value !== 'boolean';
      case 'is_null':
      case 'is_not_null': {
        const field = prunableColumn(e.arg, this.fields);
        if (!field) return true;
        const nullWanted = (e.op === 'is_null') === want;
        const known = facts.get(field.id) ?? [];
        return nullWanted ? !known.some((f) => f.noNulls) : !known.some((f) => f.allNull);
      }
      case 'compare': {
        let [column, literal, op] = [e.left, e.right, e.cmp as Op];
        if (column.op === 'literal') [column, literal, op] = [e.right, e.left, FLIPPED[op]];
        const field = prunableColumn(column, this.fields);
        if (!field) return true;
        const v = literalValue(literal, field.type as string);
        if (v === null) return false;
        if (v === undefined) return true;
        const wanted = want ? op : NEGATED[op];
        return (facts.get(field.id) ?? []).every((f) => mayCompare(f, wanted, v));
      }
      default:
        return true;
    }
  }
}

/** The fields of a schema by id (top level). */
const byId = (fields: readonly IcebergField[]): Map<number, IcebergField> => new Map(fields.map((f) => [f.id, f]));

function add(facts: ColumnFacts, id: number, fact: Facts | undefined): void {
  if (fact) facts.set(id, [...(facts.get(id) ?? []), fact]);
}

/** The column facts of a data file: its partition tuple through `spec`, and its bounds and counts. */
export function fileFacts(file: Record<string, unknown>, spec: readonly PartitionField[], fields: readonly IcebergField[]): ColumnFacts {
  const facts: ColumnFacts = new Map();
  const types = byId(fields);
  const partition = (file.partition ?? {}) as Record<string, unknown>;
  for (const p of spec) {
    const type = types.get(p['source-id'])?.type;
    if (typeof type === 'string' && PRUNED_TYPES.has(type) && p.name in partition) add(facts, p['source-id'], transformRange(p.transform, partition[p.name], type));
  }
  const entries = (name: string): Map<number, unknown> => new Map(((file[name] ?? []) as Array<{ key: number; value: unknown }>).map((e) => [Number(e.key), e.value]));
  const [lowers, uppers, nulls, values] = [entries('lower_bounds'), entries('upper_bounds'), entries('null_value_counts'), entries('value_counts')];
  for (const [id, field] of types) {
    if (typeof field.type !== 'string' || !PRUNED_TYPES.has(field.type)) continue;
    const fact: Facts = {};
    const lower = lowers.get(id);
    const upper = uppers.get(id);
    if (lower instanceof Uint8Array) fact.lower = boundValue(lower, field.type);
    if (upper instanceof Uint8Array) fact.upper = boundValue(upper, field.type);
    const nullCount = nulls.get(id);
    const valueCount = values.get(id);
    if (nullCount !== undefined && Number(nullCount) === 0) fact.noNulls = true;
    if (nullCount !== undefined && valueCount !== undefined && Number(nullCount) === Number(valueCount) && Number(valueCount) > 0) fact.allNull = true;
    if (Object.keys(fact).length > 0) add(facts, id, fact);
  }
  return facts;
}

/**
 * The column facts of a manifest: the lower and upper partition values of its files (its partition
 * field summaries) through the monotonic transforms of `spec`.
 */
export function manifestFacts(
  summaries: ReadonlyArray<{ contains_null?: boolean; lower_bound?: Uint8Array | null; upper_bound?: Uint8Array | null }>,
  spec: readonly PartitionField[],
  fields: readonly IcebergField[],
): ColumnFacts {
  const facts: ColumnFacts = new Map();
  const types = byId(fields);
  spec.forEach((p, i) => {
    const type = types.get(p['source-id'])?.type;
    const summary = summaries[i];
    if (typeof type !== 'string' || !PRUNED_TYPES.has(type) || !summary) return;
    const [lowerBytes, upperBytes] = [summary.lower_bound, summary.upper_bound];
    if (!lowerBytes || !upperBytes) {
      if (summary.contains_null === true && !lowerBytes && !upperBytes) add(facts, p['source-id'], { allNull: true });
      return;
    }
    // A partition value's own type: the source's for identity and truncate, int for the temporal transforms.
    const valueType = p.transform === 'identity' || p.transform.startsWith('truncate[') ? type : 'int';
    const decode = (bytes: Uint8Array): unknown => {
      const v = boundValue(bytes, valueType);
      return typeof v === 'bigint' ? (isTimestamp(type) && valueType === type ? v / unitNanos(type) : v) : v;
    };
    const low = transformRange(p.transform, decode(lowerBytes), type);
    const high = transformRange(p.transform, decode(upperBytes), type);
    if (!low || !high || low.lower === undefined || high.upper === undefined || low.bucket) return;
    add(facts, p['source-id'], { lower: low.lower, upper: high.upper, ...(high.upperIsPrefix ? { upperIsPrefix: true } : {}), ...(summary.contains_null === false ? { noNulls: true } : {}) });
  });
  return facts;
}
