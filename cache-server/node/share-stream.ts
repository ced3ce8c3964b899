/**
 * What DoGet sends for a ticket: the schema, the dictionaries its batches need, and its batches in
 * share order, each with a resume cursor. Batches go out as stored (zero-copy) unless the read
 * shuffles rows, starts part-way into a batch, or re-chunks to `batch_rows`; then the row-take
 * kernel builds new ones.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { OutgoingFlightData } from '../../client/src/flight/protocol/messages.js';
import { parseMessageHeader } from '../../client/src/flight/protocol/ipc-message.js';
import type { ProjectionPlan } from '../engine/ipc-projection.js';
import { queryProjection } from '../engine/sql/plan.js';
import type { SelectList } from '../engine/sql/select-list.js';
import { RowTaker, type TakeSource } from '../engine/ipc-take.js';
import type { DatasetSnapshot, DatasetStore } from '../storage/dataset-store.js';
import type { StoredMessage } from '../storage/stored-message.js';
import { checkFingerprint, encodeCursor } from './cursor.js';
import { dictionariesInForce } from './dictionaries-in-force.js';
import { planFor, selectionOf, type Selection } from './query-selection.js';
import { rowOrder } from './shares.js';
import type { TicketRequest, TicketShare } from './ticket.js';

const utf8 = new TextEncoder();

/** Where each record batch and dictionary batch sits in a snapshot's messages. */
interface MessageIndex {
  /** Message index of record batch i. */
  readonly batches: readonly number[];
  /** True when some dictionary id has more than one dictionary batch (replacement or delta). */
  readonly dictionariesChange: boolean;
}

const indexes = new WeakMap<DatasetSnapshot, MessageIndex>();
/** Indexes a snapshot's messages once. */
function indexOf(dataset: DatasetSnapshot): MessageIndex {
  let index = indexes.get(dataset);
  if (!index) {
    const batches: number[] = [];
    const seen = new Set<bigint>();
    let dictionariesChange = false;
    dataset.messages.forEach((message, i) => {
      if (message.kind === 'record_batch') batches.push(i);
      else {
        const id = parseMessageHeader(message.header).dictionaryId ?? 0n;
        if (seen.has(id)) dictionariesChange = true;
        seen.add(id);
      }
    });
    index = { batches, dictionariesChange };
    indexes.set(dataset, index);
  }
  return index;
}

/** Whether a stored dataset replaces or extends a dictionary between its batches. */
export function changesDictionaries(dataset: DatasetSnapshot): boolean {
  return indexOf(dataset).dictionariesChange;
}

/** FAILED_PRECONDITION for reading such a dataset out of stored order. */
export function shuffleRefused(dataset: string): FlightError {
  return new FlightError(
    Code.FAILED_PRECONDITION,
    `dataset "${dataset}" replaces or extends its dictionaries between batches, so its batches cannot be read out of order (shuffle)`,
  );
}

/** The stored batch indices a ticket reads, in order. */
function batchList(request: TicketRequest, batchCount: number): number[] {
  if (!request.runs) return Array.from({ length: batchCount }, (_, i) => i);
  const out: number[] = [];
  for (const run of request.runs) {
    if (run.to > batchCount) {
      throw new FlightError(Code.INVALID_ARGUMENT, `ticket reads batches up to ${run.to - 1} of "${request.dataset}", which has ${batchCount}`);
    }
    // Issued tickets name each batch at most once; more is a forged ticket asking for unbounded work.
    if (out.length + run.to - run.from > batchCount) {
      throw new FlightError(Code.INVALID_ARGUMENT, `ticket names more than the ${batchCount} batches of "${request.dataset}": a ticket names each batch at most once`);
    }
    for (let i = run.from; i < run.to; i++) out.push(i);
  }
  return out;
}

/** A batch ready to send: header, body chunks, and its length. */
interface Outgoing {
  readonly header: Uint8Array;
  readonly body: readonly Uint8Array[];
  readonly bodyLength: number;
}

