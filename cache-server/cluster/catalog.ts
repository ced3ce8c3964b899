/**
 * The coordinator's catalog: every dataset's schema, per-batch shape, and partitions with the
 * shards they were placed on and the shards known to store them. Which of those are live is the
 * membership's business; the catalog turns both into a reader's layout and a health status.
 */
import type { DatasetLayout } from '../node/read-plan.js';

/** One partition: global batches [from, to), stored on shards as `storedName`. */
export interface CatalogPartition {
  readonly index: number;
  readonly storedName: string;
  readonly from: number;
  readonly to: number;
  readonly rows: number;
  readonly bytes: number;
  /** Member ids it is placed on, in placement (preference) order; rebalancing replaces it. */
  placement: readonly string[];
  /** Member ids that have acknowledged a complete copy. */
  readonly stored: Set<string>;
  /**
   * A stand-in for batches that no shard has reported since this coordinator started (a partition
   * adopted back is missing): it has no copy and no placement, so reads of it fail as unavailable.
   */
  readonly missing?: true;
  /** Taken in from a shard's holdings (or missing), not written by this coordinator: an earlier generation of the dataset. */
  readonly adopted?: true;
}

/** One dataset as the coordinator knows it. */
export interface CatalogDataset {
  readonly name: string;
  readonly schemaHeader: Uint8Array;
  readonly schemaEncapsulated: Uint8Array;
  readonly batchRows: number[];
  readonly batchHeaders: Uint8Array[];
  readonly batchBytes: number[];
  rows: number;
  bytes: number;
  /** Some put replaced or extended a dictionary between its batches (no shuffled reads). */
  dictionariesChange: boolean;
  readonly partitions: CatalogPartition[];
}

/** A dataset with this schema and no batches yet, to which a put or an adoption adds partitions. */
export function emptyDataset(name: string, schemaHeader: Uint8Array, schemaEncapsulated: Uint8Array): CatalogDataset {
  return { name, schemaHeader, schemaEncapsulated, batchRows: [], batchHeaders: [], batchBytes: [], rows: 0, bytes: 0, dictionariesChange: false, partitions: [] };
}

/** The index of a put's first partition: one past the highest (after adoption, one missing stand-in may stand for several indices). */
export function nextPartitionIndex(dataset: CatalogDataset | undefined): number {
  let next = 0;
  for (const p of dataset?.partitions ?? []) next = Math.max(next, p.index + 1);
  return next;
}

/** How a dataset stands: every partition with R live copies, some with fewer, or some with none. */
export type DatasetStatus = 'healthy' | 'degraded' | 'lost';

/** Resolves a member id to its location while it is live (up and refilled), else undefined. */
export type LiveLocation = (memberId: string) => string | undefined;

/**
 * Stored names of partitions look like `NAME#p3.1a2b3c4d.b10-15of40`: partition 3 of put 1a2b3c4d,
 * global batches [10, 15) of the 40 the dataset had after that put. Names without the batch range
 * (`NAME#p3.1a2b3c4d`) were written before it was recorded. Anything else on a shard is not ours.
 */
export const PARTITION_NAME = /#p\d+\.[0-9a-f]+(?:\.b\d+-\d+of\d+)?$/;

/** PARTITION_NAME with its parts captured: dataset, index, nonce, then from, to and end when the range is recorded. */
const STORED_NAME = /^(.*)#p(\d+)\.([0-9a-f]+)(?:\.b(\d+)-(\d+)of(\d+))?$/;

/** Where a partition's batches sit in its dataset: global batches [from, to), and the dataset's batch count after its put. */
export interface PartitionRange {
  readonly from: number;
  readonly to: number;
  readonly end: number;
}

/** What a stored partition name says about the partition. */
export interface PartitionName extends PartitionRange {
  readonly dataset: string;
  readonly index: number;
  /** Identifies the put that wrote it (every partition of one put shares it). */
  readonly nonce: string;
}

/** The stored name of partition `index` of `dataset` (unique per put, so a re-put never meets old copies). */
export function storedNameOf(dataset: string, index: number, nonce: string, range: PartitionRange): string {
  return `${dataset}#p${index}.${nonce}.b${range.from}-${range.to}of${range.end}`;
}

