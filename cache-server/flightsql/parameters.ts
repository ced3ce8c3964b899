/**
 * Prepared-statement parameters: finds the `?` or `$N` placeholders of a query outside string
 * literals, quoted identifiers and comments, and substitutes the bound values as SQL literals of
 * their Arrow type. A value can never end its literal early (quotes are doubled), so bound strings
 * cannot change the statement's shape: the SQL core plans the substituted text like any other.
 */
import { Type, type DataType, type RecordBatch } from 'apache-arrow';
import { Code, FlightError } from '../../client/src/flight/errors.js';

/** A placeholder's place in the query text. */
interface Placeholder {
  readonly start: number;
  readonly end: number;
  /** 0-based parameter index. */
  readonly index: number;
}

const invalid = (message: string): FlightError => new FlightError(Code.INVALID_ARGUMENT, message);

/** The placeholders of `sql`: all `?` (numbered in order) or all `$N` (1-based), never both. */
export function findPlaceholders(sql: string): Placeholder[] {
  const found: Placeholder[] = [];
  let positional = 0;
  let numbered = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"') i = skipQuoted(sql, i, c);
    else if (c === '-' && sql[i + 1] === '-') i = lineEnd(sql, i);
    else if (c === '/' && sql[i + 1] === '*') i = commentEnd(sql, i);
    else if (c === '?') {
      found.push({ start: i, end: i + 1, index: positional++ });
      i++;
    } else if (c === '$' && /[0-9]/.test(sql[i + 1] ?? '')) {
      let end = i + 1;
      while (end < sql.length && /[0-9]/.test(sql[end]!)) end++;
      const number = Number(sql.slice(i + 1, end));
      if (number < 1) throw invalid(`placeholder $${sql.slice(i + 1, end)} at offset ${i}: numbered placeholders start at $1`);
      found.push({ start: i, end, index: number - 1 });
      numbered++;
      i = end;
    } else i++;
  }
  if (positional > 0 && numbered > 0) throw invalid('the query mixes ? and $N placeholders: use one style');
  return found;
}

/** The index after a quoted string or identifier starting at `i` (a doubled quote stays inside it). */
function skipQuoted(sql: string, i: number, quote: string): number {
  let j = i + 1;
  for (;;) {
    if (j >= sql.length) return j;
    if (sql[j] === quote) {
      if (sql[j + 1] === quote) j += 2;
      else return j + 1;
    } else j++;
  }
}

function lineEnd(sql: string, i: number): number {
  const end = sql.indexOf('\n', i);
  return end < 0 ? sql.length : end + 1;
}

function commentEnd(sql: string, i: number): number {
  const end = sql.indexOf('*/', i + 2);
  return end < 0 ? sql.length : end + 2;
}

/** How many parameters `sql` takes. */
export function parameterCount(sql: string): number {
  return findPlaceholders(sql).reduce((max, p) => Math.max(max, p.index + 1), 0);
}

/** Renders one bound value of Arrow type `type` as a SQL literal of that type. */
export function sqlLiteral(value: unknown, type: DataType, what: string): string {
  if (value === null || value === undefined) return 'NULL';
  switch (type.typeId) {
    case Type.Bool:
      return value ? 'TRUE' : 'FALSE';
    case Type.Int:
      return String(value);
    case Type.Float: {
      const x = value as number;
      if (Number.isNaN(x)) return "CAST('NaN' AS DOUBLE)";
      if (!Number.isFinite(x)) return x > 0 ? "CAST('Infinity' AS DOUBLE)" : "CAST('-Infinity' AS DOUBLE)";
      // An exponent keeps an integral value a float literal (1e0, not 1).
      return x.toExponential();
    }
    case Type.Utf8:
    case Type.LargeUtf8:
      return `'${(value as string).replace(/'/g, "''")}'`;
    case Type.Date:
      return `DATE '${new Date(value as number).toISOString().slice(0, 10)}'`;
    default:
      throw new FlightError(
        Code.UNIMPLEMENTED,
        `${what} has Arrow type ${String(type)}, which a parameter cannot bind: bind booleans, integers, floats, strings or dates`,
      );
  }
}

/** The literals of the single parameter row of `batches` (one per column, in order). */
export function parameterLiterals(batches: readonly RecordBatch[]): string[] {
  const rows = batches.reduce((sum, b) => sum + b.numRows, 0);
  if (rows !== 1) throw invalid(`bound ${rows} parameter rows: a query statement takes exactly one row of parameters`);
  const batch = batches.find((b) => b.numRows === 1)!;
  return batch.schema.fields.map((field, i) => sqlLiteral(batch.getChildAt(i)!.get(0), field.type, `parameter ${i + 1} ("${field.name}")`));
}

/** `sql` with each placeholder replaced by its literal; INVALID_ARGUMENT unless the counts match. */
export function bindParameters(sql: string, literals: readonly string[]): string {
  const placeholders = findPlaceholders(sql);
  const wanted = placeholders.reduce((max, p) => Math.max(max, p.index + 1), 0);
  if (wanted !== literals.length) throw invalid(`the query takes ${wanted} parameter(s) but ${literals.length} were bound`);
  let out = '';
  let from = 0;
  for (const p of placeholders) {
    out += sql.slice(from, p.start) + literals[p.index]!;
    from = p.end;
  }
  return out + sql.slice(from);
}
