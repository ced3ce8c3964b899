/**
 * Adoption: the catalog learns the partitions a member holds, so a coordinator that restarted
 * (its catalog starts empty) serves the datasets its shards still hold. A partition's stored name
 * says which dataset, put and global batches [from, to) it holds and how many batches the dataset
 * had after its put; the shard reports each batch's shape. Copies of one partition on several
 * members become one partition with several holders; partitions of one dataset are laid out by
 * their batch range, so appends keep their order. Batches that no member has reported (a gap, or
 * the rest of a put) become `missing` stand-in partitions: the dataset is `lost` and reads of those
 * batches fail as unavailable, rather than the dataset being served without them. Partitions of
 * puts this coordinator dropped, of datasets it dropped (unless it wrote them after the drop), and
 * of puts it is still writing are never adopted; nor are partitions of an earlier generation of a
 * dataset it has put afresh or appended to itself since it started.
 */
import { firstSchemaDifference } from '../../client/src/flight/protocol/schema-compare.js';
import { emptyDataset, PARTITION_NAME, parseStoredName, putOfStoredName, type Catalog, type CatalogDataset, type CatalogPartition, type PartitionName } from './catalog.js';
import { placeReplicas } from './placement.js';

/** What a member reports about one partition it holds. */
export interface PartitionFacts {
  readonly schemaHeader: Uint8Array;
  readonly schemaEncapsulated: Uint8Array;
  readonly batchRows: readonly number[];
  readonly batchHeaders: readonly Uint8Array[];
  readonly batchBytes: readonly number[];
  readonly dictionariesChange: boolean;
}

/** What one member holds. */
export interface Holdings {
  readonly member: string;
  /** The name of every dataset it stores. */
  readonly names: readonly string[];
  /** Facts of the partitions `toDescribe` named, by stored name (a name dropped meanwhile is absent). */
  readonly facts: ReadonlyMap<string, PartitionFacts>;
}

/** What adopting a member's holdings changed. */
export interface AdoptionReport {
  /** Partitions the catalog knew that now count this member as a holder. */
  claimed: number;
  /** Stored names taken into the catalog. */
  adopted: string[];
  /** Partitions left out, and why. */
  ignored: { storedName: string; reason: string }[];
  /** Datasets adopted into that still have batches no member has reported (status lost). */
  incomplete: string[];
  /** Held partitions of puts or datasets this coordinator dropped, not named in `dropped` yet: the member should drop them too. */
  stale: string[];
}

/** What the coordinator remembers that keeps unknown partitions out of its catalog (ClusterState has all three). */
export interface AdoptionGuards {
  /** Stored names of partitions this coordinator dropped: every partition of their puts stays out. */
  readonly dropped: ReadonlySet<string>;
  /** Datasets this coordinator dropped: their partitions it does not know predate the drop and stay out. */
  readonly droppedDatasets: ReadonlySet<string>;
  /** Puts this coordinator is still writing, as "dataset#nonce": it records them itself once they are stored. */
  readonly pendingPuts: ReadonlySet<string>;
  /** Puts of dropped datasets, as "dataset#nonce", from the shards' tombstones (absent: none known). */
  readonly tombstones?: ReadonlySet<string>;
}

/** How an unknown partition stands: of a put still being written, of a dropped put or dataset, or open to adoption. */
type Standing = 'pending' | 'dropped' | 'open';

/** A partition reported with its facts, not yet in the catalog. */
interface Candidate extends PartitionName {
  readonly storedName: string;
  readonly facts: PartitionFacts;
}

/** A partition of the rebuilt layout and the shape of its batches. */
interface Entry {
  readonly partition: CatalogPartition;
  readonly batchRows: readonly number[];
  readonly batchHeaders: readonly Uint8Array[];
  readonly batchBytes: readonly number[];
}

/** The put a partition name belongs to, as "dataset#nonce" (the key of pendingPuts), or undefined for other names. */
function putKeyOf(storedName: string): string | undefined {
  const put = putOfStoredName(storedName);
  return put ? `${put.dataset}#${put.nonce}` : undefined;
}

/** Judges unknown partition names against the guards; the dropped puts are gathered once per call. */
function standingOf(guards: AdoptionGuards): (storedName: string) => Standing {
  // A dataset drop or a failed put removes every partition of the put.
  const droppedPuts = new Set<string>();
  for (const name of guards.dropped) {
    const put = putKeyOf(name);
    if (put !== undefined) droppedPuts.add(put);
  }
  return (storedName) => {
    const key = putKeyOf(storedName)!;
    // Checked first: a put written after its dataset was dropped is not stale.
    if (guards.pendingPuts.has(key)) return 'pending';
    if (droppedPuts.has(key) || guards.tombstones?.has(key)) return 'dropped';
    return guards.droppedDatasets.has(putOfStoredName(storedName)!.dataset) ? 'dropped' : 'open';
  };
}