/** Rows gathered from a batch step's sources, in output order: row `row[i]` of source `source[i]`. */
export interface Picks {
  readonly source: Uint32Array;
  readonly row: Uint32Array;
}

/** One step of a ticket's read, in the order DoGet sends it. */
export type ReadStep =
  | {
      readonly kind: 'schema';
      /** The Schema flatbuffer sent (projected when the ticket selects columns). */
      readonly header: Uint8Array;
      /** Present when the ticket selects columns: the stored messages' projection. */
      readonly projection: ProjectionPlan | undefined;
      /** Present when batches gather rows: the kernel, built (and the schema checked) up front. */
      readonly taker: RowTaker | undefined;
      /** Present when the select list computes columns: applied to each output batch of the projection's schema. */
      readonly select: SelectList | undefined;
    }
  | { readonly kind: 'dictionary'; readonly message: StoredMessage }
  | {
      readonly kind: 'batch';
      /** Stored record batches the output batch is made of (before projection). */
      readonly sources: readonly StoredMessage[];
      /** Absent: the batch is its one source as stored (projected). */
      readonly picks: Picks | undefined;
      /**
       * Only when planned with `dictionariesPerSource` for an out-of-order read of a dataset whose
       * dictionaries change: per source, the dictionary batches to decode it with (no dictionary steps then).
       */
      readonly dictionaries?: ReadonlyArray<readonly StoredMessage[]>;
      readonly rows: number;
      /** The batch's resume cursor (DoGet's app_metadata). */
      readonly cursor: string;
    };

/** How a reader can take dictionaries. */
export interface PlanOptions {
  /**
   * The reader decodes each source with dictionaries of its own, so an out-of-order read of a dataset
   * whose dictionaries change is possible (an IPC stream, DoGet's, cannot express it).
   */
  readonly dictionariesPerSource?: boolean;
}

/**
 * What a ticket reads, as steps: the schema, then dictionaries and output batches described by their
 * stored sources and row picks. DoGet materializes them (streamTicket); the same-host service sends
 * them as references. Throws the FlightErrors DoGet fails with, at the same point of the read.
 */
