#include "binding/arguments.h"

#include <cmath>

namespace flightcache::binding {

std::string TypeName(const Napi::Value& value) {
  switch (value.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "boolean";
    case napi_number: return "number";
    case napi_string: return "string";
    case napi_symbol: return "symbol";
    case napi_object: return "object";
    case napi_function: return "function";
    case napi_external: return "external";
    case napi_bigint: return "bigint";
  }
  return "unknown";
}

void RequireArgumentCount(const Napi::CallbackInfo& info, const char* signature, std::size_t count) {
  if (info.Length() != count) {
    throw Napi::TypeError::New(info.Env(), std::string(signature) + " expects " +
                                               std::to_string(count) + " argument" +
                                               (count == 1 ? "" : "s") + ", got " +
                                               std::to_string(info.Length()));
  }
}

std::size_t ByteCount(const Napi::CallbackInfo& info, std::size_t index, const char* signature, const char* name) {
  Napi::Env env = info.Env();
  if (!info[index].IsNumber()) {
    throw Napi::TypeError::New(env, std::string(signature) + ": " + name + " must be a number, got " + TypeName(info[index]));
  }
  const double requested = info[index].As<Napi::Number>().DoubleValue();
  if (!(requested >= 0) || requested > 9007199254740991.0 || std::trunc(requested) != requested) {
    throw Napi::RangeError::New(env, std::string(signature) + ": " + name + " must be an integer from 0 to 2^53-1, got " +
                                         info[index].ToString().Utf8Value());
  }
  return static_cast<std::size_t>(requested);
}

Napi::Error ErrnoError(Napi::Env env, const std::string& message, int error) {
  const char* name = strerrorname_np(error);
  Napi::Error result = Napi::Error::New(env, message + ": " + std::strerror(error));
  result.Set("code", Napi::String::New(env, name ? name : "EUNKNOWN"));
  return result;
}

}  // namespace flightcache::binding