/** Every partition of the catalog by stored name, with its dataset (one pass, not one per name). */
function partitionsByName(catalog: Catalog): Map<string, { dataset: CatalogDataset; partition: CatalogPartition }> {
  const index = new Map<string, { dataset: CatalogDataset; partition: CatalogPartition }>();
  for (const dataset of catalog.list()) for (const partition of dataset.partitions) index.set(partition.storedName, { dataset, partition });
  return index;
}

/** The held partitions the catalog does not know and may adopt: the names to ask the member to describe. */
export function toDescribe(catalog: Catalog, names: readonly string[], guards: AdoptionGuards): string[] {
  const standing = standingOf(guards);
  const known = partitionsByName(catalog);
  return names.filter((name) => parseStoredName(name) !== undefined && !known.has(name) && standing(name) === 'open');
}

/** Records `member` as a holder of a known partition; false for a copy beyond the wanted replicas (refill judges those). */
function claim(datasetName: string, partition: CatalogPartition, member: string, replicas: number): boolean {
  if (!partition.placement.includes(member)) {
    if (partition.placement.length >= replicas) return false;
    const holders = [...partition.placement, member];
    partition.placement = placeReplicas(`${datasetName}/${partition.storedName}`, holders, holders.length);
  }
  partition.stored.add(member);
  return true;
}

/** Why a candidate cannot join a dataset with this schema, or undefined when it can. */
function unfit(candidate: Candidate, schemaHeader: Uint8Array): string | undefined {
  const { facts, from, to } = candidate;
  const batches = facts.batchRows.length;
  if (batches !== to - from || facts.batchHeaders.length !== batches || facts.batchBytes.length !== batches) {
    return `it holds ${batches} record batches but its name says batches [${from}, ${to})`;
  }
  const difference = firstSchemaDifference(schemaHeader, facts.schemaHeader);
  return difference === undefined ? undefined : `its schema differs from the dataset's: ${difference}`;
}

/** A stand-in for global batches [from, to) that no member has reported. */
function missingPartition(dataset: string, index: number, from: number, to: number): CatalogPartition {
  return { index, storedName: `${dataset}#p${index}.missing.b${from}-${to}`, from, to, rows: 0, bytes: 0, placement: [], stored: new Set(), missing: true, adopted: true };
}

