/**
 * The typed expression IR of a predicate and its binding from a parser AST against a schema, with
 * DataFusion's typing: integer literals are Int64, decimal literals Float64, integer arithmetic
 * keeps the wider operand type and wraps on overflow, int/float comparisons compare as Float64,
 * unquoted identifiers are lower-cased.
 */
import { Code, FlightError } from '../../../client/src/flight/errors.js';
import { describeSchema, type FieldDescription } from '../../../client/src/flight/protocol/schema-compare.js';
import { identifierName, refuse, variant, type Node } from './syntax.js';

/** Integer types, numbered as the native kernel's IntRange. */
export const INT_TYPES = ['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64'] as const;
export type IntName = (typeof INT_TYPES)[number];

/** The value type of an expression. */
export type SqlType =
  | { readonly kind: 'int'; readonly name: IntName }
  | { readonly kind: 'float'; readonly bits: 32 | 64 }
  | { readonly kind: 'bool' }
  | { readonly kind: 'string' }
  /** An instant as Int64 nanoseconds since the epoch (timestamp columns of any unit and time zone). */
  | { readonly kind: 'timestamp' }
  /** Int32 days since the epoch (date32). */
  | { readonly kind: 'date' }
  /** A decimal128 as its unscaled Int64 value. */
  | { readonly kind: 'decimal'; readonly scale: number }
  | { readonly kind: 'null' };

/** How a column is stored, as the kernel reads it (native ColumnType codes). */
export interface ColumnStorage {
  readonly code: number;
  /** Timestamp columns: nanoseconds per stored unit (the kernel scales them to nanoseconds). */
  readonly nanosPerUnit?: bigint;
  /** Timestamp columns with a time zone: its name (timestamp literals compared with them are read in it). */
  readonly timeZone?: string;
  /** Dictionary columns: the index type's code and whether the values are large_utf8. */
  readonly indexCode?: number;
  readonly dictionaryLarge?: boolean;
}

export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
/** `scale`: saturating multiplication, rescaling an integer to a decimal scale. */
export type ArithOp = 'add' | 'sub' | 'mul' | 'div' | 'mod' | 'scale';

/** A bound expression. */
export type Expr =
  | { readonly op: 'column'; readonly type: SqlType; readonly index: number; readonly path: readonly number[]; readonly name: string; readonly storage: ColumnStorage }
  | { readonly op: 'literal'; readonly type: SqlType; readonly value: bigint | number | string | boolean | null }
  | { readonly op: 'compare'; readonly type: SqlType; readonly cmp: CompareOp; readonly left: Expr; readonly right: Expr }
  | { readonly op: 'and' | 'or'; readonly type: SqlType; readonly left: Expr; readonly right: Expr }
  | { readonly op: 'not' | 'is_null' | 'is_not_null' | 'lower' | 'upper' | 'length' | 'negate' | 'to_float' | 'cast_int'; readonly type: SqlType; readonly arg: Expr }
  | { readonly op: 'arith'; readonly type: SqlType; readonly arith: ArithOp; readonly left: Expr; readonly right: Expr }
  | { readonly op: 'like'; readonly type: SqlType; readonly arg: Expr; readonly pattern: string; readonly caseInsensitive: boolean }
  | { readonly op: 'starts_with'; readonly type: SqlType; readonly left: Expr; readonly right: Expr }
  | { readonly op: 'split_hash'; readonly type: SqlType; readonly arg: Expr; readonly seed: bigint };

/** A column of the dataset, as predicates see it: a top-level field, or a field of structs ("meta.lang"). */
export interface BindColumn {
  readonly name: string;
  /** The top-level field's index. */
  readonly index: number;
  /** Child indices from the top-level field down to this one (empty for a top-level field). */
  readonly path: readonly number[];
  readonly type: SqlType | undefined;
  readonly storage: ColumnStorage | undefined;
  /** The Arrow type, named in errors about columns filters cannot read. */
  readonly arrowType: string;
}

const BOOL: SqlType = { kind: 'bool' };
const STRING: SqlType = { kind: 'string' };
const INT64: SqlType = { kind: 'int', name: 'int64' };
const FLOAT64: SqlType = { kind: 'float', bits: 64 };
const FLOAT32: SqlType = { kind: 'float', bits: 32 };
const MAX_IN_LIST = 10_000;
const NANOS_PER_UNIT: Record<string, bigint> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n };
const NANOS_PER_DAY = 86_400_000_000_000n;
const TIMESTAMP: SqlType = { kind: 'timestamp' };
const DATE: SqlType = { kind: 'date' };

/** Days since the epoch of a 'YYYY-MM-DD' date, or undefined when it is not one. */
function parseDate(text: string): bigint | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const back = new Date(ms);
  if (back.getUTCMonth() !== Number(m[2]) - 1 || back.getUTCDate() !== Number(m[3])) return undefined;
  return BigInt(ms / 86_400_000);
}

