// Registers the addon's exports; all behaviour lives in binding/ and core/.
#include <napi.h>

#include "binding/addon_state.h"
#include "binding/kernels.h"
#include "binding/regions.h"
#include "core/heap_allocator.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  using flightcache::binding::AddonState;
  env.SetInstanceData(new AddonState{std::make_unique<flightcache::core::HeapRegionAllocator>()});
  exports.Set("allocate", Napi::Function::New(env, flightcache::binding::Allocate, "allocate"));
  exports.Set("discard", Napi::Function::New(env, flightcache::binding::Discard, "discard"));
  exports.Set("stats", Napi::Function::New(env, flightcache::binding::Stats, "stats"));
  exports.Set("alignmentOf", Napi::Function::New(env, flightcache::binding::AlignmentOf, "alignmentOf"));
  exports.Set("gatherRuns", Napi::Function::New(env, flightcache::binding::GatherRuns, "gatherRuns"));
  return exports;
}

}  // namespace

NODE_API_MODULE(flightcache_native, Init)