/** Empties `target` and fills it with `source` (no spread: arrays may be long). */
function replaceAll<T>(target: T[], source: Iterable<T>): void {
  target.length = 0;
  for (const item of source) target.push(item);
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/**
 * Lays out a dataset's partitions by batch range: the catalog's own plus the accepted candidates,
 * with a `missing` stand-in wherever batches [0, total) are not covered. A dataset the catalog holds
 * is updated in place and keeps its partition objects (placement, holders), so a put appending to
 * it meanwhile appends to the same entry.
 */
function rebuild(name: string, existing: CatalogDataset | undefined, accepted: readonly Candidate[], member: string): CatalogDataset {
  const first = accepted[0]!.facts;
  const entries: Entry[] = (existing?.partitions ?? [])
    .filter((p) => !p.missing)
    .map((partition) => ({
      partition,
      batchRows: existing!.batchRows.slice(partition.from, partition.to),
      batchHeaders: existing!.batchHeaders.slice(partition.from, partition.to),
      batchBytes: existing!.batchBytes.slice(partition.from, partition.to),
    }));
  for (const candidate of accepted) {
    const { facts } = candidate;
    entries.push({
      partition: {
        index: candidate.index,
        storedName: candidate.storedName,
        from: candidate.from,
        to: candidate.to,
        rows: sum(facts.batchRows),
        bytes: sum(facts.batchBytes),
        placement: [member],
        stored: new Set([member]),
        adopted: true,
      },
      ...facts,
    });
  }
  entries.sort((a, b) => a.partition.from - b.partition.from);
  const total = accepted.reduce((most, c) => Math.max(most, c.end), existing?.batchRows.length ?? 0);
  // Planning sizes projected reads from batch headers; a missing batch borrows a real one's (reads of it fail anyway).
  const standIn = entries[0]!.batchHeaders[0]!;
  const partitions: CatalogPartition[] = [];
  const batchRows: number[] = [];
  const batchHeaders: Uint8Array[] = [];
  const batchBytes: number[] = [];
  let at = 0;
  const fillMissing = (to: number): void => {
    if (to <= at) return;
    partitions.push(missingPartition(name, (partitions[partitions.length - 1]?.index ?? -1) + 1, at, to));
    for (; at < to; at++) {
      batchRows.push(0);
      batchHeaders.push(standIn);
      batchBytes.push(0);
    }
  };
  for (const entry of entries) {
    fillMissing(entry.partition.from);
    partitions.push(entry.partition);
    for (let i = 0; i < entry.batchRows.length; i++) {
      batchRows.push(entry.batchRows[i]!);
      batchHeaders.push(entry.batchHeaders[i]!);
      batchBytes.push(entry.batchBytes[i]!);
    }
    at = entry.partition.to;
  }
  fillMissing(total);
  const dataset = existing ?? emptyDataset(name, first.schemaHeader, first.schemaEncapsulated);
  replaceAll(dataset.partitions, partitions);
  replaceAll(dataset.batchRows, batchRows);
  replaceAll(dataset.batchHeaders, batchHeaders);
  replaceAll(dataset.batchBytes, batchBytes);
  dataset.rows = sum(batchRows);
  dataset.bytes = sum(batchBytes);
  // A partition holds every dictionary batch of its put up to its last batch, so any change shows in one.
  dataset.dictionariesChange ||= accepted.some((c) => c.facts.dictionariesChange);
  return dataset;
}

/**
 * The first batch this coordinator wrote itself (Infinity when none): its puts follow the earlier,
 * adopted generation of the dataset, so only puts of that generation, which ended at or before this
 * batch, may still be adopted into it.
 */
function ownFrom(dataset: CatalogDataset | undefined): number {
  let first = Infinity;
  for (const p of dataset?.partitions ?? []) if (!p.adopted && !p.missing) first = Math.min(first, p.from);
  return first;
}

/** Why a candidate is of a generation of the dataset older than this coordinator's own puts, or undefined when it is not. */
function olderGeneration(candidate: Candidate, own: number): string | undefined {
  if (candidate.end <= own) return undefined;
  const since = own === 0 ? 'put afresh' : `appended to from batch ${own} on`;
  return `its put (batches up to ${candidate.end}) is of an earlier generation of the dataset, which this coordinator has ${since} since it started: its batches overlap or follow those`;
}

/** Takes the candidates of one dataset that fit it (schema, batch count, generation, no overlap) into the catalog. */
function adoptDataset(catalog: Catalog, name: string, candidates: Candidate[], member: string, report: AdoptionReport): void {
  const existing = catalog.get(name);
  candidates.sort((a, b) => a.from - b.from || (a.storedName < b.storedName ? -1 : 1));
  const schemaHeader = existing?.schemaHeader ?? candidates[0]!.facts.schemaHeader;
  const own = ownFrom(existing);
  const taken: { from: number; to: number; storedName: string }[] = (existing?.partitions ?? []).filter((p) => !p.missing);
  const accepted: Candidate[] = [];
  for (const candidate of candidates) {
    const overlap = taken.find((p) => p.from < candidate.to && candidate.from < p.to);
    const reason =
      unfit(candidate, schemaHeader) ??
      olderGeneration(candidate, own) ??
      (overlap ? `its batches [${candidate.from}, ${candidate.to}) overlap those of partition ${overlap.storedName} (another put of the same batches)` : undefined);
    if (reason !== undefined) {
      report.ignored.push({ storedName: candidate.storedName, reason });
      continue;
    }
    accepted.push(candidate);
    taken.push(candidate);
  }
  if (accepted.length === 0) return;
  const dataset = rebuild(name, existing, accepted, member);
  catalog.set(dataset);
  report.adopted.push(...accepted.map((c) => c.storedName));
  if (dataset.partitions.some((p) => p.missing)) report.incomplete.push(name);
}

/**
 * Takes what a member holds into the catalog: known partitions gain it as a holder (up to `replicas`
 * holders), partitions the catalog lacks are adopted with their facts unless the guards keep them out.
 */
export function adoptHoldings(catalog: Catalog, holdings: Holdings, options: AdoptionGuards & { readonly replicas: number }): AdoptionReport {
  const report: AdoptionReport = { claimed: 0, adopted: [], ignored: [], incomplete: [], stale: [] };
  const standing = standingOf(options);
  const index = partitionsByName(catalog);
  const byDataset = new Map<string, Candidate[]>();
  for (const storedName of holdings.names) {
    if (!PARTITION_NAME.test(storedName)) continue;
    const known = index.get(storedName);
    if (known) {
      if (claim(known.dataset.name, known.partition, holdings.member, options.replicas)) report.claimed++;
      continue;
    }
    const stands = standing(storedName);
    if (stands === 'pending') continue;
    if (stands === 'dropped') {
      if (!options.dropped.has(storedName)) report.stale.push(storedName);
      continue;
    }
    const parsed = parseStoredName(storedName);
    if (!parsed) {
      report.ignored.push({ storedName, reason: 'its name does not record its batch range (written by an older coordinator)' });
      continue;
    }
    const facts = holdings.facts.get(storedName);
    if (!facts) continue;
    const group = byDataset.get(parsed.dataset) ?? [];
    group.push({ ...parsed, storedName, facts });
    byDataset.set(parsed.dataset, group);
  }
  for (const [name, candidates] of byDataset) adoptDataset(catalog, name, candidates, holdings.member, report);
  return report;
}
