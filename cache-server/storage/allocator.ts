/**
 * Memory for stored Arrow messages, charged against a byte budget. Releasing a region returns its
 * bytes to the budget at once; the physical memory is freed only when the last JS view of it is
 * collected, so a DoGet still streaming a dropped dataset keeps reading valid memory. Freeing a
 * region gives the memory back at once, for regions that nothing can be reading any more.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { allocate as allocateNative, discard } from '../../native/lib/addon.js';

/** A block of memory from an Allocator; `bytes` starts 64-byte aligned. */
export interface Region {
  readonly bytes: Uint8Array;
  /** Returns the region's bytes to the allocator's budget; later calls do nothing. */
  release(): void;
  /**
   * Releases the region and frees its memory now instead of at garbage collection: `bytes` (and every
   * other view) becomes empty. Only for regions that no stream or pending write reads any more.
   */
  free(): void;
}

/** Regions for one dataset write; with shared memory they share segments with no other arena's. */
export interface Arena {
  /** A new region of exactly `bytes` bytes (contents unspecified); RESOURCE_EXHAUSTED past the limit. */
  allocate(bytes: number): Region;
  /** Ends the arena (its regions stay valid); later calls do nothing. */
  close(): void;
}

/** Hands out regions while the bytes of unreleased regions stay within `limitBytes`. */
export interface Allocator {
  /** A new region of exactly `bytes` bytes (contents unspecified); RESOURCE_EXHAUSTED past the limit. */
  allocate(bytes: number): Region;
  /** An arena for the regions of one dataset write. */
  openArena(): Arena;
  readonly limitBytes: number;
  readonly usedBytes: number;
}

class BudgetedRegion implements Region {
  #released = false;

  constructor(
    readonly bytes: Uint8Array,
    private readonly onRelease: (bytes: number) => void,
  ) {}

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.onRelease(this.bytes.byteLength);
  }

  free(): void {
    this.release();
    discard(this.bytes.buffer as ArrayBuffer);
  }
}

/** Charges regions to a byte limit; subclasses say where the memory comes from. */
export abstract class BudgetedAllocator implements Allocator {
  #usedBytes = 0;

  constructor(readonly limitBytes = Infinity) {
    if (Number.isNaN(limitBytes) || limitBytes < 0) {
      throw new FlightError(Code.INVALID_ARGUMENT, `memory limit must be a non-negative number of bytes, got ${limitBytes}`);
    }
  }

  get usedBytes(): number {
    return this.#usedBytes;
  }

  abstract allocate(bytes: number): Region;
  abstract openArena(): Arena;

  /**
   * Checks the size and the limit, takes the memory from `obtain` (whose errors are mapped to
   * FlightErrors by `describeFailure`) and charges it; `onRelease` also hears of each release.
   */
  protected budgeted(bytes: number, obtain: () => ArrayBuffer, onRelease?: (bytes: number) => void): Region {
    this.#checkFits(bytes);
    let buffer: ArrayBuffer;
    try {
      buffer = obtain();
    } catch (err) {
      throw this.describeFailure(err, bytes);
    }
    this.#usedBytes += bytes;
    return new BudgetedRegion(new Uint8Array(buffer), (released) => {
      this.#usedBytes -= released;
      onRelease?.(released);
    });
  }

  /**
   * Charges `bytes` held outside any region (request buffers in JS memory) to the budget, or throws
   * RESOURCE_EXHAUSTED like allocate; returns the function that gives them back (once).
   */
  charge(bytes: number): () => void {
    this.#checkFits(bytes);
    this.#usedBytes += bytes;
    let charged = true;
    return () => {
      if (charged) this.#usedBytes -= bytes;
      charged = false;
    };
  }

  #checkFits(bytes: number): void {
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      throw new FlightError(Code.INVALID_ARGUMENT, `region size must be a non-negative integer, got ${bytes}`);
    }
    if (this.#usedBytes + bytes > this.limitBytes) {
      throw new FlightError(
        Code.RESOURCE_EXHAUSTED,
        `memory limit exceeded: need ${bytes} bytes, ${this.#usedBytes} of ${this.limitBytes} in use (raise it with --memory / FLIGHTCACHE_MEMORY)`,
      );
    }
  }

  /** The FlightError for memory the system refused. */
  protected describeFailure(err: unknown, bytes: number): FlightError {
    if ((err as { code?: unknown }).code === 'ENOMEM') {
      return new FlightError(Code.RESOURCE_EXHAUSTED, `out of memory: the system refused ${bytes} bytes`, { cause: err });
    }
    return FlightError.from(err);
  }
}

/** Allocates native, 64-byte-aligned, non-zeroed, process-private regions (native/lib/addon.ts) within a byte limit. */
export class NativeAllocator extends BudgetedAllocator {
  allocate(bytes: number): Region {
    return this.budgeted(bytes, () => allocateNative(bytes));
  }

  /** Private regions share nothing, so an arena is the allocator itself. */
  openArena(): Arena {
    return { allocate: (bytes) => this.allocate(bytes), close: () => undefined };
  }
}
