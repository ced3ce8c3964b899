/**
 * From SQL text to the parts of a query this dialect has: the table, the projection, the WHERE
 * predicate (still a parser AST node), TABLESAMPLE and LIMIT. Parsed by DataFusion's own parser
 * (datafusion-sqlparser-rs, compiled to WebAssembly); anything else is refused with
 * INVALID_ARGUMENT (not SQL) or UNIMPLEMENTED (SQL this dialect does not run), naming the
 * construct and its line:column.
 */
import { init, parse } from '@guanmingchiu/sqlparser-ts';
import { Code, FlightError } from '../../../client/src/flight/errors.js';

// The parser is WebAssembly: instantiated once when this module loads.
await init();

/** A parser AST node (the JSON form of sqlparser-rs's types). */
export type Node = unknown;

/** SQL text longer than this is refused before parsing. */
export const MAX_SQL_LENGTH = 64 * 1024;

/** One item of the SELECT list: a stored column or a computed expression, and its AS alias. */
export interface SelectItem {
  /** A stored top-level column sent as it is stored; undefined for a computed expression. */
  readonly column: string | undefined;
  /** The expression computed per row (undefined for a stored column). */
  readonly expr: Node | undefined;
  /** The AS alias, else the column's name; undefined for an expression without one. */
  readonly alias: string | undefined;
}

