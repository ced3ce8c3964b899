// JavaScript entry points for regions: thin glue that validates arguments and calls the core.
#ifndef FLIGHTCACHE_BINDING_REGIONS_H_
#define FLIGHTCACHE_BINDING_REGIONS_H_

#include <napi.h>

#include <memory>

#include "core/region.h"

namespace flightcache::binding {

// An external ArrayBuffer over `region` that owns it (freed by the buffer's finalizer), tagged so
// that discard() accepts it, and counted as external memory.
Napi::ArrayBuffer WrapRegion(Napi::Env env, std::unique_ptr<core::Region> region);

// allocate(bytes: number): ArrayBuffer — an external ArrayBuffer over a new 64-byte-aligned
// region, freed by the ArrayBuffer's finalizer. Contents are not zeroed.
Napi::Value Allocate(const Napi::CallbackInfo& info);

// discard(buffer: ArrayBuffer): void — detaches an ArrayBuffer made by allocate() (any other is a
// TypeError) so that its region is freed now (on the next turn of the event loop) instead of when
// the buffer is collected. Every view of it becomes empty. The caller guarantees that nothing still
// reads the memory (no pending I/O).
Napi::Value Discard(const Napi::CallbackInfo& info);

// stats(): { liveBytes: number; liveRegions: number } — process-wide.
Napi::Value Stats(const Napi::CallbackInfo& info);

// alignmentOf(view: ArrayBufferView): number — largest power of two <= 4096 dividing the address
// of the view's first byte.
Napi::Value AlignmentOf(const Napi::CallbackInfo& info);

}  // namespace flightcache::binding

#endif  // FLIGHTCACHE_BINDING_REGIONS_H_
