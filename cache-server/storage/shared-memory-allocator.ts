/**
 * Stored messages in shared memory: regions of segment files created with O_TMPFILE in a directory
 * (a tmpfs such as /dev/shm; never visible there), one arena per dataset write so that a segment
 * holds one dataset only, which the same-host service can hand to readers as a descriptor. The
 * budget counts region bytes as NativeAllocator does; a full directory is RESOURCE_EXHAUSTED.
 */
import { Code, FlightError } from '../flight/errors.js';
import { ShmArena, ShmSpace } from '../../native/lib/shared-memory.js';
import { BudgetedAllocator, type Arena, type Region } from './allocator.js';

/** Where a stored byte range sits in shared memory. */
export interface SharedRef {
  readonly segment: number;
  /** Byte offset in the segment. */
  readonly offset: number;
  readonly length: number;
}

/** Bytes allocated in one segment and how many of them were released from the budget since. */
export interface SegmentUse {
  readonly id: number;
  bytes: number;
  releasedBytes: number;
}

/** The segment and offset of each region's ArrayBuffer. */
interface Placement {
  readonly segment: number;
  readonly offset: number;
}

/** Allocates regions in shared-memory segments under `directory`, within `limitBytes`. */
export class SharedMemoryAllocator extends BudgetedAllocator {
  readonly #space: ShmSpace;
  readonly #placements = new WeakMap<ArrayBufferLike, Placement>();
  readonly #segments = new Map<number, SegmentUse>();

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
    return {
      allocate: (bytes) => {
        let placement: Placement | undefined;
        const region = this.budgeted(
          bytes,
          () => {
            const { buffer, segment, offset } = arena.allocate(bytes);
            placement = { segment, offset };
            this.#placements.set(buffer, placement);
            return buffer;
          },
          (released) => this.#released(placement!.segment, released),
        );
        const use = this.#segments.get(placement!.segment) ?? { id: placement!.segment, bytes: 0, releasedBytes: 0 };
        use.bytes += bytes;
        this.#segments.set(use.id, use);
        return region;
      },
      close: () => arena.close(),
    };
  }

  /** The shared-memory location of a view of a region from this allocator, or undefined for other memory. */
  locate(view: Uint8Array): SharedRef | undefined {
    const placement = this.#placements.get(view.buffer);
    return placement && { segment: placement.segment, offset: placement.offset + view.byteOffset, length: view.byteLength };
  }

  /** The use of a segment with unreleased regions, or undefined. */
  segment(id: number): SegmentUse | undefined {
    return this.#segments.get(id);
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

  #released(segment: number, bytes: number): void {
    const use = this.#segments.get(segment);
    if (!use) return;
    use.releasedBytes += bytes;
    if (use.releasedBytes >= use.bytes) this.#segments.delete(segment);
  }
}
