#include "binding/regions.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "binding/addon_state.h"
#include "binding/arguments.h"
#include "core/accounting.h"

namespace flightcache::binding {
namespace {

constexpr std::uintptr_t kMaxReportedAlignment = 4096;
// Marks the ArrayBuffers that allocate() made, so that discard() detaches nothing else (a pooled
// Buffer slab or a WebAssembly memory would take other objects' bytes with it).
constexpr napi_type_tag kRegionTag = {0x6a1f0c3e5b7d4e21ULL, 0x9c8e2f4a1d3b5c70ULL};

void ReleaseRegion(Napi::Env env, void* /*data*/, core::Region* region) {
  Napi::MemoryManagement::AdjustExternalMemory(env, -static_cast<int64_t>(region->size()));
  delete region;
}

}  // namespace

Napi::ArrayBuffer WrapRegion(Napi::Env env, std::unique_ptr<core::Region> region) {
  const std::size_t size = region->size();
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, region->data(), size, ReleaseRegion, region.get());
  // The ArrayBuffer's finalizer owns the region from here on.
  region.release();
  buffer.TypeTag(&kRegionTag);
  Napi::MemoryManagement::AdjustExternalMemory(env, static_cast<int64_t>(size));
  return buffer;
}

Napi::Value Allocate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgumentCount(info, "allocate(bytes)", 1);
  const std::size_t size = ByteCount(info, 0, "allocate(bytes)", "bytes");
  std::unique_ptr<core::Region> region = env.GetInstanceData<AddonState>()->allocator->Allocate(size);
  if (!region) {
    Napi::Error error = Napi::Error::New(
        env, "allocate(bytes): out of memory allocating " + std::to_string(size) + " bytes");
    error.Set("code", Napi::String::New(env, "ENOMEM"));
    throw error;
  }
  return WrapRegion(env, std::move(region));
}

Napi::Value Discard(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgumentCount(info, "discard(buffer)", 1);
  if (!info[0].IsArrayBuffer()) {
    throw Napi::TypeError::New(env, "discard(buffer): buffer must be an ArrayBuffer, got " + TypeName(info[0]));
  }
  Napi::ArrayBuffer buffer = info[0].As<Napi::ArrayBuffer>();
  if (!buffer.CheckTypeTag(&kRegionTag)) {
    throw Napi::TypeError::New(env, "discard(buffer): buffer was not made by allocate()");
  }
  // Dropping the buffer's backing store runs the region's finalizer without waiting for a full
  // garbage collection, which would otherwise free a large staging area in one late, costly burst.
  buffer.Detach();
  return env.Undefined();
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgumentCount(info, "stats()", 0);
  const core::AccountingSnapshot snapshot = core::CurrentAccounting();
  Napi::Object result = Napi::Object::New(env);
  result.Set("liveBytes", Napi::Number::New(env, static_cast<double>(snapshot.live_bytes)));
  result.Set("liveRegions", Napi::Number::New(env, static_cast<double>(snapshot.live_regions)));
  return result;
}

Napi::Value AlignmentOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgumentCount(info, "alignmentOf(view)", 1);
  std::uintptr_t address = 0;
  if (info[0].IsTypedArray()) {
    Napi::TypedArray view = info[0].As<Napi::TypedArray>();
    address = reinterpret_cast<std::uintptr_t>(view.ArrayBuffer().Data()) + view.ByteOffset();
  } else if (info[0].IsDataView()) {
    Napi::DataView view = info[0].As<Napi::DataView>();
    address = reinterpret_cast<std::uintptr_t>(view.ArrayBuffer().Data()) + view.ByteOffset();
  } else {
    throw Napi::TypeError::New(
        env, "alignmentOf(view): view must be a TypedArray or DataView, got " + TypeName(info[0]));
  }
  std::uintptr_t alignment = 1;
  while (alignment < kMaxReportedAlignment && address % (alignment * 2) == 0) alignment *= 2;
  return Napi::Number::New(env, static_cast<double>(alignment));
}

}  // namespace flightcache::binding