/** The offset from UTC, in nanoseconds, of time zone `zone` (IANA name or ±HH:MM) at the instant `utcNanos`. */
function zoneOffset(zone: string, utcNanos: bigint): bigint {
  const fixed = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (fixed) return (fixed[1] === '-' ? -1n : 1n) * BigInt(Number(fixed[2]) * 3600 + Number(fixed[3]) * 60) * 1_000_000_000n;
  const ms = Number(utcNanos / 1_000_000n);
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(ms));
  const part = (type: string): number => Number(parts.find((p) => p.type === type)!.value);
  const local = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return BigInt(local - (ms - (((ms % 1000) + 1000) % 1000))) * 1_000_000n;
}

/** The UTC instant at which the wall clock of `zone` reads `localNanos` (the later offset where it is ambiguous). */
function zonedToUtc(localNanos: bigint, zone: string): bigint {
  const first = localNanos - zoneOffset(zone, localNanos);
  return localNanos - zoneOffset(zone, first);
}

/** Nanoseconds since the epoch of 'YYYY-MM-DD[( |T)HH:MM[:SS[.fraction]]][Z|±HH[:MM]]' (no offset: UTC), or undefined. */
function parseTimestamp(text: string): bigint | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(text.trim());
  if (!m) return undefined;
  const days = parseDate(m[1]!);
  const [h, min, sec] = [Number(m[2] ?? 0), Number(m[3] ?? 0), Number(m[4] ?? 0)];
  if (days === undefined || h > 23 || min > 59 || sec > 59) return undefined;
  let nanos = days * NANOS_PER_DAY + BigInt((h * 3600 + min * 60 + sec) * 1e9) + BigInt((m[5] ?? '').padEnd(9, '0') || '0');
  const zone = m[6];
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1n : 1n;
    const digits = zone.slice(1).replace(':', '');
    nanos -= sign * BigInt(Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2) || 0) * 60) * 1_000_000_000n;
  }
  return nanos;
}

/** Struct fields are reachable this many levels down. */
const MAX_STRUCT_DEPTH = 8;

/** The columns of a Schema message, with the types filters read: top-level fields, then the fields of structs by dotted path. */
export function bindColumns(schemaHeader: Uint8Array): BindColumn[] {
  const out: BindColumn[] = [];
  const visit = (field: FieldDescription, name: string, index: number, path: readonly number[]): void => {
    out.push({ ...columnType(field), name, index, path });
    if (field.base !== 'struct' || path.length >= MAX_STRUCT_DEPTH) return;
    field.children.forEach((child, k) => visit(child, `${name}.${child.name}`, index, [...path, k]));
  };
  describeSchema(schemaHeader).forEach((field, index) => visit(field, field.name, index, []));
  return out;
}

/** The type and storage a filter reads a field with (undefined for types it does not read). */
function columnType(field: FieldDescription): Pick<BindColumn, 'type' | 'storage' | 'arrowType'> {
  const base = field.base;
  const intIndex = INT_TYPES.indexOf(base as IntName);
  const dictionary = /^dictionary<values=(utf8|large_utf8), indices=(u?int\d+)(, ordered)?>$/.exec(base);
  const timestamp = /^timestamp\[(s|ms|us|ns)(, tz=.*)?\]$/.exec(base);
  const decimal = /^decimal128\(\d+, (\d+)\)$/.exec(base);
  let type: SqlType | undefined;
  let storage: ColumnStorage | undefined;
  if (intIndex >= 0) [type, storage] = [{ kind: 'int', name: INT_TYPES[intIndex]! }, { code: intIndex + 1 }];
  else if (base === 'float32' || base === 'float64') [type, storage] = [{ kind: 'float', bits: base === 'float32' ? 32 : 64 }, { code: base === 'float32' ? 9 : 10 }];
  else if (base === 'bool') [type, storage] = [BOOL, { code: 11 }];
  else if (base === 'utf8' || base === 'large_utf8') [type, storage] = [STRING, { code: base === 'utf8' ? 12 : 13 }];
  else if (base === 'date32') [type, storage] = [{ kind: 'date' }, { code: 3 }];
  else if (decimal) [type, storage] = [{ kind: 'decimal', scale: Number(decimal[1]) }, { code: 15 }];
  else if (timestamp) {
    type = { kind: 'timestamp' };
    storage = { code: 4, nanosPerUnit: NANOS_PER_UNIT[timestamp[1]!]!, ...(timestamp[2] ? { timeZone: timestamp[2].slice(', tz='.length) } : {}) };
  } else if (dictionary) {
    type = STRING;
    storage = { code: 14, indexCode: INT_TYPES.indexOf(dictionary[2] as IntName) + 1, dictionaryLarge: dictionary[1] === 'large_utf8' };
  }
  return { type, storage, arrowType: field.type };
}

