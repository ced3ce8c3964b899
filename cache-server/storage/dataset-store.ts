/**
 * The in-memory catalogue of datasets. A dataset is a schema plus the dictionary and record batch
 * messages received for it, in order, each in its own region. Readers get immutable snapshots, so a
 * DoGet streaming one is unaffected by later appends and drops; dropped memory is returned to the
 * budget at once and freed physically when the last snapshot view is collected.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { firstDictionaryIdDifference, firstSchemaDifference } from '../../client/src/flight/protocol/schema-compare.js';
import { stats as nativeStats } from '../../native/lib/addon.js';
import { NativeAllocator, type Allocator, type Arena, type Region } from './allocator.js';
import { PutTransaction, type PendingPut } from './put-transaction.js';
import { SpillingAllocator, spillMessages } from './spill.js';
import { allocateEncapsulated, type EncapsulatedMessage, type EncapsulatedRegion, type StoredMessage } from './stored-message.js';

/** Describes how two Schema message flatbuffers differ, or undefined when they are compatible. */
export type SchemaComparator = (existing: Uint8Array, incoming: Uint8Array) => string | undefined;

/** An immutable view of a dataset at one moment. */
export interface DatasetSnapshot {
  readonly name: string;
  /** The Schema message; `schema.header` is its flatbuffer. */
  readonly schema: EncapsulatedMessage;
  /** Dictionary and record batches in the order they were received. */
  readonly messages: readonly StoredMessage[];
  /** Sum of the record batches' rows (dictionary batches do not add rows). */
  readonly rows: number;
  /** Bytes charged to the allocator for this dataset: every region, the schema's included. */
  readonly bytes: number;
  /** Number of record batches. */
  readonly batchCount: number;
}

/** Totals across the store and its memory. */
export interface StoreStats {
  readonly datasets: number;
  readonly rows: number;
  /** Bytes of committed datasets. */
  readonly bytes: number;
  /** Bytes charged to the allocator, including puts not yet committed. */
  readonly usedBytes: number;
  readonly limitBytes: number;
  /** Native bytes still allocated in this process, including released regions not yet collected. */
  readonly liveNativeBytes: number;
}

/** Construction options; each defaults to the production implementation. */
export interface DatasetStoreOptions {
  readonly allocator?: Allocator;
  readonly compareSchemas?: SchemaComparator;
  /** Asked after compareSchemas accepts: appended dictionary batches carry the new data's ids. */
  readonly compareDictionaryIds?: SchemaComparator;
  /**
   * A directory for the disk tier: an allocation past the budget first spills the least recently
   * read datasets there (spill.ts). Undefined: it fails with RESOURCE_EXHAUSTED.
   */
  readonly spillDir?: string;
}

/** Where a dataset's messages are: budgeted memory, or a mapped spill file (some appended ones may be in memory). */
export type DatasetTier = 'memory' | 'disk';

interface Dataset {
  /** The schema's region, or the spill file's stand-in once spilled. */
  schemaRegion: Region;
  /** Memory regions of messages (empty once spilled, until an append). */
  regions: Region[];
  snapshot: DatasetSnapshot;
  /** When it was last read or written, in the store's own count. */
  lastUsed: number;
  /** True once spilled: schemaRegion is a spill file's. */
  spilled: boolean;
}

const MAX_NAME_LENGTH = 255;

/** Throws INVALID_ARGUMENT unless `name` can name a dataset. */
export function validateDatasetName(name: string): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new FlightError(Code.INVALID_ARGUMENT, 'dataset name must be a non-empty string');
  }
  const length = [...name].length;
  if (length > MAX_NAME_LENGTH) {
    throw new FlightError(Code.INVALID_ARGUMENT, `dataset name is ${length} characters long; the limit is ${MAX_NAME_LENGTH}`);
  }
  const control = name.search(/[\u0000-\u001f\u007f-\u009f]/);
  if (control >= 0) {
    throw new FlightError(Code.INVALID_ARGUMENT, `dataset name ${JSON.stringify(name)} contains a control character at index ${control}`);
  }
  if (name.includes('/')) {
    throw new FlightError(Code.INVALID_ARGUMENT, `dataset name ${JSON.stringify(name)} must not contain '/'`);
  }
}

function freezeSnapshot(name: string, schema: EncapsulatedMessage, messages: readonly StoredMessage[], bytes: number): DatasetSnapshot {
  let rows = 0;
  let batchCount = 0;
  for (const message of messages) {
    if (message.kind !== 'record_batch') continue;
    rows += message.rows;
    batchCount++;
  }
  return Object.freeze({ name, schema, messages: Object.freeze(messages.slice()), rows, bytes, batchCount });
}

/** The catalogue; all methods are synchronous, so each one is atomic with respect to the others. */
export class DatasetStore {
  readonly #datasets = new Map<string, Dataset>();
  readonly #allocator: Allocator;
  readonly #compareSchemas: SchemaComparator;
  readonly #compareDictionaryIds: SchemaComparator;
  readonly #spillDir: string | undefined;
  #uses = 0;

  constructor(options: DatasetStoreOptions = {}) {
    const allocator = options.allocator ?? new NativeAllocator();
    this.#spillDir = options.spillDir;
    this.#allocator = options.spillDir === undefined ? allocator : new SpillingAllocator(allocator, () => this.#spillLeastRecentlyRead());
    this.#compareSchemas = options.compareSchemas ?? firstSchemaDifference;
    this.#compareDictionaryIds = options.compareDictionaryIds ?? firstDictionaryIdDifference;
  }

