/**
 * Stored messages in shared memory: regions of segment files created with O_TMPFILE in a directory
 * (a tmpfs such as /dev/shm; never visible there), one arena per dataset write so that a segment
 * holds one dataset only, which the same-host service can hand to readers as a descriptor. The
 * budget counts region bytes as NativeAllocator does; a full directory is RESOURCE_EXHAUSTED.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { ShmArena, ShmSpace } from '../../native/lib/shared-memory.js';
import { BudgetedAllocator, type Arena, type Region } from './allocator.js';

/** Where a stored byte range sits in shared memory. */
export interface SharedRef {
  readonly segment: number;
  /** Byte offset in the segment. */
  readonly offset: number;
  readonly length: number;
}

/** One segment: its size, the region bytes allocated in it, and how many were released from the budget since. */
export interface SegmentUse {
  readonly id: number;
  /** The segment file's size (what a reader maps). */
  readonly capacity: number;
  bytes: number;
  releasedBytes: number;
}

/** A view's location, with its segment's use. */
export interface SharedPlacement {
  readonly ref: SharedRef;
  readonly use: SegmentUse;
}

/** Allocates regions in shared-memory segments under `directory`, within `limitBytes`. */
export class SharedMemoryAllocator extends BudgetedAllocator {
  readonly #space: ShmSpace;
  /** The segment use and offset of each region's ArrayBuffer. */
  readonly #placements = new WeakMap<ArrayBufferLike, { use: SegmentUse; offset: number }>();

  /** INVALID_ARGUMENT naming the directory when segments cannot be created there. */
  constructor(readonly directory: string, limitBytes = Infinity) {
    super(limitBytes);
    try {
      this.#space = new ShmSpace(directory);
    } catch (err) {
      throw new FlightError(Code.INVALID_ARGUMENT, `--shm-dir ${directory}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** A region in a segment of its own. */
  allocate(bytes: number): Region {
    const arena = this.openArena();
    try {
      return arena.allocate(bytes);
    } finally {
      arena.close();
    }
  }

  openArena(): Arena {
    const arena = new ShmArena(this.#space);
    let current: SegmentUse | undefined;
    return {
      allocate: (bytes) => {
        let use: SegmentUse | undefined;
        const region = this.budgeted(
          bytes,
          () => {
            const allocation = arena.allocate(bytes);
            if (current?.id !== allocation.segment) current = { id: allocation.segment, capacity: allocation.segmentBytes, bytes: 0, releasedBytes: 0 };
            use = current;
            this.#placements.set(allocation.buffer, { use, offset: allocation.offset });
            return allocation.buffer;
          },
          (released) => {
            use!.releasedBytes += released;
          },
        );
        use!.bytes += bytes;
        return region;
      },
      close: () => arena.close(),
    };
  }

  /** Where a view of a region from this allocator lies in shared memory, or undefined for other memory. */
  locate(view: Uint8Array): SharedPlacement | undefined {
    const placement = this.#placements.get(view.buffer);
    if (!placement) return undefined;
    return { ref: { segment: placement.use.id, offset: placement.offset + view.byteOffset, length: view.byteLength }, use: placement.use };
  }

  /** The descriptor of a live segment (owned by it: send it, never close it). */
  descriptor(id: number): number {
    return this.#space.descriptor(id);
  }

  /** Live segments and their total (sparse) size. */
  segmentStats(): { segments: number; capacityBytes: number } {
    return this.#space.stats();
  }

  protected override describeFailure(err: unknown, bytes: number): FlightError {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOSPC' || code === 'EMFILE' || code === 'ENFILE') {
      return new FlightError(
        Code.RESOURCE_EXHAUSTED,
        `shared memory directory ${this.directory} cannot take ${bytes} more bytes: ${(err as Error).message.split(': ').pop()} (${String(code)})`,
        { cause: err },
      );
    }
    return super.describeFailure(err, bytes);
  }
}