/** The type name an error message uses. */
export function typeName(type: SqlType): string {
  if (type.kind === 'int') return type.name;
  if (type.kind === 'float') return `float${type.bits}`;
  if (type.kind === 'decimal') return `decimal128(scale ${type.scale})`;
  return { string: 'utf8', bool: 'boolean', timestamp: 'timestamp', date: 'date32', null: 'null' }[type.kind];
}

/** Binds parser AST nodes of one query against its dataset's columns. */
export class Binder {
  private budget = 100_000;

  constructor(
    private readonly columns: readonly BindColumn[],
    private readonly shift: number,
  ) {}

  /** Binds a WHERE predicate: a boolean expression. */
  predicate(node: Node): Expr {
    const expr = this.bind(node);
    if (expr.type.kind === 'null') return { op: 'literal', type: BOOL, value: null };
    if (expr.type.kind !== 'bool') throw refuse(Code.INVALID_ARGUMENT, `the predicate is of type ${typeName(expr.type)}, not boolean`, node, this.shift);
    return expr;
  }

  /** Binds a select-list expression: a value of any type. */
  value(node: Node): Expr {
    return this.bind(node);
  }

  private fail(code: Code, what: string, node: Node): FlightError {
    return refuse(code, what, node, this.shift);
  }

  private bind(node: Node): Expr {
    if (this.budget-- <= 0) throw new FlightError(Code.INVALID_ARGUMENT, 'the predicate is too large');
    const [kind, payload] = variant(node);
    const p = payload as Record<string, unknown>;
    switch (kind) {
      case 'Identifier':
        return this.column(identifierName(payload), node);
      case 'Nested':
        return this.bind(payload);
      case 'Value':
        return this.literal(p.value, node);
      case 'UnaryOp':
        return this.unary(p.op as string, p.expr, node);
      case 'BinaryOp':
        return this.binary(p.op as string, p.left, p.right, node);
      case 'IsNull':
      case 'IsNotNull': {
        const arg = this.bind(payload);
        return { op: kind === 'IsNull' ? 'is_null' : 'is_not_null', type: BOOL, arg };
      }
      case 'IsTrue':
      case 'IsNotTrue':
      case 'IsFalse':
      case 'IsNotFalse': {
        // Never NULL: x IS TRUE is (x IS NOT NULL AND x), x IS FALSE is (x IS NOT NULL AND NOT x).
        const arg = this.asBool(this.bind(payload));
        const known: Expr = { op: 'is_not_null', type: BOOL, arg };
        const is: Expr = { op: 'and', type: BOOL, left: known, right: kind.endsWith('True') ? arg : { op: 'not', type: BOOL, arg } };
        return kind.startsWith('IsNot') ? { op: 'not', type: BOOL, arg: is } : is;
      }
      case 'IsUnknown':
      case 'IsNotUnknown':
        return { op: kind === 'IsUnknown' ? 'is_null' : 'is_not_null', type: BOOL, arg: this.asBool(this.bind(payload)) };
      case 'InList':
        return this.inList(p as { expr: Node; list: Node[]; negated: boolean }, node);
      case 'Between': {
        const b = p as { expr: Node; low: Node; high: Node; negated: boolean };
        const between = this.logic('and', this.compare('ge', b.expr, b.low, node), this.compare('le', b.expr, b.high, node));
        return b.negated ? this.not(between, node) : between;
      }
      case 'Like':
      case 'ILike':
        return this.like(p as { expr: Node; pattern: Node; negated: boolean; escape_char?: unknown; any?: boolean }, kind === 'ILike', node);
      case 'Cast':
        return this.cast(p as { kind: string; expr: Node; data_type: unknown; format?: unknown }, node);
      case 'Function':
        return this.call(p, node);
      case 'TypedString':
        return this.typedString(p as { data_type: unknown; value: { value: unknown } }, node);
      case 'CompoundIdentifier':
        // struct.field (.field ...): a field of a struct column.
        return this.column((payload as unknown[]).map(identifierName).join('.'), node);
      case 'Subquery':
      case 'InSubquery':
      case 'Exists':
        throw this.fail(Code.UNIMPLEMENTED, 'subqueries are not supported', node);
      default:
        throw this.fail(Code.UNIMPLEMENTED, `${kind} expressions are not supported`, node);
    }
  }

