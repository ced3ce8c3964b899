/**
 * The disk tier: a dataset spilled out of memory is written to one file (its encapsulated messages,
 * each at a 64-byte offset as in memory) and mapped back through the native addon, so readers get
 * the same views over page-cache pages instead of budgeted memory. `SpillingAllocator` makes room
 * for an allocation the budget refuses by asking the store to spill, then tries again. On the
 * same-host path a spill file is a segment like a shared-memory one: readers get a descriptor of it
 * and map it (`spilledSegment`).
 */
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { mapFile } from '../../native/lib/addon.js';
import type { Allocator, Arena, Region } from './allocator.js';
import type { SegmentUse, SharedRef } from './shared-memory-allocator.js';
import { BODY_ALIGNMENT, type EncapsulatedMessage, type StoredMessage } from './stored-message.js';

/** A dataset's messages as views of a mapped spill file. */
export interface SpilledMessages {
  readonly path: string;
  readonly schema: EncapsulatedMessage;
  readonly messages: StoredMessage[];
  /** Stands for the mapping where the store keeps regions: charged nothing; releasing removes the file. */
  readonly region: Region;
}

let files = 0;

/** Same-host segment ids of spill files lie above every shared-memory segment id (those count from 1). */
const SPILL_SEGMENT_BASE = 2 ** 40;

/** A spill file as a same-host segment: readers map `use.capacity` bytes of the file at `path`. */
interface SpillSegment {
  readonly path: string;
  /** Charged nothing (`bytes` 0): the page cache holds it, not the budget. */
  readonly use: SegmentUse;
}

const segments = new WeakMap<ArrayBufferLike, SpillSegment>();

/** Where a view of a spilled dataset lies: its spill file as a segment, and the view's place in it; undefined for other views. */
export function spilledSegment(view: Uint8Array): { ref: SharedRef; use: SegmentUse; path: string } | undefined {
  const segment = segments.get(view.buffer);
  if (!segment) return undefined;
  return { ref: { segment: segment.use.id, offset: view.byteOffset, length: view.byteLength }, use: segment.use, path: segment.path };
}

/** The view of `message` at the same offsets inside `bytes`. */
function viewAt(bytes: Uint8Array, message: EncapsulatedMessage): EncapsulatedMessage {
  const base = message.encapsulated.byteOffset;
  const at = (view: Uint8Array): Uint8Array => bytes.subarray(view.byteOffset - base, view.byteOffset - base + view.byteLength);
  return { encapsulated: bytes, header: at(message.header), body: at(message.body) };
}

/** Writes the messages to a new file in `dir` and maps it; the file is removed when the dataset lets go of it. */
export function spillMessages(dir: string, schema: EncapsulatedMessage, messages: readonly StoredMessage[]): SpilledMessages {
  const number = ++files;
  const path = join(dir, `flightcache-spill-${process.pid}-${number}.arrow`);
  const all: EncapsulatedMessage[] = [schema, ...messages];
  const offsets: number[] = [];
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    throw new FlightError(Code.RESOURCE_EXHAUSTED, `cannot spill to ${dir}: ${(err as Error).message}`);
  }
  try {
    let at = 0;
    const padding = new Uint8Array(BODY_ALIGNMENT);
    for (const message of all) {
      offsets.push(at);
      at += writeSync(fd, message.encapsulated, 0, message.encapsulated.byteLength, at);
      const pad = (BODY_ALIGNMENT - (at % BODY_ALIGNMENT)) % BODY_ALIGNMENT;
      if (pad > 0) at += writeSync(fd, padding, 0, pad, at);
    }
  } catch (err) {
    closeSync(fd);
    unlinkSync(path);
    throw new FlightError(Code.RESOURCE_EXHAUSTED, `cannot spill to ${path}: ${(err as Error).message}`);
  }
  closeSync(fd);
  const mapped = new Uint8Array(mapFile(path));
  segments.set(mapped.buffer, { path, use: { id: SPILL_SEGMENT_BASE + number, capacity: mapped.byteLength, bytes: 0, releasedBytes: 0 } });
  const views = all.map((message, i) => viewAt(mapped.subarray(offsets[i]!, offsets[i]! + message.encapsulated.byteLength), message));
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    // Readers still streaming keep the mapping (and so the file's pages) until they are collected.
    unlinkSync(path);
  };
  return {
    path,
    schema: Object.freeze(views[0]!),
    messages: views.slice(1).map((view, i) => Object.freeze({ ...view, kind: messages[i]!.kind, rows: messages[i]!.rows })),
    region: { bytes: mapped, release: remove, free: remove },
  };
}

/** An allocator that, refused by its budget, asks `makeRoom` to free memory (spill) and tries again. */
export class SpillingAllocator implements Allocator {
  constructor(
    private readonly inner: Allocator,
    /** Frees some memory for an allocation of `bytes`; false when nothing more can be freed. */
    private readonly makeRoom: (bytes: number) => boolean,
  ) {}

  get limitBytes(): number {
    return this.inner.limitBytes;
  }

  get usedBytes(): number {
    return this.inner.usedBytes;
  }

  allocate(bytes: number): Region {
    return this.#withRoom(() => this.inner.allocate(bytes), bytes);
  }

  openArena(): Arena {
    const arena = this.inner.openArena();
    return { allocate: (bytes) => this.#withRoom(() => arena.allocate(bytes), bytes), close: () => arena.close() };
  }

  #withRoom(allocate: () => Region, bytes: number): Region {
    for (;;) {
      try {
        return allocate();
      } catch (err) {
        if (!(err instanceof FlightError && err.code === Code.RESOURCE_EXHAUSTED) || !this.makeRoom(bytes)) throw err;
      }
    }
  }
}
