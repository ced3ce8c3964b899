/**
 * The name DataFusion gives a select-list expression that has no AS alias (its schema name):
 * columns qualified by the table (`t.a`, struct fields `t.s[f]`), literals with their type
 * (`Int64(1)`, `Float64(2.5)`, `Utf8("x")`, `Boolean(true)`, `NULL`), operators written infix
 * without parentheses, CAST by its operand's name alone, unary minus as `(- x)`.
 */
import { Code } from '../../../client/src/flight/errors.js';
import { identifierName, refuse, variant, type Node } from './syntax.js';

const OPERATORS: Record<string, string> = {
  Plus: '+', Minus: '-', Multiply: '*', Divide: '/', Modulo: '%',
  Eq: '=', NotEq: '!=', Lt: '<', LtEq: '<=', Gt: '>', GtEq: '>=', And: 'AND', Or: 'OR',
};

/** A float as Rust's Display writes it: shortest round-trip digits, never an exponent. */
function rustFloat(value: number): string {
  if (Number.isInteger(value)) return BigInt(value).toString();
  const text = String(value);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!m) return text;
  const digits = m[2]! + (m[3] ?? '');
  const exponent = Number(m[4]);
  // Only small magnitudes reach here (integers were handled above): 0.000…digits.
  return `${m[1]}0.${'0'.repeat(-exponent - 1)}${digits}`;
}

/** The literal name of a parser Value node (negated when under a unary minus). */
function literalName(value: unknown, negate: boolean): string | undefined {
  const [kind, payload] = variant(value);
  const sign = negate ? '-' : '';
  if (kind === 'Number') {
    const text = String((payload as unknown[])[0]);
    if (/^\d+$/.test(text)) {
      const n = BigInt(sign + text);
      if (n >= -0x8000000000000000n && n <= 0x7fffffffffffffffn) return `Int64(${n})`;
    }
    return `Float64(${rustFloat(Number(sign + text))})`;
  }
  if (negate) return undefined;
  if (kind === 'SingleQuotedString') return `Utf8(${JSON.stringify(payload)})`;
  if (kind === 'Boolean') return `Boolean(${String(payload)})`;
  if (kind === 'Null') return 'NULL';
  return undefined;
}

/** DataFusion's name of expression `node` over table `table`; INVALID_ARGUMENT asking for an alias where this dialect does not know it. */
export function expressionName(node: Node, table: string, shift: number): string {
  const name = (n: Node): string => {
    const [kind, payload] = variant(n);
    const p = payload as Record<string, unknown>;
    switch (kind) {
      case 'Identifier':
        return `${table}.${identifierName(payload)}`;
      case 'CompoundIdentifier': {
        const [column, ...fields] = (payload as unknown[]).map(identifierName);
        return `${table}.${column}${fields.map((f) => `[${f}]`).join('')}`;
      }
      case 'Nested':
        return name(payload);
      case 'Value': {
        const literal = literalName(p.value, false);
        if (literal !== undefined) return literal;
        break;
      }
      case 'UnaryOp': {
        if (p.op === 'Not') return `NOT ${name(p.expr)}`;
        if (p.op === 'Plus') return name(p.expr);
        if (p.op !== 'Minus') break;
        const [argKind, arg] = variant(p.expr);
        const literal = argKind === 'Value' ? literalName((arg as { value: unknown }).value, true) : undefined;
        return literal ?? `(- ${name(p.expr)})`;
      }
      case 'BinaryOp': {
        const op = OPERATORS[p.op as string];
        if (op !== undefined) return `${name(p.left)} ${op} ${name(p.right)}`;
        break;
      }
      case 'Cast':
        return name(p.expr);
      case 'IsNull':
        return `${name(payload)} IS NULL`;
      case 'IsNotNull':
        return `${name(payload)} IS NOT NULL`;
      case 'Between': {
        const b = p as { expr: Node; low: Node; high: Node; negated: boolean };
        return `${name(b.expr)} ${b.negated ? 'NOT BETWEEN' : 'BETWEEN'} ${name(b.low)} AND ${name(b.high)}`;
      }
      case 'InList': {
        const l = p as { expr: Node; list: Node[]; negated: boolean };
        return `${name(l.expr)} ${l.negated ? 'NOT IN' : 'IN'} ${l.list.map(name).join(', ')}`;
      }
      case 'Like':
      case 'ILike': {
        const l = p as { expr: Node; pattern: Node; negated: boolean };
        return `${name(l.expr)} ${l.negated ? 'NOT ' : ''}${kind === 'Like' ? 'LIKE' : 'ILIKE'} ${name(l.pattern)}`;
      }
      case 'Function': {
        const [argsKind, list] = variant(p.args);
        if (argsKind !== 'List') break;
        const fn = (p.name as unknown[]).map((part) => identifierName(variant(part)[1])).join('.');
        const args = (list as { args: Node[] }).args.map((arg) => name(variant(variant(arg)[1])[1]));
        // DataFusion joins function arguments with a bare comma.
        return `${fn}(${args.join(',')})`;
      }
      default:
        break;
    }
    throw refuse(Code.INVALID_ARGUMENT, `${kind} in the select list needs a name: add AS <alias>`, n, shift);
  };
  return name(node);
}