  private column(name: string, node: Node): Expr {
    const column = this.columns.find((c) => c.name === name);
    if (!column) {
      const names = this.columns.filter((c) => c.path.length === 0).map((c) => c.name);
      throw this.fail(Code.INVALID_ARGUMENT, `unknown column "${name}" (columns: ${names.join(', ')})`, node);
    }
    if (!column.type || !column.storage) throw this.fail(Code.UNIMPLEMENTED, `column "${name}" of type ${column.arrowType} cannot be used in a predicate`, node);
    if (column.path.length > 0 && column.storage.code === 14) throw this.fail(Code.UNIMPLEMENTED, `dictionary-encoded struct field "${name}" cannot be used in a predicate`, node);
    const expr: Expr = { op: 'column', type: column.type, index: column.index, path: column.path, name, storage: column.storage };
    const scale = column.storage.nanosPerUnit;
    // Timestamps compare as nanosecond instants (wrapping outside 1677-2262, the Timestamp(ns) range).
    if (scale === undefined || scale === 1n) return expr;
    return { op: 'arith', type: TIMESTAMP, arith: 'mul', left: { ...expr, type: INT64 }, right: { op: 'literal', type: INT64, value: scale } };
  }

  private literal(value: unknown, node: Node): Expr {
    const [kind, payload] = variant(value);
    switch (kind) {
      case 'Number': {
        const text = String((payload as unknown[])[0]);
        if (/^\d+$/.test(text)) {
          const n = BigInt(text);
          if (n > 0x7fffffffffffffffn) throw this.fail(Code.INVALID_ARGUMENT, `integer literal ${text} is out of the Int64 range`, node);
          return { op: 'literal', type: INT64, value: n };
        }
        const f = Number(text);
        if (!Number.isFinite(f)) throw this.fail(Code.INVALID_ARGUMENT, `number literal ${text} is out of range`, node);
        return { op: 'literal', type: FLOAT64, value: f };
      }
      case 'SingleQuotedString':
        return { op: 'literal', type: STRING, value: payload as string };
      case 'Boolean':
        return { op: 'literal', type: BOOL, value: payload as boolean };
      case 'Null':
        return { op: 'literal', type: { kind: 'null' }, value: null };
      default:
        throw this.fail(Code.UNIMPLEMENTED, `${kind} literals are not supported`, node);
    }
  }

  /** DATE '...' and TIMESTAMP '...' literals. */
  private typedString(p: { data_type: unknown; value: { value: unknown } }, node: Node): Expr {
    const target = typeof p.data_type === 'string' ? p.data_type : Object.keys(p.data_type as object)[0] ?? '?';
    const [kind, text] = variant(p.value.value);
    if (kind !== 'SingleQuotedString' || typeof text !== 'string') throw this.fail(Code.INVALID_ARGUMENT, `${target} needs a quoted string`, node);
    if (target === 'Date') {
      const days = parseDate(text);
      if (days === undefined) throw this.fail(Code.INVALID_ARGUMENT, `invalid DATE '${text}' (expected YYYY-MM-DD)`, node);
      return { op: 'literal', type: DATE, value: days };
    }
    if (target === 'Timestamp') {
      const nanos = parseTimestamp(text);
      if (nanos === undefined) throw this.fail(Code.INVALID_ARGUMENT, `invalid TIMESTAMP '${text}' (expected YYYY-MM-DD HH:MM:SS[.fraction][±HH:MM])`, node);
      return { op: 'literal', type: TIMESTAMP, value: nanos };
    }
    throw this.fail(Code.UNIMPLEMENTED, `${target} literals are not supported`, node);
  }

  private unary(op: string, arg: Node, node: Node): Expr {
    if (op === 'Not') return this.not(this.bind(arg), node);
    if (op === 'Plus') return this.numeric(this.bind(arg), node);
    if (op !== 'Minus') throw this.fail(Code.UNIMPLEMENTED, `unary operator ${op} is not supported`, node);
    // -9223372036854775808 is a literal, not the negation of an out-of-range one.
    const [kind, payload] = variant(arg);
    if (kind === 'Value') {
      const [valueKind, number] = variant((payload as { value: unknown }).value);
      if (valueKind === 'Number' && /^\d+$/.test(String((number as unknown[])[0]))) {
        const n = -BigInt(String((number as unknown[])[0]));
        if (n < -0x8000000000000000n) throw this.fail(Code.INVALID_ARGUMENT, `integer literal ${n} is out of the Int64 range`, node);
        return { op: 'literal', type: INT64, value: n };
      }
    }
    const expr = this.numeric(this.bind(arg), node);
    if (expr.op === 'literal' && expr.type.kind === 'float') return { op: 'literal', type: FLOAT64, value: -(expr.value as number) };
    if (expr.type.kind === 'null') return expr;
    if (expr.type.kind === 'int' && expr.type.name.startsWith('u')) throw this.fail(Code.INVALID_ARGUMENT, `unary minus needs a signed number, got ${expr.type.name}`, node);
    return { op: 'negate', type: expr.type, arg: expr };
  }

  private numeric(expr: Expr, node: Node): Expr {
    if (expr.type.kind === 'decimal') throw this.fail(Code.UNIMPLEMENTED, 'arithmetic on decimals is not supported (comparisons are)', node);
    if (expr.type.kind !== 'int' && expr.type.kind !== 'float' && expr.type.kind !== 'null') {
      throw this.fail(Code.INVALID_ARGUMENT, `expected a number, got ${typeName(expr.type)}`, node);
    }
    return expr;
  }

