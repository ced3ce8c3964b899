// JavaScript entry points for shared-memory segments and descriptor passing: thin glue over
// core/shm_segments.h and core/fd_passing.h. Handles are externals checked by type tag.
#ifndef FLIGHTCACHE_BINDING_SHARED_MEMORY_H_
#define FLIGHTCACHE_BINDING_SHARED_MEMORY_H_

#include <napi.h>

namespace flightcache::binding {

// shmOpenSpace(directory: string): space handle. Error with `code` (the errno name) when segments
// cannot be created there (missing directory, no O_TMPFILE support, no permission).
Napi::Value ShmOpenSpace(const Napi::CallbackInfo& info);

// shmOpenArena(space): arena handle; its regions share segments with no other arena.
Napi::Value ShmOpenArena(const Napi::CallbackInfo& info);

// shmAllocate(arena, bytes): { buffer: ArrayBuffer, segment: number, offset: number,
// segmentBytes: number } — an external ArrayBuffer over a region (freed by its finalizer or
// discard()), the id of its segment, its byte offset there and the segment's size. Error with `code` ENOSPC/ENOMEM/EMFILE/... when it cannot be had.
Napi::Value ShmAllocate(const Napi::CallbackInfo& info);

// shmCloseArena(arena): void — later allocations open new segments; the current one is freed with
// its last region.
Napi::Value ShmCloseArena(const Napi::CallbackInfo& info);

// shmStats(space): { segments: number, capacityBytes: number } — live segments of the space.
Napi::Value ShmStats(const Napi::CallbackInfo& info);

// shmSegmentDescriptor(space, id): number — the open descriptor of a live segment (valid while it
// lives); RangeError when no such segment lives.
Napi::Value ShmSegmentDescriptor(const Napi::CallbackInfo& info);

// sendWithDescriptors(socket: number, data: Uint8Array, fds: number[]): number — bytes sent with
// the descriptors attached to the first one, or -1 when the socket would block (nothing sent).
// Error with `code` (EPIPE, ECONNRESET, ...) on failure.
Napi::Value SendWithDescriptors(const Napi::CallbackInfo& info);

}  // namespace flightcache::binding

#endif  // FLIGHTCACHE_BINDING_SHARED_MEMORY_H_
