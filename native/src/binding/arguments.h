// Argument checks shared by the glue functions.
#ifndef FLIGHTCACHE_BINDING_ARGUMENTS_H_
#define FLIGHTCACHE_BINDING_ARGUMENTS_H_

#include <napi.h>

#include <string>

namespace flightcache::binding {

// The JavaScript type of a value, as named in TypeErrors.
std::string TypeName(const Napi::Value& value);

// Throws a TypeError naming `signature` unless exactly `count` arguments were passed.
void RequireArgumentCount(const Napi::CallbackInfo& info, const char* signature, std::size_t count);

// Argument `index` as a byte count: a TypeError unless it is a number, a RangeError unless it is an
// integer from 0 to 2^53-1 (larger ones cannot be represented exactly).
std::size_t ByteCount(const Napi::CallbackInfo& info, std::size_t index, const char* signature, const char* name);

// An Error "message: strerror(error)" whose `code` is the errno name (e.g. "ENOENT").
Napi::Error ErrnoError(Napi::Env env, const std::string& message, int error);

}  // namespace flightcache::binding

#endif  // FLIGHTCACHE_BINDING_ARGUMENTS_H_
