// Registers the addon's exports; all behaviour lives in binding/ and core/.
#include <napi.h>

#include "binding/addon_state.h"
#include "binding/bpe.h"
#include "binding/csv.h"
#include "binding/file_mapping.h"
#include "binding/filter.h"
#include "binding/kernels.h"
#include "binding/regions.h"
#include "binding/shared_memory.h"
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
  exports.Set("filterBatch", Napi::Function::New(env, flightcache::binding::FilterBatch, "filterBatch"));
  exports.Set("filterBatches", Napi::Function::New(env, flightcache::binding::FilterBatches, "filterBatches"));
  exports.Set("evaluateColumn", Napi::Function::New(env, flightcache::binding::EvaluateColumn, "evaluateColumn"));
  exports.Set("shmOpenSpace", Napi::Function::New(env, flightcache::binding::ShmOpenSpace, "shmOpenSpace"));
  exports.Set("shmOpenArena", Napi::Function::New(env, flightcache::binding::ShmOpenArena, "shmOpenArena"));
  exports.Set("shmAllocate", Napi::Function::New(env, flightcache::binding::ShmAllocate, "shmAllocate"));
  exports.Set("shmCloseArena", Napi::Function::New(env, flightcache::binding::ShmCloseArena, "shmCloseArena"));
  exports.Set("shmStats", Napi::Function::New(env, flightcache::binding::ShmStats, "shmStats"));
  exports.Set("shmSegmentDescriptor", Napi::Function::New(env, flightcache::binding::ShmSegmentDescriptor, "shmSegmentDescriptor"));
  exports.Set("mapFile", Napi::Function::New(env, flightcache::binding::MapFile, "mapFile"));
  exports.Set("csvHeader", Napi::Function::New(env, flightcache::binding::CsvHeader, "csvHeader"));
  exports.Set("csvParseBlock", Napi::Function::New(env, flightcache::binding::CsvParseBlock, "csvParseBlock"));
  exports.Set("sendWithDescriptors", Napi::Function::New(env, flightcache::binding::SendWithDescriptors, "sendWithDescriptors"));
  exports.Set("bpeOpen", Napi::Function::New(env, flightcache::binding::BpeOpen, "bpeOpen"));
  exports.Set("bpeEncode", Napi::Function::New(env, flightcache::binding::BpeEncode, "bpeEncode"));
  return exports;
}

}  // namespace

NODE_API_MODULE(flightcache_native, Init)
