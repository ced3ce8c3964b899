/**
 * `load --filter`: keeps the rows of each record batch where the predicate is TRUE, selected as a
 * query selects them (the same parser, binder and kernel), then keeps the requested columns.
 * Dictionary batches pass as they are; a record batch with no row kept is dropped.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { IpcMessage } from '../../client/src/flight/protocol/ipc-message.js';
import { columnIndices, ProjectionPlan } from '../engine/ipc-projection.js';
import { RowTaker } from '../engine/ipc-take.js';
import type { BatchFilter, BatchMessage } from '../engine/sql/evaluate.js';
import { bindQuery, type ParsedQuery } from '../engine/sql/plan.js';
import { keepRows, projectMessages, type IpcChunk } from './ipc-chunk.js';

/** The predicate bound to one schema. */
interface Bound {
  readonly schema: Uint8Array;
  readonly filter: BatchFilter;
  readonly taker: RowTaker;
  readonly projection: ProjectionPlan | undefined;
}

/** The rows of `chunks` where the parsed predicate is TRUE, with the top-level `columns` (all when undefined). */
export async function* filterChunks(chunks: AsyncIterable<IpcChunk>, parsed: ParsedQuery, columns: readonly string[] | undefined): AsyncGenerator<IpcChunk> {
  let bound: Bound | undefined;
  let dictionaries = new Map<bigint, BatchMessage>();
  for await (const chunk of chunks) {
    if (!bound || !Buffer.from(bound.schema).equals(chunk.schema)) {
      bound = { schema: chunk.schema.slice(), filter: bindQuery(parsed, chunk.schema).filter!, taker: new RowTaker(chunk.schema), projection: columns ? new ProjectionPlan(chunk.schema, columnIndices(chunk.schema, columns)) : undefined };
      dictionaries = new Map();
    }
    const kept: IpcMessage[] = [];
    for (const message of chunk.messages) {
      const { info } = message;
      if (info.kind === 'dictionary_batch') {
        if (info.isDelta) throw new FlightError(Code.UNIMPLEMENTED, 'load --filter does not read delta dictionary batches');
        dictionaries.set(info.dictionaryId ?? 0n, message);
        kept.push(message);
      } else if (info.kind === 'record_batch') {
        const rows = bound.filter.select(message, info.rows, dictionaries);
        if (rows.length === info.rows) {
          kept.push(message);
        } else if (rows.length > 0) {
          kept.push(keepRows(bound.taker, message, rows));
        }
      }
    }
    yield { schema: bound.projection?.schema ?? chunk.schema, messages: bound.projection ? projectMessages(bound.projection, kept) : kept };
  }
}