/** A query of the dialect, its predicate not yet bound to a schema. */
export interface QuerySyntax {
  readonly table: string;
  /** Undefined: SELECT *. */
  readonly columns: readonly SelectItem[] | undefined;
  readonly where: Node | undefined;
  readonly limit: number | undefined;
  /** TABLESAMPLE BERNOULLI(percent) REPEATABLE(seed). */
  readonly sample: { readonly percent: number; readonly seed: number } | undefined;
  /** Subtracted from columns of line 1 in positions (the filter form's prefix). */
  readonly columnShift: number;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The variant name and payload of an enum node such as {"BinaryOp": {...}} or "Wildcard". */
export function variant(node: Node): [string, unknown] {
  if (typeof node === 'string') return [node, undefined];
  if (isObject(node)) {
    const keys = Object.keys(node);
    if (keys.length === 1) return [keys[0]!, node[keys[0]!]];
  }
  return ['?', node];
}

/** Line and column of the first token inside a node, when the parser recorded one. */
export function positionOf(node: Node, shift: number): string {
  let best: { line: number; column: number } | undefined;
  let budget = 10_000;
  const visit = (value: unknown): void => {
    if (budget-- <= 0 || typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    const record = value as Record<string, unknown>;
    const span = record.span;
    if (isObject(span) && isObject(span.start)) {
      const { line, column } = span.start as { line: number; column: number };
      if (line > 0 && (!best || line < best.line || (line === best.line && column < best.column))) best = { line, column };
    }
    for (const [key, child] of Object.entries(record)) if (key !== 'span') visit(child);
  };
  visit(node);
  if (!best) return 'unknown position';
  return `${best.line}:${best.line === 1 ? best.column - shift : best.column}`;
}

/** A FlightError naming a construct and where it is. */
export function refuse(code: Code, what: string, node: Node, shift: number): FlightError {
  return new FlightError(code, `${what} at ${positionOf(node, shift)}`);
}

/** Parses SQL text into its one statement, INVALID_ARGUMENT with the parser's message otherwise. */
function parseOne(sql: string, shift: number): Node {
  if (sql.length > MAX_SQL_LENGTH) throw new FlightError(Code.INVALID_ARGUMENT, `SQL text is ${sql.length} characters; at most ${MAX_SQL_LENGTH} are accepted`);
  let statements: unknown;
  try {
    statements = parse(sql, 'generic');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const shifted = shift === 0 ? message : message.replace(/Line: 1, Column: (\d+)/, (_, column: string) => `Line: 1, Column: ${Number(column) - shift}`);
    throw new FlightError(Code.INVALID_ARGUMENT, `SQL syntax error: ${shifted}`);
  }
  if (!Array.isArray(statements) || statements.length !== 1) {
    throw new FlightError(Code.INVALID_ARGUMENT, `expected one SQL statement, got ${Array.isArray(statements) ? statements.length : 0}`);
  }
  return statements[0];
}

const emptyList = (value: unknown): boolean => value === undefined || value === null || (Array.isArray(value) && value.length === 0);

/** Refuses a non-empty clause of a SELECT this dialect does not run. */
function refuseClause(select: Record<string, unknown>, key: string, what: string, shift: number): void {
  const value = select[key];
  if (key === 'group_by') {
    const [kind, payload] = variant(value);
    if (kind === 'Expressions' && Array.isArray(payload) && payload.every(emptyList)) return;
    throw refuse(Code.UNIMPLEMENTED, `${what} (aggregates are not supported)`, value, shift);
  }
  if (!emptyList(value)) throw refuse(Code.UNIMPLEMENTED, `${what} is not supported`, value, shift);
}

/** A non-negative integer literal (LIMIT, REPEATABLE). */
function integerLiteral(node: Node, what: string, shift: number): number {
  const [kind, payload] = variant(node);
  const value = kind === 'Value' && isObject(payload) ? variant(payload.value) : undefined;
  if (value && value[0] === 'Number' && Array.isArray(value[1]) && /^\d+$/.test(String(value[1][0]))) {
    const n = Number(value[1][0]);
    if (Number.isSafeInteger(n)) return n;
  }
  throw refuse(Code.INVALID_ARGUMENT, `${what} must be a non-negative integer literal`, node, shift);
}

/** A numeric literal (TABLESAMPLE's percentage). */
function numberLiteral(node: Node, what: string, shift: number): number {
  const [kind, payload] = variant(node);
  const value = kind === 'Value' && isObject(payload) ? variant(payload.value) : undefined;
  if (value && value[0] === 'Number' && Array.isArray(value[1])) {
    const n = Number(value[1][0]);
    if (Number.isFinite(n)) return n;
  }
  throw refuse(Code.INVALID_ARGUMENT, `${what} must be a number literal`, node, shift);
}

/** An identifier as DataFusion resolves it: unquoted names are lower-cased, quoted ones kept. */
export function identifierName(ident: unknown): string {
  const record = ident as { value: string; quote_style?: string | null };
  return record.quote_style ? record.value : record.value.toLowerCase();
}

/** The table of the FROM clause, with its TABLESAMPLE. */
function fromTable(select: Record<string, unknown>, shift: number): Pick<QuerySyntax, 'table' | 'sample'> {
  const from = select.from;
  if (!Array.isArray(from) || from.length === 0) throw new FlightError(Code.INVALID_ARGUMENT, 'a query needs FROM <dataset>');
  if (from.length > 1) throw refuse(Code.UNIMPLEMENTED, 'a join (several tables in FROM) is not supported', from[1], shift);
  const item = from[0] as { relation: Node; joins: unknown[] };
  if (!emptyList(item.joins)) throw refuse(Code.UNIMPLEMENTED, 'JOIN is not supported', item.joins, shift);
  const [kind, table] = variant(item.relation);
  if (kind !== 'Table' || !isObject(table)) {
    const what = kind === 'Derived' ? 'a subquery in FROM' : `FROM ${kind}`;
    throw refuse(Code.UNIMPLEMENTED, `${what} is not supported`, item.relation, shift);
  }
  const name = table.name as unknown[];
  if (name.length !== 1) throw refuse(Code.INVALID_ARGUMENT, 'a dataset name has one part (no catalog or schema)', name, shift);
  if (!emptyList(table.args) || table.alias || !emptyList(table.with_hints) || !emptyList(table.version)) {
    throw refuse(Code.UNIMPLEMENTED, 'table aliases, arguments and hints are not supported', item.relation, shift);
  }
  const [partKind, part] = variant(name[0]);
  if (partKind !== 'Identifier') throw refuse(Code.INVALID_ARGUMENT, 'a dataset name must be an identifier', name, shift);
  return { table: (part as { value: string }).value, sample: table.sample ? sampleOf(table.sample, shift) : undefined };
}

/** TABLESAMPLE BERNOULLI(p) REPEATABLE(seed): the only sampling method, and a seed is required (reproducible). */
function sampleOf(node: Node, shift: number): { percent: number; seed: number } {
  const [, sample] = variant(node);
  const s = sample as { name?: string; quantity?: { value: Node; unit?: unknown }; seed?: { value: Node }; bucket?: unknown; offset?: unknown };
  if (s.name !== 'Bernoulli' || !s.quantity || s.bucket || s.offset || s.quantity.unit) {
    throw refuse(Code.UNIMPLEMENTED, 'only TABLESAMPLE BERNOULLI(percent) REPEATABLE(seed) is supported', node, shift);
  }
  if (!s.seed) throw refuse(Code.INVALID_ARGUMENT, 'TABLESAMPLE needs REPEATABLE(seed): samples are reproducible', node, shift);
  const percent = numberLiteral(s.quantity.value, 'the BERNOULLI percentage', shift);
  if (percent < 0 || percent > 100) throw refuse(Code.INVALID_ARGUMENT, `the BERNOULLI percentage must be within 0 and 100, got ${percent}`, node, shift);
  const seed = integerLiteral({ Value: s.seed.value }, 'the REPEATABLE seed', shift);
  return { percent, seed };
}

/** The SELECT list: `*`, or columns and expressions with optional aliases. */
function projection(select: Record<string, unknown>, shift: number): SelectItem[] | undefined {
  const items = select.projection as Node[];
  if (items.length === 1 && variant(items[0])[0] === 'Wildcard') return undefined;
  return items.map((item) => {
    const [kind, payload] = variant(item);
    if (kind === 'Wildcard' || kind === 'QualifiedWildcard') throw refuse(Code.UNIMPLEMENTED, '* mixed with other select items is not supported', item, shift);
    const expr = kind === 'ExprWithAlias' ? (payload as { expr: Node }).expr : payload;
    const alias = kind === 'ExprWithAlias' ? identifierName((payload as { alias: unknown }).alias) : undefined;
    // A column in parentheses is still the column (DataFusion names it so too).
    let bare = expr;
    while (variant(bare)[0] === 'Nested') bare = variant(bare)[1];
    const [exprKind, ident] = variant(bare);
    if (exprKind === 'Identifier') {
      const column = identifierName(ident);
      return { column, expr: undefined, alias: alias ?? column };
    }
    return { column: undefined, expr, alias };
  });
}

/** The top-level columns a select list reads, each once, in first-use order (identifiers outside function names and types). */
export function selectInputs(columns: readonly SelectItem[]): string[] {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!isObject(node)) return;
    const [kind, payload] = variant(node);
    if (kind === 'Identifier' && isObject(payload) && typeof payload.value === 'string') found.add(identifierName(payload));
    else if (kind === 'CompoundIdentifier' && Array.isArray(payload)) found.add(identifierName(payload[0]));
    else if (kind === 'Function' && isObject(payload)) visit(payload.args);
    else for (const [key, child] of Object.entries(node)) if (key !== 'data_type' && key !== 'span') visit(child);
  };
  for (const c of columns) {
    if (c.column !== undefined) found.add(c.column);
    else visit(c.expr);
  }
  return [...found];
}

