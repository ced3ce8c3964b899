/**
 * `load --filter "<predicate>"`: keeps the rows of each file where a predicate of the SQL dialect
 * (engine/sql, the kernel reads use) is TRUE, before the rows reach the store. The predicate may name
 * any column of the source (hive partition columns included), also ones `columns` leaves out: the
 * projection applies after the filter.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { IpcMessage } from '../../client/src/flight/protocol/ipc-message.js';
import { ProjectionPlan, columnIndices } from '../engine/ipc-projection.js';
import { RowTaker } from '../engine/ipc-take.js';
import { bindQuery, parseQueryText, type ParsedQuery, type QueryPlan } from '../engine/sql/plan.js';
import { keepRows, projectMessages, type IpcChunk } from './ipc-chunk.js';

/** Parses a load's predicate: syntax errors and unsupported constructs fail before any file is read. */
export function parseLoadFilter(filter: string): ParsedQuery {
  return parseQueryText({ filter });
}

/** The file's chunks with only the rows `parsed` selects, then only `columns` (undefined: all). */
export async function* filterChunks(chunks: AsyncIterable<IpcChunk>, parsed: ParsedQuery, columns: readonly string[] | undefined): AsyncGenerator<IpcChunk> {
  let bound: { schema: Uint8Array; plan: QueryPlan; taker: RowTaker; projection: ProjectionPlan | undefined } | undefined;
  // The dictionary batch in force per id: the predicate's kernel reads dictionary columns through it.
  const dictionaries = new Map<bigint, IpcMessage>();
  for await (const chunk of chunks) {
    if (!bound || !Buffer.from(bound.schema).equals(chunk.schema)) {
      bound = { schema: chunk.schema, plan: bindQuery(parsed, chunk.schema), taker: new RowTaker(chunk.schema), projection: columns ? new ProjectionPlan(chunk.schema, columnIndices(chunk.schema, columns)) : undefined };
    }
    const { plan, taker, projection } = bound;
    const kept: IpcMessage[] = [];
    for (const message of chunk.messages) {
      const { kind, rows, dictionaryId, isDelta } = message.info;
      if (kind === 'dictionary_batch') {
        if (isDelta) throw new FlightError(Code.UNIMPLEMENTED, `load --filter does not read delta dictionary batches (dictionary ${dictionaryId ?? 0n})`);
        dictionaries.set(dictionaryId ?? 0n, message);
        kept.push(message);
        continue;
      }
      if (kind !== 'record_batch') continue;
      const inForce = new Map(plan.filter!.dictionaries.map((id) => [id, dictionaries.get(id)!] as const));
      const selected = plan.filter!.select(message, rows, inForce);
      if (selected.length === rows) kept.push(message);
      else if (selected.length > 0) kept.push(keepRows(taker, message, selected));
    }
    yield projection ? { schema: projection.schema, messages: projectMessages(projection, kept) } : { schema: chunk.schema, messages: kept };
  }
}
