/**
 * The parameter schema of a prepared query, which drivers such as JDBC need before they bind values:
 * one field per parameter, typed as the column it is compared with (`col = ?`, `? < col`,
 * `col IN (?, ?)`, `col BETWEEN ? AND ?`; a dictionary column's value type), utf8 otherwise. The
 * query is read by the SQL core's own parser; the values bound later keep whatever type the client
 * sends (parameters.ts).
 */
import { DataType, Field, Schema, Utf8 } from 'apache-arrow';
import { parseQueryText } from '../engine/sql/plan.js';
import { parameterCount } from './parameters.js';

type Node = Record<string, unknown>;

/** A placeholder of the parsed query: its text ("?" or "$N") and where it starts. */
interface Placed {
  readonly text: string;
  readonly line: number;
  readonly column: number;
}

function placeholderOf(node: unknown): Placed | undefined {
  const value = (node as { Value?: { value?: { Placeholder?: string }; span?: { start: { line: number; column: number } } } } | undefined)?.Value;
  const text = value?.value?.Placeholder;
  if (text === undefined || !value?.span) return undefined;
  return { text, line: value.span.start.line, column: value.span.start.column };
}

/** A placeholder's position, the key that finds it again. */
const where = (p: Placed): string => `${p.line}:${p.column}`;

const identifierOf = (node: unknown): string | undefined => (node as { Identifier?: { value?: string } } | undefined)?.Identifier?.value;

/** Every placeholder of the tree, and the column each one compared with a column is compared with. */
function walk(node: unknown, found: Placed[], columns: Map<string, string>): void {
  if (node === null || typeof node !== 'object') return;
  const placed = placeholderOf(node);
  if (placed) {
    found.push(placed);
    return;
  }
  const n = node as Node;
  const pair = (column: unknown, others: unknown[]): void => {
    const name = identifierOf(column);
    if (name === undefined) return;
    for (const other of others) {
      const p = placeholderOf(other);
      if (p) columns.set(where(p), name);
    }
  };
  const binary = n.BinaryOp as { left: unknown; right: unknown } | undefined;
  if (binary) {
    walk(binary.left, found, columns);
    walk(binary.right, found, columns);
    pair(binary.left, [binary.right]);
    pair(binary.right, [binary.left]);
    return;
  }
  for (const value of Object.values(n)) walk(value, found, columns);
  const list = n.InList as { expr: unknown; list: unknown[] } | undefined;
  if (list) pair(list.expr, list.list);
  const between = n.Between as { expr: unknown; low: unknown; high: unknown } | undefined;
  if (between) pair(between.expr, [between.low, between.high]);
}

/**
 * The parameter schema of `sql` (undefined when it takes none); `schemaOf` gives the schema of the
 * dataset the query reads. The SQL core's INVALID_ARGUMENT or UNIMPLEMENTED when the text does not parse.
 */
export async function parameterSchema(sql: string, schemaOf: (dataset: string) => Promise<Schema>): Promise<Schema | undefined> {
  const count = parameterCount(sql);
  if (count === 0) return undefined;
  const parsed = parseQueryText({ sql });
  const dataset = await schemaOf(parsed.dataset!);
  const found: Placed[] = [];
  const columns = new Map<string, string>();
  walk(parsed.where, found, columns);
  const types: (DataType | undefined)[] = new Array(count).fill(undefined);
  // "?" placeholders are numbered in the order they appear in the text.
  const positional = found.filter((p) => p.text === '?').sort((a, b) => a.line - b.line || a.column - b.column);
  for (const p of found) {
    const index = p.text === '?' ? positional.indexOf(p) : Number(p.text.slice(1)) - 1;
    const column = columns.get(where(p));
    if (column === undefined || index < 0 || index >= count || types[index] !== undefined) continue;
    const type = dataset.fields.find((f) => f.name === column)?.type;
    types[index] = type !== undefined && DataType.isDictionary(type) ? type.dictionary : type;
  }
  return new Schema(types.map((type, i) => new Field(`parameter_${i + 1}`, type ?? new Utf8(), true)));
}
