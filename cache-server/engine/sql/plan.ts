/**
 * The module API of SQL pushdown: a query text (the JSON command's "sql" or "filter") planned
 * against a dataset's schema into what a read needs: the dataset, the columns to send (and the
 * names they are sent under), the compiled predicate, TABLESAMPLE and LIMIT, and a canonical key
 * under which selections are cached.
 */
import { Code, FlightError } from '../../../client/src/flight/errors.js';
import { ProjectionPlan } from '../ipc-projection.js';
import { Binder, bindColumns, type ColumnStorage, type Expr } from './expr.js';
import { BatchFilter } from './evaluate.js';
import { compileFilter } from './program.js';
import { SelectList } from './select-list.js';
import { parseFilter, parseQuery, selectInputs, type Node, type SelectItem } from './syntax.js';

/** What a request asks to run: a whole query, or a predicate over the request's dataset. */
export type QueryText = { readonly sql: string } | { readonly filter: string };

/** A query before binding: known from its text alone (dataset, columns). */
export interface ParsedQuery {
  readonly text: QueryText;
  /** The FROM dataset ("sql"); undefined for a "filter". */
  readonly dataset: string | undefined;
  /** The select list (undefined: SELECT *). */
  readonly columns: readonly SelectItem[] | undefined;
  /** The stored top-level columns the select list reads, each once (what reads project onto). */
  readonly inputs: readonly string[] | undefined;
  readonly where: Node | undefined;
  readonly limit: number | undefined;
  readonly sample: { readonly percent: number; readonly seed: number } | undefined;
  readonly shift: number;
}

/** A query bound to a dataset's schema. */
export interface QueryPlan extends ParsedQuery {
  readonly predicate: Expr | undefined;
  /** The predicate's kernel; undefined without WHERE. */
  readonly filter: BatchFilter | undefined;
  /** Identifies the selection: equal for queries selecting the same rows of the same schema. */
  readonly key: string;
}

/** Parses a query text: syntax errors and unsupported constructs fail here, before any dataset is read. */
export function parseQueryText(text: QueryText): ParsedQuery {
  if ('sql' in text) {
    const q = parseQuery(text.sql);
    return { text, dataset: q.table, columns: q.columns, inputs: q.columns && selectInputs(q.columns), where: q.where, limit: q.limit, sample: q.sample, shift: 0 };
  }
  return { text, dataset: undefined, columns: undefined, inputs: undefined, where: parseFilter(text.filter), limit: undefined, sample: undefined, shift: 'SELECT * FROM t WHERE '.length };
}

/** Binds a parsed query to the schema (Schema message flatbuffer) of its dataset. */
export function bindQuery(parsed: ParsedQuery, schemaHeader: Uint8Array): QueryPlan {
  const columns = bindColumns(schemaHeader);
  for (const input of parsed.inputs ?? []) {
    if (!columns.some((c) => c.name === input && c.path.length === 0)) {
      throw new FlightError(Code.INVALID_ARGUMENT, `unknown column "${input}" in the select list (columns: ${columns.filter((c) => c.path.length === 0).map((c) => c.name).join(', ')})`);
    }
  }
  // Binds the computed expressions and names the output columns: errors surface when the query is planned, not when it is read.
  if (parsed.inputs) queryProjection(schemaHeader, parsed.inputs.map((name) => columns.find((c) => c.name === name && c.path.length === 0)!.index), parsed);
  const predicate = parsed.where === undefined ? undefined : new Binder(columns, parsed.shift).predicate(parsed.where);
  let filter: BatchFilter | undefined;
  if (predicate) {
    const program = compileFilter(predicate);
    const storageOf = (slot: { index: number; path: readonly number[] }): ColumnStorage =>
      columns.find((c) => c.index === slot.index && c.path.join('.') === slot.path.join('.'))!.storage!;
    filter = new BatchFilter(schemaHeader, program, program.columns.map(storageOf));
  }
  const key = JSON.stringify({ p: predicate ?? null, l: parsed.limit ?? null, s: parsed.sample ?? null }, (_, value: unknown) =>
    typeof value === 'bigint' ? `${value}n` : value,
  );
  return { ...parsed, predicate, filter, key };
}

/** Parses and binds `sql` against a catalog of datasets' schemas: the plan of `SELECT ... FROM <dataset> ...`. */
export function planQuery(sql: string, catalog: (dataset: string) => Uint8Array | undefined): QueryPlan {
  const parsed = parseQueryText({ sql });
  const schema = catalog(parsed.dataset!);
  if (!schema) throw new FlightError(Code.NOT_FOUND, `unknown dataset "${parsed.dataset}"`);
  return bindQuery(parsed, schema);
}

/** How a read's batches are projected: `input` (stored columns, what the take path works on) and the output schema. */
export interface QueryProjection {
  readonly input: ProjectionPlan;
  readonly schema: Uint8Array;
  /** Computes the select list's expressions over input batches; undefined when it names stored columns only. */
  readonly select: SelectList | undefined;
}

/** The projection of a read of stored columns `columns` (a query's inputs) under `query`'s select list, if any. */
export function queryProjection(schemaHeader: Uint8Array, columns: readonly number[], query: Pick<ParsedQuery, 'columns' | 'dataset' | 'shift'> | undefined): QueryProjection {
  const items = query?.columns;
  if (items && items.some((item) => item.column === undefined)) {
    const select = new SelectList(schemaHeader, columns, items, query!.dataset!, query!.shift);
    return { input: select.input, schema: select.schema, select };
  }
  const names = items?.map((c) => c.alias!);
  const repeated = names?.find((name, i) => names.indexOf(name) !== i);
  if (repeated !== undefined) throw new FlightError(Code.INVALID_ARGUMENT, `the select list names output column "${repeated}" twice`);
  const input = new ProjectionPlan(schemaHeader, columns, names);
  return { input, schema: input.schema, select: undefined };
}