  /**
   * Starts a put of messages with this schema, its regions from `arena` (the caller closes it) or
   * from an arena of its own. INVALID_ARGUMENT for a bad name, or when the dataset exists with a
   * schema or dictionary ids a comparator rejects (its message is passed through unchanged).
   */
  beginPut(name: string, schemaFlatbuffer: Uint8Array, arena?: Arena): PutTransaction {
    validateDatasetName(name);
    const existing = this.#datasets.get(name);
    if (existing) this.#checkSchema(existing, schemaFlatbuffer);
    return new PutTransaction(name, schemaFlatbuffer, arena ?? this.#allocator.openArena(), (put) => this.#commit(put), arena === undefined);
  }

  /** An arena for one dataset write (DoPut call), shared by allocateMessage and beginPut; the caller closes it. */
  openArena(): Arena {
    return this.#allocator.openArena();
  }

  /**
   * Allocates one message region from `arena`, charged to the budget but owned by no put yet: for
   * bodies that land before their put has begun. The caller hands it to PutTransaction.adopt or releases it.
   */
  allocateMessage(flatbuffer: Uint8Array, bodyLength: number, arena: Arena): EncapsulatedRegion {
    return allocateEncapsulated(arena, flatbuffer, bodyLength, 'message');
  }

  /** The dataset as it is now, or undefined. */
  get(name: string): DatasetSnapshot | undefined {
    const dataset = this.#datasets.get(name);
    if (dataset) dataset.lastUsed = ++this.#uses;
    return dataset?.snapshot;
  }

  /** The dataset's tier: 'disk' once spilled with nothing appended in memory since; undefined when there is none. */
  tierOf(name: string): DatasetTier | undefined {
    const dataset = this.#datasets.get(name);
    if (!dataset) return undefined;
    return dataset.spilled && dataset.regions.length === 0 ? 'disk' : 'memory';
  }

  /** Every dataset, sorted by name (UTF-16 code unit order). */
  list(): DatasetSnapshot[] {
    return [...this.#datasets.keys()].sort().map((name) => (this.#datasets.get(name) as Dataset).snapshot);
  }

  /** Removes the dataset and returns its bytes to the budget; false when there was none. */
  drop(name: string): boolean {
    return this.#remove(name, (region) => region.release());
  }

  /**
   * Drops the dataset and frees its memory now (every view of its snapshots becomes empty): for a
   * dataset that nothing streams or sends any more, such as a put staged and fully copied elsewhere.
   */
  free(name: string): boolean {
    return this.#remove(name, (region) => region.free());
  }

  /** Totals over all datasets plus the allocator's and the process's native memory. */
  stats(): StoreStats {
    let rows = 0;
    let bytes = 0;
    for (const { snapshot } of this.#datasets.values()) {
      rows += snapshot.rows;
      bytes += snapshot.bytes;
    }
    return {
      datasets: this.#datasets.size,
      rows,
      bytes,
      usedBytes: this.#allocator.usedBytes,
      limitBytes: this.#allocator.limitBytes,
      liveNativeBytes: nativeStats().liveBytes,
    };
  }

  #remove(name: string, letGo: (region: Region) => void): boolean {
    const dataset = this.#datasets.get(name);
    if (!dataset) return false;
    this.#datasets.delete(name);
    letGo(dataset.schemaRegion);
    for (const region of dataset.regions) letGo(region);
    return true;
  }

  /**
   * Moves the least recently read dataset holding memory to a spill file; false when none holds any.
   * Its snapshot changes to views of the file with the same bytes; readers of the old one keep theirs.
   */
  #spillLeastRecentlyRead(): boolean {
    let oldest: [string, Dataset] | undefined;
    for (const entry of this.#datasets) {
      const holdsMemory = !entry[1].spilled || entry[1].regions.length > 0;
      if (holdsMemory && (!oldest || entry[1].lastUsed < oldest[1].lastUsed)) oldest = entry;
    }
    if (!oldest) return false;
    const [name, dataset] = oldest;
    const spilled = spillMessages(this.#spillDir!, dataset.snapshot.schema, dataset.snapshot.messages);
    dataset.schemaRegion.release();
    for (const region of dataset.regions) region.release();
    dataset.schemaRegion = spilled.region;
    dataset.regions = [];
    dataset.spilled = true;
    dataset.snapshot = freezeSnapshot(name, spilled.schema, spilled.messages, dataset.snapshot.bytes);
    return true;
  }

  #checkSchema(dataset: Dataset, incoming: Uint8Array): void {
    const existing = dataset.snapshot.schema.header;
    // Stored messages are replayed after the dataset's schema, so appended dictionary batches must
    // use the ids it declares; the id check assumes the schemas match, hence the order.
    const difference = this.#compareSchemas(existing, incoming) ?? this.#compareDictionaryIds(existing, incoming);
    if (difference !== undefined) throw new FlightError(Code.INVALID_ARGUMENT, difference);
  }

  #commit(put: PendingPut): DatasetSnapshot {
    const added = put.regions.reduce((sum, region) => sum + region.bytes.byteLength, 0);
    const existing = this.#datasets.get(put.name);
    if (!existing) {
      const bytes = put.schemaRegion.bytes.byteLength + added;
      const snapshot = freezeSnapshot(put.name, put.schema, put.messages, bytes);
      this.#datasets.set(put.name, { schemaRegion: put.schemaRegion, regions: [...put.regions], snapshot, lastUsed: ++this.#uses, spilled: false });
      return snapshot;
    }
    // A concurrent put may have created the dataset (or a drop and re-put replaced it) since beginPut.
    this.#checkSchema(existing, put.schema.header);
    put.schemaRegion.release();
    existing.regions.push(...put.regions);
    existing.lastUsed = ++this.#uses;
    const previous = existing.snapshot;
    existing.snapshot = freezeSnapshot(put.name, previous.schema, [...previous.messages, ...put.messages], previous.bytes + added);
    return existing.snapshot;
  }
}
