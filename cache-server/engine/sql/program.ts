/**
 * Compiles a bound predicate into the native filter kernel's program (native/src/core/filter.h):
 * four int32 per instruction, instruction i writing register i, constants in side tables.
 */
import { INT_TYPES, type Expr, type IntName } from './expr.js';

/** A compiled predicate and the dataset columns its column slots read, in slot order. */
export interface FilterProgram {
  readonly code: Int32Array;
  readonly ints: BigInt64Array;
  readonly floats: Float64Array;
  readonly strings: readonly string[];
  /** The column each slot reads: its top-level field and the child indices down to it. */
  readonly columns: readonly { readonly index: number; readonly path: readonly number[] }[];
}

const enum Op {
  Column = 1,
  Int = 2,
  Float = 3,
  String = 4,
  Bool = 5,
  Null = 6,
  Compare = 7,
  And = 8,
  Or = 9,
  Not = 10,
  IsNull = 11,
  IsNotNull = 12,
  Arith = 13,
  Negate = 14,
  ToFloat = 15,
  CastInt = 16,
  Like = 17,
  Lower = 18,
  Upper = 19,
  Length = 20,
  StartsWith = 21,
  SplitHash = 22,
}

const COMPARE = { eq: 0, ne: 1, lt: 2, le: 3, gt: 4, ge: 5 } as const;
const ARITH = { add: 0, sub: 1, mul: 2, div: 3, mod: 4, scale: 5 } as const;
const KIND = { bool: 0, int: 1, float: 2, string: 3, timestamp: 1, date: 1, decimal: 1, null: 0 } as const;
const FLOAT32_RESULT = 8;

const range = (name: IntName): number => INT_TYPES.indexOf(name);

/** Compiles `predicate` (a boolean expression) into a kernel program. */
export function compileFilter(predicate: Expr): FilterProgram {
  const code: number[] = [];
  const ints: bigint[] = [];
  const floats: number[] = [];
  const strings: string[] = [];
  const columns: { index: number; path: readonly number[] }[] = [];
  const slots = new Map<string, number>();
  // Equal instructions (a column read, a constant, any subexpression written twice, as IN lists
  // do) share one register: the kernel computes each once however often the predicate names it.
  const registers = new Map<string, number>();
  const emit = (op: Op, a = 0, b = 0, c = 0): number => {
    const key = `${op},${a},${b},${c}`;
    const known = registers.get(key);
    if (known !== undefined) return known;
    code.push(op, a, b, c);
    const register = code.length / 4 - 1;
    registers.set(key, register);
    return register;
  };
  // Constants are interned too, so that equal literals emit equal instructions.
  const intern = <T>(table: T[], value: T): number => {
    // Object.is: -0 and 0 differ (1 / -0 is -Infinity), NaN is itself.
    const at = table.findIndex((known) => Object.is(known, value));
    return at >= 0 ? at : table.push(value) - 1;
  };
  const visit = (e: Expr): number => {
    switch (e.op) {
      case 'column': {
        const key = [e.index, ...e.path].join('.');
        let slot = slots.get(key);
        if (slot === undefined) {
          slot = columns.push({ index: e.index, path: e.path }) - 1;
          slots.set(key, slot);
        }
        return emit(Op.Column, slot);
      }
      case 'literal':
        if (e.value === null) return emit(Op.Null, KIND[e.type.kind]);
        if (typeof e.value === 'bigint') return emit(Op.Int, intern(ints, e.value));
        if (typeof e.value === 'number') return emit(Op.Float, intern(floats, e.value));
        if (typeof e.value === 'string') return emit(Op.String, intern(strings, e.value));
        return emit(Op.Bool, e.value ? 1 : 0);
      case 'compare':
        return emit(Op.Compare, visit(e.left), visit(e.right), COMPARE[e.cmp]);
      case 'and':
      case 'or':
        return emit(e.op === 'and' ? Op.And : Op.Or, visit(e.left), visit(e.right));
      case 'not':
        return emit(Op.Not, visit(e.arg));
      case 'is_null':
        return emit(Op.IsNull, visit(e.arg));
      case 'is_not_null':
        return emit(Op.IsNotNull, visit(e.arg));
      case 'arith': {
        const result = e.type.kind === 'int' ? range(e.type.name) : e.type.kind === 'float' && e.type.bits === 32 ? FLOAT32_RESULT : range('int64');
        return emit(Op.Arith, visit(e.left), visit(e.right), ARITH[e.arith] * 16 + result);
      }
      case 'negate':
        return emit(Op.Negate, visit(e.arg), 0, e.type.kind === 'int' ? range(e.type.name) : 0);
      case 'to_float':
        return emit(Op.ToFloat, visit(e.arg), 0, e.type.kind === 'float' && e.type.bits === 32 ? 1 : 0);
      case 'cast_int':
        return emit(Op.CastInt, visit(e.arg), 0, e.type.kind === 'int' ? range(e.type.name) : 3);
      case 'like':
        return emit(Op.Like, visit(e.arg), intern(strings, e.pattern), e.caseInsensitive ? 1 : 0);
      case 'lower':
        return emit(Op.Lower, visit(e.arg));
      case 'upper':
        return emit(Op.Upper, visit(e.arg));
      case 'length':
        return emit(Op.Length, visit(e.arg));
      case 'starts_with':
        return emit(Op.StartsWith, visit(e.left), visit(e.right));
      case 'split_hash':
        return emit(Op.SplitHash, visit(e.arg), intern(ints, e.seed));
    }
  };
  visit(predicate);
  return { code: Int32Array.from(code), ints: BigInt64Array.from(ints), floats: Float64Array.from(floats), strings, columns };
}
