/**
 * The rows of a stored dataset a query selects: per stored record batch, the row indices where the
 * predicate is TRUE and the sample keeps the row, cut at LIMIT (in stored order). Batches with no
 * selected row are left out, so shares split the selected batches. Computed once per (dataset
 * version, query) and cached with the snapshot.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { bindQuery, parseQueryText, type QueryPlan, type QueryText } from '../engine/sql/plan.js';
import type { BatchFilter, BatchMessage, FilterInput } from '../engine/sql/evaluate.js';
import type { DatasetSnapshot } from '../storage/dataset-store.js';
import type { StoredMessage } from '../storage/stored-message.js';
import type { DatasetLayout } from './read-plan.js';
import { decodeTicket } from './ticket.js';
import { dictionariesInForce } from './dictionaries-in-force.js';
import { mixSeed } from './shares.js';

/** The selected rows of a dataset, over its non-empty batches. */
export interface Selection {
  /** Stored record-batch index of each selected batch, ascending. */
  readonly stored: Uint32Array;
  /** Selected row indices of each selected batch, ascending. */
  readonly rows: readonly Uint32Array[];
  /** Rows selected in all. */
  readonly total: number;
}

/** Selections kept per snapshot (the most recent queries). */
const PER_SNAPSHOT = 16;
const cache = new WeakMap<DatasetSnapshot, Map<string, Selection>>();

/** Whether row `row` of stored batch `batch` is in TABLESAMPLE BERNOULLI(percent) REPEATABLE(seed). */
export function sampled(seed: number, batch: number, row: number, percent: number): boolean {
  return mixSeed(seed, batch, row, 0x73616d70) / 0x100000000 < percent / 100;
}

/** The plan of `text` over `dataset`. */
export function planFor(dataset: DatasetSnapshot, text: QueryText): QueryPlan {
  return bindQuery(parseQueryText(text), dataset.schema.header);
}

/**
 * The selection of `plan` over `dataset`, from the cache when an equal query ran on this version;
 * `limit` (default the query's LIMIT) keeps the first rows in stored order: a cluster's partition
 * keeps its part of the query's LIMIT (the ticket's "ql"), and the "select" action none.
 */
export function selectionOf(dataset: DatasetSnapshot, plan: QueryPlan, limit: number | undefined = plan.limit): Selection {
  const key = `${plan.key}|${limit ?? ''}`;
  let selections = cache.get(dataset);
  if (!selections) {
    selections = new Map();
    cache.set(dataset, selections);
  }
  const hit = selections.get(key);
  if (hit) {
    // Refresh its place: the map's order is its recency.
    selections.delete(key);
    selections.set(key, hit);
    return hit;
  }
  const selection = compute(dataset, plan, limit ?? Infinity);
  if (selections.size >= PER_SNAPSHOT) selections.delete(selections.keys().next().value!);
  selections.set(key, selection);
  return selection;
}

/** Batches the first scan of a query with a LIMIT covers; each later scan covers twice as many as the one before. */
const FIRST_LIMITED_SCAN = 8;

/**
 * The rows where `filter` holds in each stored batch, in order: scanned on the kernel's threads,
 * all batches at once, or under a LIMIT a few at a time, so a small LIMIT does not scan everything.
 */
function* filteredRows(dataset: DatasetSnapshot, batches: readonly StoredMessage[], filter: BatchFilter, limit: number): Generator<Uint32Array, void> {
  const inForce = filter.dictionaries.length > 0 ? dictionariesInForce(dataset) : undefined;
  let size = Number.isFinite(limit) ? FIRST_LIMITED_SCAN : batches.length;
  for (let from = 0; from < batches.length; from += size, size *= 2) {
    const inputs: FilterInput[] = [];
    let refusal: FlightError | undefined;
    for (let b = from; b < Math.min(batches.length, from + size) && !refusal; b++) {
      const dictionaries = new Map<bigint, BatchMessage>();
      for (const id of filter.dictionaries) {
        const messages = inForce![b]!.get(id) ?? [];
        if (messages.length !== 1) {
          refusal = new FlightError(Code.UNIMPLEMENTED, `dataset "${dataset.name}" extends dictionary ${id} with delta batches, which filters do not read yet`);
          break;
        }
        dictionaries.set(id, messages[0]!);
      }
      if (!refusal) inputs.push({ message: batches[b]!, rows: batches[b]!.rows, dictionaries });
    }
    const { selected, error } = filter.selectBatches(inputs);
    yield* selected;
    if (error !== undefined) throw error;
    if (refusal) throw refusal;
  }
}