  private not(arg: Expr, node: Node): Expr {
    if (arg.type.kind === 'null') return { op: 'literal', type: BOOL, value: null };
    if (arg.type.kind !== 'bool') throw this.fail(Code.INVALID_ARGUMENT, `NOT needs a boolean, got ${typeName(arg.type)}`, node);
    return { op: 'not', type: BOOL, arg };
  }

  private logic(op: 'and' | 'or', left: Expr, right: Expr): Expr {
    return { op, type: BOOL, left: this.asBool(left), right: this.asBool(right) };
  }

  private asBool(expr: Expr): Expr {
    if (expr.type.kind === 'null') return { op: 'literal', type: BOOL, value: null };
    if (expr.type.kind !== 'bool') throw new FlightError(Code.INVALID_ARGUMENT, `AND/OR need booleans, got ${typeName(expr.type)}`);
    return expr;
  }

  private binary(op: string, leftNode: Node, rightNode: Node, node: Node): Expr {
    const compare: Record<string, CompareOp> = { Eq: 'eq', NotEq: 'ne', Lt: 'lt', LtEq: 'le', Gt: 'gt', GtEq: 'ge' };
    const arith: Record<string, ArithOp> = { Plus: 'add', Minus: 'sub', Multiply: 'mul', Divide: 'div', Modulo: 'mod' };
    if (compare[op]) return this.compare(compare[op]!, leftNode, rightNode, node);
    if (op === 'And' || op === 'Or') {
      const left = this.bind(leftNode);
      const right = this.bind(rightNode);
      for (const [side, sideNode] of [[left, leftNode], [right, rightNode]] as const) {
        if (side.type.kind !== 'bool' && side.type.kind !== 'null') throw this.fail(Code.INVALID_ARGUMENT, `${op.toUpperCase()} needs booleans, got ${typeName(side.type)}`, sideNode);
      }
      return this.logic(op === 'And' ? 'and' : 'or', left, right);
    }
    if (arith[op]) return this.arith(arith[op]!, this.bind(leftNode), this.bind(rightNode), node);
    throw this.fail(Code.UNIMPLEMENTED, `operator ${op} is not supported`, node);
  }

  /** Brings two operands to one comparable type (DataFusion's comparison coercion, for the types here). */
  /** `expr` brought to the temporal type it is compared with: a string literal parsed, a date as a timestamp. */
  private temporal(expr: Expr, other: SqlType, node: Node): Expr {
    if (other.kind !== 'timestamp' && other.kind !== 'date') return expr;
    if (expr.op === 'literal' && expr.type.kind === 'string') {
      const text = expr.value as string;
      const value = other.kind === 'date' ? parseDate(text) : parseTimestamp(text);
      if (value === undefined) throw this.fail(Code.INVALID_ARGUMENT, `cannot read '${text}' as a ${typeName(other)}`, node);
      return { op: 'literal', type: other, value };
    }
    if (expr.type.kind === 'date' && other.kind === 'timestamp') {
      if (expr.op === 'literal') return { op: 'literal', type: TIMESTAMP, value: (expr.value as bigint) * NANOS_PER_DAY };
      return { op: 'arith', type: TIMESTAMP, arith: 'mul', left: { ...expr, type: INT64 }, right: { op: 'literal', type: INT64, value: NANOS_PER_DAY } };
    }
    return expr;
  }

  /**
   * A timestamp literal compared with a timestamp column, as DataFusion casts it to the column's type:
   * its UTC wall-clock reading (an offset in the text is applied first) read in the column's time
   * zone, then truncated to the column's unit (TIMESTAMP '...00.000000001' equals a microsecond
   * column's 00.000000).
   */
  private static toColumnUnit(literal: Expr, column: Expr): Expr {
    if (literal.op !== 'literal' || literal.type.kind !== 'timestamp' || literal.value === null) return literal;
    const stored = column.op === 'arith' && column.left.op === 'column' ? column.left : column.op === 'column' ? column : undefined;
    if (!stored || stored.op !== 'column' || stored.storage.nanosPerUnit === undefined) return literal;
    const zone = stored.storage.timeZone;
    const instant = zone ? zonedToUtc(literal.value as bigint, zone) : (literal.value as bigint);
    const scale = stored.storage.nanosPerUnit;
    return { ...literal, value: (instant / scale) * scale };
  }

