#include "binding/kernels.h"

#include <cmath>
#include <string>

#include "core/gather.h"

namespace flightcache::binding {
namespace {

constexpr const char* kSignature =
    "gatherRuns(target: Uint8Array, source: Uint8Array, starts: Float64Array, lengths: Float64Array, count, width)";

Napi::Uint8Array Bytes(const Napi::CallbackInfo& info, std::size_t index, const char* name) {
  if (!info[index].IsTypedArray() || info[index].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(info.Env(), std::string(kSignature) + ": " + name + " must be a Uint8Array");
  }
  return info[index].As<Napi::Uint8Array>();
}

Napi::Float64Array Doubles(const Napi::CallbackInfo& info, std::size_t index, const char* name) {
  if (!info[index].IsTypedArray() || info[index].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw Napi::TypeError::New(info.Env(), std::string(kSignature) + ": " + name + " must be a Float64Array");
  }
  return info[index].As<Napi::Float64Array>();
}

std::size_t Count(const Napi::CallbackInfo& info, std::size_t index, const char* name) {
  const double value = info[index].IsNumber() ? info[index].As<Napi::Number>().DoubleValue() : -1;
  if (!(value >= 0) || value > 9007199254740991.0 || std::trunc(value) != value) {
    throw Napi::RangeError::New(info.Env(), std::string(kSignature) + ": " + name + " must be a non-negative integer");
  }
  return static_cast<std::size_t>(value);
}

}  // namespace

Napi::Value GatherRuns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 6) throw Napi::TypeError::New(env, std::string(kSignature) + " expects 6 arguments");
  Napi::Uint8Array target = Bytes(info, 0, "target");
  Napi::Uint8Array source = Bytes(info, 1, "source");
  Napi::Float64Array starts = Doubles(info, 2, "starts");
  Napi::Float64Array lengths = Doubles(info, 3, "lengths");
  const std::size_t count = Count(info, 4, "count");
  const std::size_t width = Count(info, 5, "width");
  if (count > starts.ElementLength() || count > lengths.ElementLength()) {
    throw Napi::RangeError::New(env, std::string(kSignature) + ": count exceeds the run arrays");
  }
  switch (core::CheckGather(target.ByteLength(), source.ByteLength(), starts.Data(), lengths.Data(), count, width)) {
    case core::GatherCheck::kOk: break;
    case core::GatherCheck::kSourceTooShort: throw Napi::RangeError::New(env, std::string(kSignature) + ": a run reads past the source");
    case core::GatherCheck::kTargetTooShort: throw Napi::RangeError::New(env, std::string(kSignature) + ": the runs do not fit the target");
    case core::GatherCheck::kBadRun: throw Napi::RangeError::New(env, std::string(kSignature) + ": runs must be non-negative integers and width positive");
  }
  core::Gather(reinterpret_cast<std::byte*>(target.Data()), reinterpret_cast<const std::byte*>(source.Data()), starts.Data(),
               lengths.Data(), count, width);
  return env.Undefined();
}

}  // namespace flightcache::binding