function compute(dataset: DatasetSnapshot, plan: QueryPlan, limit: number): Selection {
  const batches = dataset.messages.filter((m) => m.kind === 'record_batch');
  const filtered = plan.filter ? filteredRows(dataset, batches, plan.filter, limit) : undefined;
  const stored: number[] = [];
  const rows: Uint32Array[] = [];
  let total = 0;
  for (let b = 0; b < batches.length && total < limit; b++) {
    let selected: Uint32Array = filtered ? (filtered.next().value as Uint32Array) : Uint32Array.from({ length: batches[b]!.rows }, (_, i) => i);
    if (plan.sample) {
      const { seed, percent } = plan.sample;
      selected = selected.filter((row) => sampled(seed, b, row, percent));
    }
    if (total + selected.length > limit) selected = selected.subarray(0, limit - total);
    if (selected.length === 0) continue;
    stored.push(b);
    rows.push(selected);
    total += selected.length;
  }
  return { stored: Uint32Array.from(stored), rows, total };
}

/** Selected rows of every stored batch of `dataset` (0 where none): what a shard tells a coordinator (the "select" action). */
export function selectedCounts(dataset: DatasetSnapshot, selection: Selection): number[] {
  const counts = new Array<number>(dataset.batchCount).fill(0);
  selection.stored.forEach((batch, i) => (counts[batch] = selection.rows[i]!.length));
  return counts;
}

/**
 * A layout as a query sees it: its batches are the batches with selected rows (`stored`, global
 * indices, ascending) and their rows the `counts` selected, each partition keeping its own; so
 * shares, tickets, cursors and total_records count what the query sends. Bytes are the stored
 * batches' bytes in proportion to the rows selected (an estimate).
 */
export function selectedLayout(layout: DatasetLayout, stored: ArrayLike<number>, counts: readonly number[]): DatasetLayout {
  const batches = stored.length;
  const globals = Array.from(stored);
  const batchBytes = globals.map((b, i) => Math.ceil((layout.batchBytes[b]! * counts[i]!) / Math.max(1, layout.batchRows[b]!)));
  // A partition keeps the selected batches that lie in it: [from, to) in the query's batch indices.
  let at = 0;
  const partitions = layout.partitions.map((partition) => {
    const from = at;
    while (at < batches && globals[at]! < partition.to) at++;
    return { ...partition, from, to: at };
  });
  return {
    ...layout,
    batches,
    rows: counts.reduce((sum, rows) => sum + rows, 0),
    batchRows: counts,
    batchHeaders: globals.map((b) => layout.batchHeaders[b]!),
    batchBytes,
    bytes: batchBytes.reduce((sum, bytes) => sum + bytes, 0),
    partitions: partitions.filter((partition) => partition.to > partition.from),
  };
}

/**
 * The "select" action: body {"dataset": stored name, "query": {"sql"} or {"filter"}}; result
 * {"counts": selected rows per stored batch}. A coordinator asks a replica of each partition.
 */
export function selectAction(store: { get(name: string): DatasetSnapshot | undefined }, body: string): { counts: number[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const request = parsed as { dataset?: unknown; query?: unknown } | undefined;
  if (typeof request !== 'object' || request === null || typeof request.dataset !== 'string') {
    throw new FlightError(Code.INVALID_ARGUMENT, 'select needs {"dataset": name, "query": {"sql": text} or {"filter": text}}');
  }
  // The query is checked as a ticket's "q" is.
  const query = decodeTicket(Buffer.from(JSON.stringify({ v: 2, dataset: request.dataset, q: request.query }))).query;
  if (!query) throw new FlightError(Code.INVALID_ARGUMENT, 'select needs "query"');
  const dataset = store.get(request.dataset);
  if (!dataset) throw new FlightError(Code.UNAVAILABLE, `this node does not hold "${request.dataset}"`);
  // Every selected row: the coordinator applies a LIMIT across partitions itself.
  return { counts: selectedCounts(dataset, selectionOf(dataset, planFor(dataset, query), undefined)) };
}