  /**
   * Decimals compared as DataFusion coerces them: with decimals and integers exactly, as unscaled
   * values at the larger scale; with floats as Float64 (the unscaled value divided by 10^scale).
   */
  private decimals(left: Expr, right: Expr, what: string, node: Node): [Expr, Expr] {
    const scaleOf = (e: Expr): number => (e.type.kind === 'decimal' ? e.type.scale : 0);
    const kinds = [left.type.kind, right.type.kind];
    if (kinds.includes('float')) {
      const toFloat = (e: Expr): Expr => {
        if (e.type.kind !== 'decimal') return e;
        const asFloat: Expr = { op: 'to_float', type: FLOAT64, arg: { ...e, type: INT64 } };
        return { op: 'arith', type: FLOAT64, arith: 'div', left: asFloat, right: { op: 'literal', type: FLOAT64, value: 10 ** e.type.scale } };
      };
      return [toFloat(left), toFloat(right)];
    }
    if (!kinds.every((k) => k === 'decimal' || k === 'int')) throw this.fail(Code.INVALID_ARGUMENT, `cannot ${what} ${typeName(left.type)} and ${typeName(right.type)}`, node);
    const scale = Math.max(scaleOf(left), scaleOf(right));
    const rescale = (e: Expr): Expr => {
      const factor = 10n ** BigInt(scale - scaleOf(e));
      const type: SqlType = { kind: 'decimal', scale };
      if (e.op === 'literal' && typeof e.value === 'bigint') {
        const value = e.value * factor;
        if (value > 0x7fffffffffffffffn || value < -0x8000000000000000n) throw this.fail(Code.UNIMPLEMENTED, `${e.value} at decimal scale ${scale} is beyond the Int64 range filters compare in`, node);
        return { op: 'literal', type, value };
      }
      if (factor === 1n) return { ...e, type } as Expr;
      return { op: 'arith', type, arith: 'scale', left: { ...e, type: INT64 } as Expr, right: { op: 'literal', type: INT64, value: factor } };
    };
    return [rescale(left), rescale(right)];
  }

  private unify(left: Expr, right: Expr, what: string, node: Node): [Expr, Expr] {
    if (left.type.kind === 'null' && right.type.kind === 'null') return [left, right];
    if (left.type.kind === 'null') return [{ op: 'literal', type: right.type, value: null }, right];
    if (right.type.kind === 'null') return [left, { op: 'literal', type: left.type, value: null }];
    [left, right] = [this.temporal(left, right.type, node), this.temporal(right, left.type, node)];
    [left, right] = [Binder.toColumnUnit(left, right), Binder.toColumnUnit(right, left)];
    if (left.type.kind === 'decimal' || right.type.kind === 'decimal') [left, right] = this.decimals(left, right, what, node);
    const l = left.type.kind;
    const r = right.type.kind;
    if (l === r) {
      // Kernels compare all integers as Int64 and all floats as Float64: exact for every value here.
      return [left, right];
    }
    if ((l === 'int' && r === 'float') || (l === 'float' && r === 'int')) {
      const toFloat = (e: Expr): Expr => (e.type.kind === 'int' ? (e.op === 'literal' ? { op: 'literal', type: FLOAT64, value: Number(e.value) } : { op: 'to_float', type: FLOAT64, arg: e }) : e);
      return [toFloat(left), toFloat(right)];
    }
    throw this.fail(Code.INVALID_ARGUMENT, `cannot ${what} ${typeName(left.type)} and ${typeName(right.type)}`, node);
  }

  private compare(cmp: CompareOp, leftNode: Node, rightNode: Node, node: Node): Expr {
    const [left, right] = this.unify(this.bind(leftNode), this.bind(rightNode), 'compare', node);
    if (left.type.kind === 'null') return { op: 'literal', type: BOOL, value: null };
    return { op: 'compare', type: BOOL, cmp, left, right };
  }

  private inList(p: { expr: Node; list: Node[]; negated: boolean }, node: Node): Expr {
    if (p.list.length === 0) throw this.fail(Code.INVALID_ARGUMENT, 'IN needs at least one value', node);
    if (p.list.length > MAX_IN_LIST) throw this.fail(Code.INVALID_ARGUMENT, `IN lists at most ${MAX_IN_LIST} values`, node);
    let out: Expr | undefined;
    for (const item of p.list) {
      const eq = this.compare('eq', p.expr, item, node);
      out = out ? this.logic('or', out, eq) : eq;
    }
    return p.negated ? this.not(out!, node) : out!;
  }

  /** The result type of integer arithmetic: DataFusion's numeric coercion of the two operand types. */
  private static intResult(a: IntName, b: IntName): IntName {
    const bits = (t: IntName): number => Number(t.replace(/^u?int/, ''));
    const signed = (t: IntName): boolean => t.startsWith('int');
    if (signed(a) === signed(b)) return bits(a) >= bits(b) ? a : b;
    const [u, s] = signed(a) ? [b, a] : [a, b];
    const need = Math.max(bits(s), Math.min(bits(u) * 2, 64));
    return `int${need}` as IntName;
  }

