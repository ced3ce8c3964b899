/**
 * What DoGet sends for a ticket: the schema, the dictionaries its batches need, and its batches in
 * share order, each with a resume cursor. Batches go out as stored (zero-copy) unless the read
 * shuffles rows, starts part-way into a batch, or re-chunks to `batch_rows`; then the row-take
 * kernel builds new ones.
 */
import { Code, FlightError } from '../flight/errors.js';
import type { OutgoingFlightData } from '../flight/protocol/messages.js';
import { parseMessageHeader } from '../flight/protocol/ipc-message.js';
import { ProjectionPlan } from '../flight/protocol/ipc-projection.js';
import { RowTaker, type TakeSource } from '../flight/protocol/ipc-take.js';
import type { DatasetSnapshot } from '../storage/dataset-store.js';
import type { StoredMessage } from '../storage/stored-message.js';
import { checkFingerprint, encodeCursor } from './cursor.js';
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

/** Streams the FlightData of a ticket over a stored dataset. */
export function* streamTicket(dataset: DatasetSnapshot, request: TicketRequest, signal: AbortSignal): Generator<OutgoingFlightData> {
  const local = { batches: dataset.batchCount, rows: dataset.rows };
  // A partition (ticket with "g") is immutable under its unique name; a node dataset may have grown since.
  if (request.share && request.global === undefined) checkFingerprint(dataset.name, request.share, local, 'ticket');
  const share: TicketShare = request.share ?? { world: 1, rank: 0, position: 0, options: 0, ...local };
  const cursorName = request.global ?? dataset.name;
  const offset = request.offset ?? 0;
  const order = batchList(request, dataset.batchCount);
  const skip = request.skip ?? 0;
  const index = indexOf(dataset);
  const projection = request.columns ? new ProjectionPlan(dataset.schema.header, request.columns) : undefined;
  const schemaHeader = projection ? projection.schema : dataset.schema.header;
  yield { dataHeader: schemaHeader, body: [], bodyLength: 0 };

  const monotonic = order.every((batch, i) => i === 0 || batch > order[i - 1]!);
  if (!monotonic && index.dictionariesChange) throw shuffleRefused(cursorName);
  let sentMessages = 0;
  /** Dictionaries stored before message `until` not sent yet, in order (all of them when out of order). */
  function* dictionariesBefore(until: number): Generator<OutgoingFlightData> {
    for (; sentMessages < until; sentMessages++) {
      const message = dataset.messages[sentMessages]!;
      if (message.kind === 'record_batch') continue;
      if (projection && !projection.dictionaryIds.has(parseMessageHeader(message.header).dictionaryId ?? 0n)) continue;
      yield { dataHeader: message.header, body: [message.body], bodyLength: message.body.length };
    }
  }
  if (!monotonic) yield* dictionariesBefore(dataset.messages.length);

  const project = (message: StoredMessage): Outgoing =>
    projection ? projection.projectRecordBatch(message.header, message.body) : { header: message.header, body: [message.body], bodyLength: message.body.length };
  const rowsChange = skip > 0 || request.shuffle !== undefined || request.batchRows !== undefined;
  const taker = rowsChange ? new RowTaker(schemaHeader) : undefined;
  const cursor = (position: number, batch: number, done: number): Uint8Array =>
    utf8.encode(
      encodeCursor({ dataset: cursorName, world: share.world, rank: share.rank, position, batch: offset + batch, done, options: share.options, batches: share.batches, rows: share.rows }),
    );
  const data = (batch: Outgoing, appMetadata: Uint8Array): OutgoingFlightData => ({ dataHeader: batch.header, body: batch.body, bodyLength: batch.bodyLength, appMetadata });

  // Rows waiting to be re-chunked: their sources, and (source, row) picks.
  const sources: TakeSource[] = [];
  let pickSource: number[] = [];
  let pickRow: number[] = [];
  let last = { position: 0, batch: 0, done: 0 };
  const flush = (): OutgoingFlightData => {
    const chunk = taker!.take(sources, { source: Uint32Array.from(pickSource), row: Uint32Array.from(pickRow) });
    sources.length = 0;
    pickSource = [];
    pickRow = [];
    return data(chunk, cursor(last.position, last.batch, last.done));
  };

  for (let i = 0; i < order.length; i++) {
    if (signal.aborted) return;
    const batch = order[i]!;
    const messageIndex = index.batches[batch]!;
    // Rows waiting to be re-chunked index the dictionaries in force now: send them before a replacement arrives.
    if (monotonic && pickRow.length > 0 && dataset.messages.slice(sentMessages, messageIndex).some((m) => m.kind !== 'record_batch')) yield flush();
    if (monotonic) yield* dictionariesBefore(messageIndex);
    const message = dataset.messages[messageIndex]!;
    const position = share.position + i;
    const from = i === 0 ? Math.min(skip, message.rows) : 0;
    if (!taker) {
      yield data(project(message), cursor(position, batch, message.rows));
      continue;
    }
    const rows = request.shuffle ? rowOrder(message.rows, offset + batch, request.shuffle) : undefined;
    const source = project(message);
    const take = { header: source.header, body: joinBody(source) };
    if (request.batchRows === undefined) {
      const picks = rows ? rows.subarray(from) : range(from, message.rows);
      yield data(taker.take([take], { source: new Uint32Array(picks.length), row: picks }), cursor(position, batch, message.rows));
      continue;
    }
    let sourceIndex = -1;
    for (let row = from; row < message.rows; row++) {
      if (sourceIndex < 0) sourceIndex = sources.push(take) - 1;
      pickSource.push(sourceIndex);
      pickRow.push(rows ? rows[row]! : row);
      last = { position, batch, done: row + 1 };
      if (pickRow.length === request.batchRows) {
        yield flush();
        sourceIndex = -1;
      }
    }
  }
  if (taker && request.batchRows !== undefined && pickRow.length > 0) yield flush();
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
