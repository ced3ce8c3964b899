/**
 * Typed wrappers of the addon's shared-memory functions: segments created with O_TMPFILE in a
 * directory (never visible there), bump-allocated per arena, and descriptors sent over Unix sockets
 * with SCM_RIGHTS. Errors carry the errno name as `code` (ENOSPC when the directory is full).
 */
import { load, type ShmAllocation, type ShmArenaHandle, type ShmSpaceHandle } from './addon.js';

export type { ShmAllocation } from './addon.js';

/** The most descriptors one sendWithDescriptors call attaches. */
export const MAX_PASSED_DESCRIPTORS = 16;

/** Live segments of a space and their total (sparse) size. */
export interface ShmSpaceStats {
  readonly segments: number;
  readonly capacityBytes: number;
}

/** Regions of one arena share segments with no other arena's. */
export class ShmArena {
  readonly #handle: ShmArenaHandle;

  constructor(space: ShmSpace) {
    this.#handle = load().shmOpenArena(space.handle);
  }

  /** A new region of `bytes` bytes (64-byte aligned, pages reserved); throws an Error with `code` when it cannot be had. */
  allocate(bytes: number): ShmAllocation {
    return load().shmAllocate(this.#handle, bytes);
  }

  /** Ends the arena: its last segment is freed with its last region; later allocations open new segments. */
  close(): void {
    load().shmCloseArena(this.#handle);
  }
}

/** A directory that shared-memory segments are created in. */
export class ShmSpace {
  /** The addon's handle, for ShmArena. */
  readonly handle: ShmSpaceHandle;

  /** Throws an Error with `code` (ENOENT, EOPNOTSUPP, EACCES, ...) when no segment can be created in `directory`. */
  constructor(readonly directory: string) {
    this.handle = load().shmOpenSpace(directory);
  }

  /** Live segments (those with an open arena or a live region). */
  stats(): ShmSpaceStats {
    return load().shmStats(this.handle);
  }

  /** The descriptor of live segment `id` (owned by the segment: send it, never close it); RangeError when none lives. */
  descriptor(id: number): number {
    return load().shmSegmentDescriptor(this.handle, id);
  }
}

/**
 * Sends `data` on the connected Unix socket `socket` (a descriptor) without blocking, with `fds`
 * attached to its first byte: the bytes sent, or -1 when the socket is full (nothing sent).
 */
export function sendWithDescriptors(socket: number, data: Uint8Array, fds: readonly number[]): number {
  return load().sendWithDescriptors(socket, data, fds);
}
