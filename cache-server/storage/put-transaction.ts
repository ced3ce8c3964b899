/**
 * One DoPut into the store: messages land in regions charged to the budget as they arrive and become
 * visible only at commit. Whoever begins a put finishes it: the DoPut handler commits at the end of
 * the stream and aborts on any error or cancellation (abort after commit does nothing, so `finally`
 * may call it). A transaction dropped without either still returns its budget, when it is collected.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { Arena, Region } from './allocator.js';
import type { DatasetSnapshot } from './dataset-store.js';
import {
  allocateEncapsulated,
  type EncapsulatedMessage,
  type EncapsulatedRegion,
  type MessageKind,
  type StoredMessage,
} from './stored-message.js';

/** What a transaction hands to the store at commit; the store takes ownership of every region. */
export interface PendingPut {
  readonly name: string;
  readonly schema: EncapsulatedMessage;
  readonly schemaRegion: Region;
  readonly messages: readonly StoredMessage[];
  readonly regions: readonly Region[];
}

/** Describes a message being appended. */
export interface AppendInfo {
  readonly kind: MessageKind;
  readonly rows: number;
}

interface Allocation {
  readonly region: Region;
  readonly message: EncapsulatedMessage;
  /** Set once appended. */
  stored?: StoredMessage;
}

interface Appended {
  readonly region: Region;
  readonly stored: StoredMessage;
}

/** Releases the regions of transactions that were collected while still open. */
const abandoned = new FinalizationRegistry<Set<Region>>((regions) => {
  for (const region of regions) region.release();
});

/** A put in progress; see the module comment for who commits and who aborts. */
export class PutTransaction {
  #state: 'open' | 'committed' | 'aborted' = 'open';
  /** Every region this transaction still owns; shared with the finalization registry. */
  readonly #owned = new Set<Region>();
  readonly #allocations = new Map<ArrayBufferLike, Allocation>();
  readonly #appended: Appended[] = [];
  readonly #schema: EncapsulatedMessage;
  readonly #schemaRegion: Region;

  /**
   * Regions come from `arena`; the transaction closes it when it finishes if `ownsArena` (else the
   * caller, which shares it with allocations made before the put began, does).
   */
  constructor(
    readonly name: string,
    schemaFlatbuffer: Uint8Array,
    private readonly arena: Arena,
    private readonly commitToStore: (put: PendingPut) => DatasetSnapshot,
    private readonly ownsArena: boolean,
  ) {
    const { region, message } = allocateEncapsulated(arena, schemaFlatbuffer, 0, 'schema');
    this.#schema = message;
    this.#schemaRegion = region;
    this.#owned.add(region);
    abandoned.register(this, this.#owned, this);
  }

  /** The schema's Message flatbuffer as stored. */
  get schema(): Uint8Array {
    return this.#schema.header;
  }

  /**
   * Allocates a region for one message, writes its prefix and flatbuffer, and returns the empty
   * 64-byte-aligned body for the caller to fill. RESOURCE_EXHAUSTED leaves the transaction usable.
   */
  allocateMessage(flatbuffer: Uint8Array, bodyLength: number): Uint8Array {
    this.#requireOpen('allocateMessage');
    const allocation = allocateEncapsulated(this.arena, flatbuffer, bodyLength, 'message');
    this.#own(allocation);
    return allocation.message.body;
  }

  /**
   * Takes over a region allocated outside the transaction (DatasetStore.allocateMessage: a body that
   * arrived before its put began) and appends it.
   */
  adopt(allocation: EncapsulatedRegion, info: AppendInfo): void {
    this.#requireOpen('adopt');
    this.#own(allocation);
    this.append(allocation.message.body, info);
  }

  #own({ region, message }: EncapsulatedRegion): void {
    this.#owned.add(region);
    this.#allocations.set(region.bytes.buffer, { region, message });
  }

  /** Records the message whose body view `allocateMessage` returned, after the ones appended before. */
  append(body: Uint8Array, info: AppendInfo): void {
    this.#requireOpen('append');
    const allocation = this.#allocations.get(body.buffer);
    if (
      !allocation ||
      allocation.message.body.byteOffset !== body.byteOffset ||
      allocation.message.body.byteLength !== body.byteLength
    ) {
      throw new FlightError(Code.INVALID_ARGUMENT, 'append: body is not a view returned by allocateMessage of this put');
    }
    if (allocation.stored) throw new FlightError(Code.INVALID_ARGUMENT, 'append: this message was already appended');
    if (info.kind !== 'record_batch' && info.kind !== 'dictionary_batch') {
      throw new FlightError(Code.INVALID_ARGUMENT, `append: kind must be record_batch or dictionary_batch, got ${String(info.kind)}`);
    }
    if (!Number.isSafeInteger(info.rows) || info.rows < 0) {
      throw new FlightError(Code.INVALID_ARGUMENT, `append: rows must be a non-negative integer, got ${info.rows}`);
    }
    allocation.stored = Object.freeze({ ...allocation.message, kind: info.kind, rows: info.rows });
    this.#appended.push({ region: allocation.region, stored: allocation.stored });
  }

  /** Allocates, copies `body` in and appends: for loaders whose bodies are already in memory. */
  appendMessage(flatbuffer: Uint8Array, body: Uint8Array, info: AppendInfo): void {
    const target = this.allocateMessage(flatbuffer, body.length);
    target.set(body);
    this.append(target, info);
  }

  /**
   * Makes the appended messages visible after the dataset's existing ones, creating it if needed.
   * Allocated but unappended messages are released. If the store refuses (e.g. the dataset was
   * created meanwhile with another schema) the transaction is aborted and the error rethrown.
   */
  commit(): DatasetSnapshot {
    this.#requireOpen('commit');
    const put: PendingPut = {
      name: this.name,
      schema: this.#schema,
      schemaRegion: this.#schemaRegion,
      messages: this.#appended.map((appended) => appended.stored),
      regions: this.#appended.map((appended) => appended.region),
    };
    let snapshot: DatasetSnapshot;
    try {
      snapshot = this.commitToStore(put);
    } catch (err) {
      this.abort();
      throw err;
    }
    this.#state = 'committed';
    for (const allocation of this.#allocations.values()) {
      if (!allocation.stored) allocation.region.release();
    }
    this.#finish();
    return snapshot;
  }

  /** Releases every region of the transaction; does nothing once committed or aborted. */
  abort(): void {
    if (this.#state !== 'open') return;
    this.#state = 'aborted';
    for (const region of this.#owned) region.release();
    this.#finish();
  }

  #finish(): void {
    if (this.ownsArena) this.arena.close();
    abandoned.unregister(this);
    this.#owned.clear();
    this.#allocations.clear();
    this.#appended.length = 0;
  }

  #requireOpen(operation: string): void {
    if (this.#state !== 'open') {
      throw new FlightError(Code.FAILED_PRECONDITION, `${operation}: the put to dataset ${JSON.stringify(this.name)} is already ${this.#state}`);
    }
  }
}
