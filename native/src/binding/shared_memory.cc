#include "binding/shared_memory.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "binding/arguments.h"
#include "binding/regions.h"
#include "core/fd_passing.h"
#include "core/shm_segments.h"

namespace flightcache::binding {
namespace {

constexpr napi_type_tag kSpaceTag = {0x3f1e4c2a9b7d5e10ULL, 0x8a6c4e2f1d3b5a79ULL};
constexpr napi_type_tag kArenaTag = {0x5b2d7f1e3c9a4e68ULL, 0x1f7e3d5c9b2a4c86ULL};

using SpaceHandle = std::shared_ptr<core::ShmSpace>;

template <typename T>
T* Handle(const Napi::CallbackInfo& info, std::size_t index, const napi_type_tag& tag, const char* signature, const char* what) {
  if (!info[index].IsExternal() || !info[index].As<Napi::External<T>>().CheckTypeTag(&tag)) {
    throw Napi::TypeError::New(info.Env(), std::string(signature) + ": " + what + " must be a handle from " +
                                               (&tag == &kSpaceTag ? "shmOpenSpace" : "shmOpenArena") + ", got " + TypeName(info[index]));
  }
  return info[index].As<Napi::External<T>>().Data();
}

}  // namespace

Napi::Value ShmOpenSpace(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgumentCount(info, "shmOpenSpace(directory)", 1);
  if (!info[0].IsString()) {
    throw Napi::TypeError::New(env, "shmOpenSpace(directory): directory must be a string, got " + TypeName(info[0]));
  }
  const std::string directory = info[0].As<Napi::String>().Utf8Value();
  int error = 0;
  SpaceHandle space = core::ShmSpace::Open(directory, &error);
  if (!space) throw ErrnoError(env, "cannot create shared-memory segments in \"" + directory + "\"", error);
  auto handle = Napi::External<SpaceHandle>::New(env, new SpaceHandle(std::move(space)),
                                                 [](Napi::Env, SpaceHandle* held) { delete held; });
  handle.TypeTag(&kSpaceTag);
  return handle;
}

Napi::Value ShmOpenArena(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgumentCount(info, "shmOpenArena(space)", 1);
  SpaceHandle* space = Handle<SpaceHandle>(info, 0, kSpaceTag, "shmOpenArena(space)", "space");
  auto handle = Napi::External<core::ShmArena>::New(env, new core::ShmArena(*space),
                                                    [](Napi::Env, core::ShmArena* arena) { delete arena; });
  handle.TypeTag(&kArenaTag);
  return handle;
}

Napi::Value ShmAllocate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgumentCount(info, "shmAllocate(arena, bytes)", 2);
  core::ShmArena* arena = Handle<core::ShmArena>(info, 0, kArenaTag, "shmAllocate(arena, bytes)", "arena");
  const std::size_t size = ByteCount(info, 1, "shmAllocate(arena, bytes)", "bytes");
  int error = 0;
  std::unique_ptr<core::ShmRegion> region = arena->Allocate(size, &error);
  if (!region) throw ErrnoError(env, "cannot allocate " + std::to_string(size) + " bytes of shared memory", error);
  Napi::Object result = Napi::Object::New(env);
  result.Set("segment", Napi::Number::New(env, static_cast<double>(region->segment().id())));
  result.Set("offset", Napi::Number::New(env, static_cast<double>(region->offset())));
  result.Set("segmentBytes", Napi::Number::New(env, static_cast<double>(region->segment().capacity())));
  result.Set("buffer", WrapRegion(env, std::move(region)));
  return result;
}

Napi::Value ShmCloseArena(const Napi::CallbackInfo& info) {
  RequireArgumentCount(info, "shmCloseArena(arena)", 1);
  Handle<core::ShmArena>(info, 0, kArenaTag, "shmCloseArena(arena)", "arena")->Close();
  return info.Env().Undefined();
}

Napi::Value ShmStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgumentCount(info, "shmStats(space)", 1);
  const core::ShmSpaceStats stats = (*Handle<SpaceHandle>(info, 0, kSpaceTag, "shmStats(space)", "space"))->Stats();
  Napi::Object result = Napi::Object::New(env);
  result.Set("segments", Napi::Number::New(env, static_cast<double>(stats.segments)));
  result.Set("capacityBytes", Napi::Number::New(env, static_cast<double>(stats.capacity_bytes)));
  return result;
}

Napi::Value ShmSegmentDescriptor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgumentCount(info, "shmSegmentDescriptor(space, id)", 2);
  SpaceHandle* space = Handle<SpaceHandle>(info, 0, kSpaceTag, "shmSegmentDescriptor(space, id)", "space");
  const std::size_t id = ByteCount(info, 1, "shmSegmentDescriptor(space, id)", "id");
  std::shared_ptr<core::ShmSegment> segment = (*space)->Find(id);
  if (!segment) throw Napi::RangeError::New(env, "shmSegmentDescriptor(space, id): no live segment " + std::to_string(id));
  return Napi::Number::New(env, segment->fd());
}

Napi::Value SendWithDescriptors(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  constexpr const char* kSignature = "sendWithDescriptors(socket, data, fds)";
  RequireArgumentCount(info, kSignature, 3);
  const std::size_t socket = ByteCount(info, 0, kSignature, "socket");
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, std::string(kSignature) + ": data must be a Uint8Array, got " + TypeName(info[1]));
  }
  Napi::Uint8Array data = info[1].As<Napi::Uint8Array>();
  if (data.ByteLength() == 0) throw Napi::RangeError::New(env, std::string(kSignature) + ": data must not be empty");
  if (!info[2].IsArray()) throw Napi::TypeError::New(env, std::string(kSignature) + ": fds must be an array, got " + TypeName(info[2]));
  Napi::Array list = info[2].As<Napi::Array>();
  if (list.Length() > core::kMaxPassedDescriptors) {
    throw Napi::RangeError::New(env, std::string(kSignature) + ": at most " + std::to_string(core::kMaxPassedDescriptors) +
                                         " descriptors per call, got " + std::to_string(list.Length()));
  }
  std::vector<int> fds;
  for (std::uint32_t i = 0; i < list.Length(); ++i) {
    const Napi::Value value = list.Get(i);
    const double fd = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : -1;
    if (!(fd >= 0) || fd > 2147483647.0 || std::trunc(fd) != fd) {
      throw Napi::RangeError::New(env, std::string(kSignature) + ": fds[" + std::to_string(i) + "] must be a descriptor number");
    }
    fds.push_back(static_cast<int>(fd));
  }
  const ssize_t sent = core::SendWithDescriptors(static_cast<int>(socket), reinterpret_cast<const std::byte*>(data.Data()),
                                                 data.ByteLength(), fds.data(), fds.size());
  if (sent < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Napi::Number::New(env, -1);
    throw ErrnoError(env, std::string(kSignature) + ": sendmsg failed", errno);
  }
  return Napi::Number::New(env, static_cast<double>(sent));
}

}  // namespace flightcache::binding