/** LIMIT n (no OFFSET). */
function limitOf(query: Record<string, unknown>, shift: number): number | undefined {
  const clause = query.limit_clause;
  if (clause === undefined || clause === null) return undefined;
  const [kind, payload] = variant(clause);
  const body = payload as { limit?: Node; offset?: Node; limit_by?: unknown[] };
  if (kind !== 'LimitOffset' || body.offset || !emptyList(body.limit_by)) throw refuse(Code.UNIMPLEMENTED, 'only LIMIT n is supported (no OFFSET)', clause, shift);
  return body.limit === undefined || body.limit === null ? undefined : integerLiteral(body.limit, 'LIMIT', shift);
}

/** Parses `SELECT <columns> FROM <dataset> [TABLESAMPLE ...] [WHERE <predicate>] [LIMIT n]`. */
export function parseQuery(sql: string, shift = 0): QuerySyntax {
  const statement = parseOne(sql, shift);
  const [kind, query] = variant(statement);
  if (kind !== 'Query' || !isObject(query)) throw new FlightError(Code.INVALID_ARGUMENT, `expected a SELECT query, got a ${kind} statement`);
  if (query.with) throw refuse(Code.UNIMPLEMENTED, 'WITH (common table expressions) is not supported', query.with, shift);
  if (query.order_by) throw refuse(Code.UNIMPLEMENTED, 'ORDER BY is not supported', query.order_by, shift);
  for (const key of ['fetch', 'for_clause', 'settings', 'format_clause']) {
    if (query[key]) throw refuse(Code.UNIMPLEMENTED, `${key.replace('_clause', '').toUpperCase()} is not supported`, query[key], shift);
  }
  if (!emptyList(query.locks) || !emptyList(query.pipe_operators)) throw new FlightError(Code.UNIMPLEMENTED, 'locking clauses and pipe operators are not supported');
  const [bodyKind, select] = variant(query.body);
  if (bodyKind !== 'Select' || !isObject(select)) {
    const what = bodyKind === 'SetOperation' ? 'UNION/INTERSECT/EXCEPT' : bodyKind === 'Query' ? 'a nested query' : bodyKind;
    throw refuse(Code.UNIMPLEMENTED, `${what} is not supported`, query.body, shift);
  }
  if (select.distinct) throw refuse(Code.UNIMPLEMENTED, 'DISTINCT is not supported', select.distinct, shift);
  if (select.top) throw refuse(Code.UNIMPLEMENTED, 'TOP is not supported', select.top, shift);
  if (select.into) throw refuse(Code.UNIMPLEMENTED, 'SELECT INTO is not supported', select.into, shift);
  refuseClause(select, 'group_by', 'GROUP BY', shift);
  for (const [key, what] of [
    ['lateral_views', 'LATERAL VIEW'],
    ['cluster_by', 'CLUSTER BY'],
    ['distribute_by', 'DISTRIBUTE BY'],
    ['sort_by', 'SORT BY'],
    ['named_window', 'WINDOW'],
    ['connect_by', 'CONNECT BY'],
  ] as const) {
    refuseClause(select, key, what, shift);
  }
  if (select.having) throw refuse(Code.UNIMPLEMENTED, 'HAVING is not supported', select.having, shift);
  if (select.qualify) throw refuse(Code.UNIMPLEMENTED, 'QUALIFY is not supported', select.qualify, shift);
  if (select.prewhere) throw refuse(Code.UNIMPLEMENTED, 'PREWHERE is not supported', select.prewhere, shift);
  return {
    ...fromTable(select, shift),
    columns: projection(select, shift),
    where: select.selection ?? undefined,
    limit: limitOf(query, shift),
    columnShift: shift,
  };
}

const FILTER_PREFIX = 'SELECT * FROM t WHERE ';

/** Parses a bare predicate (the JSON command's "filter"); positions are the predicate's own. */
export function parseFilter(predicate: string): Node {
  if (predicate.trim() === '') throw new FlightError(Code.INVALID_ARGUMENT, '"filter" must be a non-empty SQL predicate');
  const query = parseQuery(FILTER_PREFIX + predicate, FILTER_PREFIX.length);
  if (query.limit !== undefined || query.sample !== undefined) {
    throw new FlightError(Code.INVALID_ARGUMENT, '"filter" is a predicate only: use "sql" for LIMIT or TABLESAMPLE');
  }
  return query.where;
}