/** Parses a stored name written by storedNameOf; undefined for any other name (older partition names included). */
export function parseStoredName(storedName: string): PartitionName | undefined {
  const match = STORED_NAME.exec(storedName);
  if (!match || match[4] === undefined) return undefined;
  const [index, from, to, end] = [match[2], match[4], match[5], match[6]].map(Number) as [number, number, number, number];
  if (![index, from, to, end].every(Number.isSafeInteger) || from >= to || to > end) return undefined;
  return { dataset: match[1]!, index, nonce: match[3]!, from, to, end };
}

/** The put a partition name belongs to (its dataset and nonce), ranged or not; undefined for any other name. */
export function putOfStoredName(storedName: string): { dataset: string; nonce: string } | undefined {
  const match = STORED_NAME.exec(storedName);
  return match ? { dataset: match[1]!, nonce: match[3]! } : undefined;
}

/** The live locations of a partition, in placement order. */
export function liveLocations(partition: CatalogPartition, live: LiveLocation): string[] {
  const out: string[] = [];
  for (const id of partition.placement) {
    const location = partition.stored.has(id) ? live(id) : undefined;
    if (location !== undefined) out.push(location);
  }
  return out;
}

/** A dataset as a reader's layout: each partition at its live replicas; `hostOf` names a member's host ('' when unknown). */
export function layoutOf(
  dataset: CatalogDataset,
  live: LiveLocation,
  placedLocation: (memberId: string) => string,
  hostOf: (memberId: string) => string = () => '',
): DatasetLayout {
  return {
    name: dataset.name,
    schemaHeader: dataset.schemaHeader,
    schemaEncapsulated: dataset.schemaEncapsulated,
    batches: dataset.batchRows.length,
    rows: dataset.rows,
    batchRows: dataset.batchRows,
    batchHeaders: dataset.batchHeaders,
    batchBytes: dataset.batchBytes,
    bytes: dataset.bytes,
    partitioned: true,
    dictionariesChange: dataset.dictionariesChange,
    partitions: dataset.partitions.map((p) => ({
      index: p.index,
      from: p.from,
      to: p.to,
      storedName: p.storedName,
      locations: liveLocations(p, live),
      placed: p.placement.map(placedLocation),
      locationHosts: p.placement.filter((id) => p.stored.has(id) && live(id) !== undefined).map(hostOf),
      placedHosts: p.placement.map(hostOf),
    })),
  };
}

/**
 * Health of a dataset given `replicas` wanted copies and `members` known members: a partition
 * wants min(replicas, max(its placement, members)) live copies, so a partition adopted back from
 * fewer holders than that is degraded, while one placed on fewer members than R because fewer were
 * known is not.
 */
export function statusOf(
  dataset: CatalogDataset,
  live: LiveLocation,
  replicas: number,
  members: number,
): { status: DatasetStatus; degraded: number[]; lost: number[] } {
  const degraded: number[] = [];
  const lost: number[] = [];
  for (const partition of dataset.partitions) {
    const copies = liveLocations(partition, live).length;
    if (copies === 0) lost.push(partition.index);
    else if (copies < Math.min(replicas, Math.max(partition.placement.length, members))) degraded.push(partition.index);
  }
  return { status: lost.length > 0 ? 'lost' : degraded.length > 0 ? 'degraded' : 'healthy', degraded, lost };
}

/** The datasets a coordinator holds. */
export class Catalog {
  readonly #datasets = new Map<string, CatalogDataset>();

  /** The dataset of that name. */
  get(name: string): CatalogDataset | undefined {
    return this.#datasets.get(name);
  }

  /** All datasets, by name. */
  list(): CatalogDataset[] {
    return [...this.#datasets.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Adds a dataset or replaces its entry. */
  set(dataset: CatalogDataset): void {
    this.#datasets.set(dataset.name, dataset);
  }

  /** Removes a dataset; returns it. */
  drop(name: string): CatalogDataset | undefined {
    const dataset = this.#datasets.get(name);
    this.#datasets.delete(name);
    return dataset;
  }

  /** Every partition placed on a member. */
  placedOn(memberId: string): CatalogPartition[] {
    return this.list().flatMap((d) => d.partitions.filter((p) => p.placement.includes(memberId)));
  }

  /** The partition stored under this name, if some dataset has it. */
  partition(storedName: string): CatalogPartition | undefined {
    for (const dataset of this.#datasets.values()) {
      const found = dataset.partitions.find((p) => p.storedName === storedName);
      if (found) return found;
    }
    return undefined;
  }
}