  private arith(op: ArithOp, leftIn: Expr, rightIn: Expr, node: Node): Expr {
    this.numeric(leftIn, node);
    this.numeric(rightIn, node);
    // DataFusion: float32 with an integer is float32 arithmetic (the integer cast to float32 first).
    const isFloat32 = (e: Expr): boolean => e.type.kind === 'float' && e.type.bits === 32;
    const toFloat32 = (e: Expr): Expr => {
      if (e.type.kind !== 'int') return e;
      return e.op === 'literal' ? { op: 'literal', type: FLOAT32, value: e.value === null ? null : Math.fround(Number(e.value)) } : { op: 'to_float', type: FLOAT32, arg: e };
    };
    if (isFloat32(leftIn) || isFloat32(rightIn)) [leftIn, rightIn] = [toFloat32(leftIn), toFloat32(rightIn)];
    const [left, right] = this.unify(leftIn, rightIn, 'do arithmetic on', node);
    if (left.type.kind === 'null') return { op: 'literal', type: INT64, value: null };
    if (left.type.kind === 'int' && right.type.kind === 'int') {
      const names = [left.type.name, right.type.name];
      if (names.includes('uint64') && names.some((n) => n.startsWith('int'))) {
        throw this.fail(Code.UNIMPLEMENTED, 'arithmetic of uint64 with a signed integer (Decimal128 in DataFusion) is not supported', node);
      }
      return { op: 'arith', type: { kind: 'int', name: Binder.intResult(left.type.name, right.type.name) }, arith: op, left, right };
    }
    const bits = left.type.kind === 'float' && right.type.kind === 'float' && left.type.bits === 32 && right.type.bits === 32 ? 32 : 64;
    return { op: 'arith', type: { kind: 'float', bits }, arith: op, left, right };
  }

  private like(p: { expr: Node; pattern: Node; negated: boolean; escape_char?: unknown; any?: boolean }, caseInsensitive: boolean, node: Node): Expr {
    if (p.escape_char !== undefined && p.escape_char !== null) throw this.fail(Code.UNIMPLEMENTED, 'LIKE ... ESCAPE is not supported (the escape character is \\)', node);
    if (p.any) throw this.fail(Code.UNIMPLEMENTED, 'LIKE ANY is not supported', node);
    const arg = this.bind(p.expr);
    const pattern = this.bind(p.pattern);
    if (arg.type.kind !== 'string' && arg.type.kind !== 'null') throw this.fail(Code.INVALID_ARGUMENT, `LIKE needs a string, got ${typeName(arg.type)}`, node);
    if (pattern.op !== 'literal' || (pattern.type.kind !== 'string' && pattern.type.kind !== 'null')) {
      throw this.fail(Code.UNIMPLEMENTED, 'a LIKE pattern must be a string literal', p.pattern);
    }
    if (arg.type.kind === 'null' || pattern.value === null) return { op: 'literal', type: BOOL, value: null };
    const like: Expr = { op: 'like', type: BOOL, arg, pattern: pattern.value as string, caseInsensitive };
    return p.negated ? this.not(like, node) : like;
  }

  private cast(p: { kind: string; expr: Node; data_type: unknown; format?: unknown }, node: Node): Expr {
    if (p.kind !== 'Cast' && p.kind !== 'DoubleColon') throw this.fail(Code.UNIMPLEMENTED, `${p.kind} is not supported (use CAST)`, node);
    const target = typeof p.data_type === 'string' ? p.data_type : Object.keys(p.data_type as object)[0] ?? '?';
    const arg = this.bind(p.expr);
    const ints: Record<string, IntName> = {
      TinyInt: 'int8', SmallInt: 'int16', Int: 'int32', Integer: 'int32', BigInt: 'int64', Int8: 'int64', Int64: 'int64', Int32: 'int32', Int16: 'int16', Int4: 'int32', Int2: 'int16',
      TinyIntUnsigned: 'uint8', SmallIntUnsigned: 'uint16', IntUnsigned: 'uint32', IntegerUnsigned: 'uint32', BigIntUnsigned: 'uint64', UInt8: 'uint8', UInt16: 'uint16', UInt32: 'uint32', UInt64: 'uint64',
    };
    if (arg.type.kind === 'null') return { op: 'literal', type: { kind: 'null' }, value: null };
    if (ints[target]) {
      if (arg.type.kind !== 'int' && arg.type.kind !== 'float') throw this.fail(Code.UNIMPLEMENTED, `CAST of ${typeName(arg.type)} to an integer is not supported`, node);
      return { op: 'cast_int', type: { kind: 'int', name: ints[target]! }, arg };
    }
    if (['Double', 'DoublePrecision', 'Float64', 'Float8', 'Float', 'Real', 'Float4', 'Float32'].includes(target)) {
      if (arg.type.kind !== 'int' && arg.type.kind !== 'float') throw this.fail(Code.UNIMPLEMENTED, `CAST of ${typeName(arg.type)} to a float is not supported`, node);
      const bits = ['Float', 'Real', 'Float4', 'Float32'].includes(target) ? 32 : 64;
      return { op: 'to_float', type: { kind: 'float', bits }, arg };
    }
    if (['Varchar', 'Text', 'String', 'CharVarying', 'CharacterVarying'].includes(target)) {
      if (arg.type.kind !== 'string') throw this.fail(Code.UNIMPLEMENTED, `CAST of ${typeName(arg.type)} to a string is not supported`, node);
      return arg;
    }
    throw this.fail(Code.UNIMPLEMENTED, `CAST to ${target} is not supported`, node);
  }

