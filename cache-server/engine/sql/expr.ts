/**
 * The typed expression IR of a predicate and its binding from a parser AST against a schema, with
 * DataFusion's typing: integer literals are Int64, decimal literals Float64, integer arithmetic
 * keeps the wider operand type and wraps on overflow, int/float comparisons compare as Float64,
 * unquoted identifiers are lower-cased.
 */
import { Code, FlightError } from '../../../client/src/flight/errors.js';
import { describeSchema } from '../../../client/src/flight/protocol/schema-compare.js';
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
  | { readonly kind: 'null' };

/** How a column is stored, as the kernel reads it (native ColumnType codes). */
export interface ColumnStorage {
  readonly code: number;
  /** Dictionary columns: the index type's code and whether the values are large_utf8. */
  readonly indexCode?: number;
  readonly dictionaryLarge?: boolean;
}

export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
export type ArithOp = 'add' | 'sub' | 'mul' | 'div' | 'mod';

/** A bound expression. */
export type Expr =
  | { readonly op: 'column'; readonly type: SqlType; readonly index: number; readonly name: string; readonly storage: ColumnStorage }
  | { readonly op: 'literal'; readonly type: SqlType; readonly value: bigint | number | string | boolean | null }
  | { readonly op: 'compare'; readonly type: SqlType; readonly cmp: CompareOp; readonly left: Expr; readonly right: Expr }
  | { readonly op: 'and' | 'or'; readonly type: SqlType; readonly left: Expr; readonly right: Expr }
  | { readonly op: 'not' | 'is_null' | 'is_not_null' | 'lower' | 'upper' | 'length' | 'negate' | 'to_float' | 'cast_int'; readonly type: SqlType; readonly arg: Expr }
  | { readonly op: 'arith'; readonly type: SqlType; readonly arith: ArithOp; readonly left: Expr; readonly right: Expr }
  | { readonly op: 'like'; readonly type: SqlType; readonly arg: Expr; readonly pattern: string; readonly caseInsensitive: boolean }
  | { readonly op: 'starts_with'; readonly type: SqlType; readonly left: Expr; readonly right: Expr }
  | { readonly op: 'split_hash'; readonly type: SqlType; readonly arg: Expr; readonly seed: bigint };

/** A column of the dataset, as predicates see it. */
export interface BindColumn {
  readonly name: string;
  readonly type: SqlType | undefined;
  readonly storage: ColumnStorage | undefined;
  /** The Arrow type, named in errors about columns filters cannot read. */
  readonly arrowType: string;
}

const BOOL: SqlType = { kind: 'bool' };
const STRING: SqlType = { kind: 'string' };
const INT64: SqlType = { kind: 'int', name: 'int64' };
const FLOAT64: SqlType = { kind: 'float', bits: 64 };
const MAX_IN_LIST = 10_000;

/** The columns of a Schema message, with the types filters read. */
export function bindColumns(schemaHeader: Uint8Array): BindColumn[] {
  return describeSchema(schemaHeader).map((field) => {
    const base = field.base;
    const intIndex = INT_TYPES.indexOf(base as IntName);
    const dictionary = /^dictionary<values=(utf8|large_utf8), indices=(u?int\d+)(, ordered)?>$/.exec(base);
    let type: SqlType | undefined;
    let storage: ColumnStorage | undefined;
    if (intIndex >= 0) [type, storage] = [{ kind: 'int', name: INT_TYPES[intIndex]! }, { code: intIndex + 1 }];
    else if (base === 'float32' || base === 'float64') [type, storage] = [{ kind: 'float', bits: base === 'float32' ? 32 : 64 }, { code: base === 'float32' ? 9 : 10 }];
    else if (base === 'bool') [type, storage] = [BOOL, { code: 11 }];
    else if (base === 'utf8' || base === 'large_utf8') [type, storage] = [STRING, { code: base === 'utf8' ? 12 : 13 }];
    else if (dictionary) {
      type = STRING;
      storage = { code: 14, indexCode: INT_TYPES.indexOf(dictionary[2] as IntName) + 1, dictionaryLarge: dictionary[1] === 'large_utf8' };
    }
    return { name: field.name, type, storage, arrowType: field.type };
  });
}

/** The type name an error message uses. */
export function typeName(type: SqlType): string {
  return type.kind === 'int' ? type.name : type.kind === 'float' ? `float${type.bits}` : type.kind === 'string' ? 'utf8' : type.kind === 'bool' ? 'boolean' : 'null';
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
      case 'CompoundIdentifier':
        throw this.fail(Code.UNIMPLEMENTED, 'struct field access is not supported yet', node);
      case 'Subquery':
      case 'InSubquery':
      case 'Exists':
        throw this.fail(Code.UNIMPLEMENTED, 'subqueries are not supported', node);
      default:
        throw this.fail(Code.UNIMPLEMENTED, `${kind} expressions are not supported`, node);
    }
  }

  private column(name: string, node: Node): Expr {
    const index = this.columns.findIndex((c) => c.name === name);
    if (index < 0) {
      throw this.fail(Code.INVALID_ARGUMENT, `unknown column "${name}" (columns: ${this.columns.map((c) => c.name).join(', ')})`, node);
    }
    const column = this.columns[index]!;
    if (!column.type || !column.storage) throw this.fail(Code.UNIMPLEMENTED, `column "${name}" of type ${column.arrowType} cannot be used in a predicate`, node);
    return { op: 'column', type: column.type, index, name, storage: column.storage };
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
  private unify(left: Expr, right: Expr, what: string, node: Node): [Expr, Expr] {
    if (left.type.kind === 'null' && right.type.kind === 'null') return [left, right];
    if (left.type.kind === 'null') return [{ op: 'literal', type: right.type, value: null }, right];
    if (right.type.kind === 'null') return [left, { op: 'literal', type: left.type, value: null }];
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