export function* planTicket(dataset: DatasetSnapshot, request: TicketRequest, options: PlanOptions = {}): Generator<ReadStep> {
  // A query's ticket reads the selection: its batches are the non-empty selected ones, its rows the selected rows.
  const query = request.query ? planFor(dataset, request.query) : undefined;
  const selection: Selection | undefined = query ? selectionOf(dataset, query, request.queryLimit ?? query.limit) : undefined;
  const local = selection ? { batches: selection.stored.length, rows: selection.total } : { batches: dataset.batchCount, rows: dataset.rows };
  // A partition (ticket with "g") is immutable under its unique name; a node dataset may have grown since.
  if (request.share && request.global === undefined) checkFingerprint(dataset.name, request.share, local, 'ticket');
  const share: TicketShare = request.share ?? { world: 1, rank: 0, position: 0, options: 0, ...local };
  const cursorName = request.global ?? dataset.name;
  const offset = request.offset ?? 0;
  const order = batchList(request, local.batches);
  const storedBatch = (batch: number): number => (selection ? selection.stored[batch]! : batch);
  const skip = request.skip ?? 0;
  const index = indexOf(dataset);
  // A query's select list names the columns' output names (AS aliases) and may compute some of them.
  const projected = request.columns ? queryProjection(dataset.schema.header, request.columns, query) : undefined;
  const projection = projected?.input;
  const schemaHeader = projection ? projection.schema : dataset.schema.header;
  const rowsChange = skip > 0 || request.shuffle !== undefined || request.batchRows !== undefined || selection !== undefined;
  yield { kind: 'schema', header: projected?.schema ?? schemaHeader, projection, taker: rowsChange ? new RowTaker(schemaHeader) : undefined, select: projected?.select };

  const monotonic = order.every((batch, i) => i === 0 || batch > order[i - 1]!);
  const perSource = !monotonic && index.dictionariesChange;
  if (perSource && !options.dictionariesPerSource) throw shuffleRefused(cursorName);
  /** The dictionaries stored batch `batch` is decoded with (projected away ones left out). */
  const dictionariesOf = (batch: number): StoredMessage[] =>
    [...dictionariesInForce(dataset)[storedBatch(batch)]!.entries()].filter(([id]) => !projection || projection.dictionaryIds.has(id)).flatMap(([, messages]) => messages);
  const withDictionaries = (batches: readonly number[]): { dictionaries?: StoredMessage[][] } => (perSource ? { dictionaries: batches.map(dictionariesOf) } : {});
  let sentMessages = 0;
  /** Dictionaries stored before message `until` not sent yet, in order (all of them when out of order). */
  function* dictionariesBefore(until: number): Generator<ReadStep> {
    for (; sentMessages < until; sentMessages++) {
      const message = dataset.messages[sentMessages]!;
      if (message.kind === 'record_batch') continue;
      if (projection && !projection.dictionaryIds.has(parseMessageHeader(message.header).dictionaryId ?? 0n)) continue;
      yield { kind: 'dictionary', message };
    }
  }
  if (!monotonic && !perSource) yield* dictionariesBefore(dataset.messages.length);

  const cursor = (position: number, batch: number, done: number): string =>
    encodeCursor({ dataset: cursorName, world: share.world, rank: share.rank, position, batch: offset + batch, done, options: share.options, batches: share.batches, rows: share.rows });

  // Rows waiting to be re-chunked: their sources (and stored batch indices), and (source, row) picks.
  const sources: StoredMessage[] = [];
  const sourceBatches: number[] = [];
  let pickSource: number[] = [];
  let pickRow: number[] = [];
  let last = { position: 0, batch: 0, done: 0 };
  const flush = (): ReadStep => {
    const step: ReadStep = {
      kind: 'batch',
      sources: sources.slice(),
      picks: { source: Uint32Array.from(pickSource), row: Uint32Array.from(pickRow) },
      rows: pickRow.length,
      cursor: cursor(last.position, last.batch, last.done),
      ...withDictionaries(sourceBatches),
    };
    sources.length = 0;
    sourceBatches.length = 0;
    pickSource = [];
    pickRow = [];
    return step;
  };

  for (let i = 0; i < order.length; i++) {
    const batch = order[i]!;
    const messageIndex = index.batches[storedBatch(batch)]!;
    // Rows waiting to be re-chunked index the dictionaries in force now: send them before a replacement arrives.
    if (monotonic && pickRow.length > 0 && dataset.messages.slice(sentMessages, messageIndex).some((m) => m.kind !== 'record_batch')) yield flush();
    if (monotonic) yield* dictionariesBefore(messageIndex);
    const message = dataset.messages[messageIndex]!;
    const position = share.position + i;
    const selected = selection?.rows[batch];
    const count = selected ? selected.length : message.rows;
    const from = i === 0 ? Math.min(skip, count) : 0;
    if (!rowsChange) {
      yield { kind: 'batch', sources: [message], picks: undefined, rows: message.rows, cursor: cursor(position, batch, message.rows), ...withDictionaries([batch]) };
      continue;
    }
    // Row r of the batch's sequence: the r-th selected row (all rows without a query), in shuffled order when shuffling.
    const shuffled = request.shuffle ? rowOrder(count, offset + batch, request.shuffle) : undefined;
    const rows = selected && shuffled ? shuffled.map((r) => selected[r]!) : (selected ?? shuffled);
    if (request.batchRows === undefined) {
      const row = rows ? rows.subarray(from) : range(from, message.rows);
      yield { kind: 'batch', sources: [message], picks: { source: new Uint32Array(row.length), row }, rows: row.length, cursor: cursor(position, batch, count), ...withDictionaries([batch]) };
      continue;
    }
    let sourceIndex = -1;
    for (let row = from; row < count; row++) {
      if (sourceIndex < 0) {
        sourceIndex = sources.push(message) - 1;
        sourceBatches.push(batch);
      }
      pickSource.push(sourceIndex);
      pickRow.push(rows ? rows[row]! : row);
      last = { position, batch, done: row + 1 };
      if (pickRow.length === request.batchRows) {
        yield flush();
        sourceIndex = -1;
      }
    }
  }
  if (rowsChange && request.batchRows !== undefined && pickRow.length > 0) yield flush();
}