  private call(p: Record<string, unknown>, node: Node): Expr {
    const nameParts = p.name as unknown[];
    const name = nameParts.map((part) => identifierName(variant(part)[1])).join('.');
    if (p.over) throw this.fail(Code.UNIMPLEMENTED, `window function ${name} is not supported`, node);
    const [argsKind, argsPayload] = variant(p.args);
    const list = argsKind === 'List' ? (argsPayload as { args: Node[]; duplicate_treatment?: unknown; clauses: unknown[] }) : undefined;
    const aggregates = ['count', 'sum', 'avg', 'min', 'max', 'mean', 'median', 'stddev', 'variance', 'array_agg', 'string_agg', 'first_value', 'last_value', 'row_number', 'rank'];
    if (aggregates.includes(name)) throw this.fail(Code.UNIMPLEMENTED, `aggregate function ${name} is not supported`, node);
    if (!list || (list.clauses && list.clauses.length > 0) || list.duplicate_treatment || p.filter || (Array.isArray(p.within_group) && p.within_group.length > 0)) {
      throw this.fail(Code.UNIMPLEMENTED, `this form of calling ${name} is not supported`, node);
    }
    const args = list.args.map((arg) => {
      const [kind, value] = variant(arg);
      const [exprKind, expr] = variant(value);
      if (kind !== 'Unnamed' || exprKind !== 'Expr') throw this.fail(Code.UNIMPLEMENTED, `named or wildcard arguments to ${name} are not supported`, node);
      return this.bind(expr);
    });
    const arity = (n: number): void => {
      if (args.length !== n) throw this.fail(Code.INVALID_ARGUMENT, `${name} takes ${n} argument${n === 1 ? '' : 's'}, got ${args.length}`, node);
    };
    const strings = (): void => {
      for (const arg of args) if (arg.type.kind !== 'string' && arg.type.kind !== 'null') throw this.fail(Code.INVALID_ARGUMENT, `${name} needs strings, got ${typeName(arg.type)}`, node);
    };
    switch (name) {
      case 'lower':
      case 'upper':
        arity(1);
        strings();
        return args[0]!.type.kind === 'null' ? { op: 'literal', type: STRING, value: null } : { op: name, type: STRING, arg: args[0]! };
      case 'length':
      case 'char_length':
      case 'character_length': {
        arity(1);
        strings();
        // DataFusion: Int32 for utf8, Int64 for large_utf8.
        const arg = args[0]!;
        const large = arg.op === 'column' && (arg.storage.code === 13 || arg.storage.dictionaryLarge === true);
        const type: SqlType = { kind: 'int', name: large ? 'int64' : 'int32' };
        return arg.type.kind === 'null' ? { op: 'literal', type, value: null } : { op: 'length', type, arg };
      }
      case 'starts_with':
        arity(2);
        strings();
        if (args.some((a) => a.type.kind === 'null')) return { op: 'literal', type: BOOL, value: null };
        return { op: 'starts_with', type: BOOL, left: args[0]!, right: args[1]! };
      case 'split_hash': {
        // split_hash(key [, seed]): a fraction in [0, 1) of the key's value alone (README, "Queries").
        if (args.length !== 1 && args.length !== 2) throw this.fail(Code.INVALID_ARGUMENT, `split_hash takes a key and an optional seed, got ${args.length} arguments`, node);
        const [key, seed] = args as [Expr, Expr | undefined];
        if (key.type.kind !== 'int' && key.type.kind !== 'string' && key.type.kind !== 'null') throw this.fail(Code.INVALID_ARGUMENT, `split_hash needs an integer or string key, got ${typeName(key.type)}`, node);
        if (seed && (seed.op !== 'literal' || typeof seed.value !== 'bigint')) throw this.fail(Code.INVALID_ARGUMENT, 'the split_hash seed must be an integer literal', node);
        if (key.type.kind === 'null') return { op: 'literal', type: FLOAT64, value: null };
        return { op: 'split_hash', type: FLOAT64, arg: key, seed: seed ? (seed as { value: bigint }).value : 0n };
      }
      default:
        throw this.fail(Code.INVALID_ARGUMENT, `unknown function ${name}`, node);
    }
  }
}
