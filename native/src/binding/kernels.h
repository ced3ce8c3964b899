// JavaScript entry points for the vectorised kernels: thin glue that validates arguments and calls the core.
#ifndef FLIGHTCACHE_BINDING_KERNELS_H_
#define FLIGHTCACHE_BINDING_KERNELS_H_

#include <napi.h>

namespace flightcache::binding {

// gatherRuns(target: Uint8Array, source: Uint8Array, starts: Float64Array, lengths: Float64Array,
//            count: number, width: number): void — copies `count` runs of `width`-byte elements.
// RangeError when a run reads or writes past a buffer.
Napi::Value GatherRuns(const Napi::CallbackInfo& info);

}  // namespace flightcache::binding

#endif  // FLIGHTCACHE_BINDING_KERNELS_H_