/** The stored dataset a ticket reads, or the error DoGet fails with when it is not here. */
export function ticketDataset(store: DatasetStore, request: TicketRequest): DatasetSnapshot {
  const dataset = store.get(request.dataset);
  if (dataset) return dataset;
  // A shard without the partition was restarted or not refilled yet: another replica can serve it.
  if (request.global !== undefined) {
    throw new FlightError(Code.UNAVAILABLE, `this shard does not hold partition "${request.dataset}" of dataset "${request.global}" (restarted?): read another replica`);
  }
  throw new FlightError(Code.INVALID_ARGUMENT, `ticket names unknown dataset "${request.dataset}" (dropped?)`);
}

/** Streams the FlightData of a ticket over a stored dataset: planTicket's steps, materialized. */
export function* streamTicket(dataset: DatasetSnapshot, request: TicketRequest, signal: AbortSignal): Generator<OutgoingFlightData> {
  let projection: ProjectionPlan | undefined;
  let taker: RowTaker | undefined;
  let select: SelectList | undefined;
  // The dictionary batch in force per id, which computed columns read.
  const dictionaries = new Map<bigint, StoredMessage>();
  const project = (message: StoredMessage): Outgoing =>
    projection ? projection.projectRecordBatch(message.header, message.body) : { header: message.header, body: [message.body], bodyLength: message.body.length };
  // Consecutive re-chunked batches share a source: project it once.
  let lastSource: { message: StoredMessage; take: TakeSource } | undefined;
  const takeSource = (message: StoredMessage): TakeSource => {
    if (lastSource?.message !== message) {
      const source = project(message);
      lastSource = { message, take: { header: source.header, body: joinBody(source) } };
    }
    return lastSource.take;
  };
  for (const step of planTicket(dataset, request)) {
    if (step.kind === 'schema') {
      ({ projection, taker, select } = step);
      yield { dataHeader: step.header, body: [], bodyLength: 0 };
      continue;
    }
    if (signal.aborted) return;
    if (step.kind === 'dictionary') {
      const id = parseMessageHeader(step.message.header).dictionaryId ?? 0n;
      dictionaries.set(id, step.message);
      // Dictionaries only computed columns read are not part of the output.
      if (select && !select.dictionaryIds.has(id)) continue;
      yield { dataHeader: step.message.header, body: [step.message.body], bodyLength: step.message.body.length };
      continue;
    }
    const taken = step.picks ? taker!.take(step.sources.map(takeSource), step.picks) : project(step.sources[0]!);
    const batch = select ? select.apply(taken, dictionaries) : taken;
    yield { dataHeader: batch.header, body: batch.body, bodyLength: batch.bodyLength, appMetadata: utf8.encode(step.cursor) };
  }
}

/** Rows from..to-1 as picks. */
function range(from: number, to: number): Uint32Array {
  const out = new Uint32Array(Math.max(0, to - from));
  for (let i = 0; i < out.length; i++) out[i] = from + i;
  return out;
}

/** One contiguous body for the kernel: the stored body itself, or the projected chunks joined (projection leaves padding chunks between views). */
function joinBody(batch: Outgoing): Uint8Array {
  if (batch.body.length === 1) return batch.body[0]!;
  const out = new Uint8Array(batch.bodyLength);
  let at = 0;
  for (const chunk of batch.body) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
