#include "binding/file_mapping.h"

#include <memory>
#include <string>

#include "binding/arguments.h"
#include "core/file_mapping.h"

namespace flightcache::binding {
namespace {

void Unmap(Napi::Env /*env*/, void* /*data*/, core::FileMapping* mapping) { delete mapping; }

}  // namespace

Napi::Value MapFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgumentCount(info, "mapFile(path)", 1);
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "mapFile(path): path must be a string, got " + TypeName(info[0]));
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  int error = 0;
  const char* step = "";
  std::unique_ptr<core::FileMapping> mapping = core::FileMapping::Map(path, &error, &step);
  if (!mapping) throw ErrnoError(env, "mapFile(" + path + "): " + step, error);
  if (mapping->size() == 0) return Napi::ArrayBuffer::New(env, 0);
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, mapping->data(), mapping->size(), Unmap, mapping.get());
  // The ArrayBuffer's finalizer owns the mapping from here on.
  mapping.release();
  return buffer;
}

}  // namespace flightcache::binding
