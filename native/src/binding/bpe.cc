#include "binding/bpe.h"

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "binding/arguments.h"
#include "core/bpe_encoder.h"

namespace flightcache::binding {
namespace {

constexpr napi_type_tag kEncoderTag = {0x6a41c2e97d3b5f08ULL, 0x2e9f7b1d4c6a8e35ULL};
constexpr const char* kOpen = "bpeOpen(pattern, tokens, lengths, ranks, specials, specialLengths, specialRanks)";
constexpr const char* kEncode = "bpeEncode(encoder, text, offsets, specialTokens)";

template <typename T>
T Typed(const Napi::CallbackInfo& info, std::size_t index, napi_typedarray_type type, const char* signature, const char* name,
        const char* type_name) {
  if (!info[index].IsTypedArray() || info[index].As<Napi::TypedArray>().TypedArrayType() != type) {
    throw Napi::TypeError::New(info.Env(), std::string(signature) + ": " + name + " must be a " + type_name + ", got " + TypeName(info[index]));
  }
  return info[index].As<T>();
}

// The tokens laid out by `bytes`/`lengths`/`ranks`, viewing `bytes`; a RangeError unless they match.
std::vector<core::TokenRank> Tokens(const Napi::CallbackInfo& info, std::size_t first, const char* what) {
  auto bytes = Typed<Napi::Uint8Array>(info, first, napi_uint8_array, kOpen, what, "Uint8Array");
  auto lengths = Typed<Napi::Int32Array>(info, first + 1, napi_int32_array, kOpen, "lengths", "Int32Array");
  auto ranks = Typed<Napi::Int32Array>(info, first + 2, napi_int32_array, kOpen, "ranks", "Int32Array");
  if (lengths.ElementLength() != ranks.ElementLength()) {
    throw Napi::RangeError::New(info.Env(), std::string(kOpen) + ": " + what + " have " + std::to_string(lengths.ElementLength()) +
                                                " lengths but " + std::to_string(ranks.ElementLength()) + " ranks");
  }
  std::vector<core::TokenRank> out;
  out.reserve(lengths.ElementLength());
  std::size_t at = 0;
  for (std::size_t i = 0; i < lengths.ElementLength(); ++i) {
    if (lengths[i] < 0 || at + static_cast<std::size_t>(lengths[i]) > bytes.ByteLength()) {
      throw Napi::RangeError::New(info.Env(), std::string(kOpen) + ": the lengths of " + what + " run past their bytes");
    }
    out.push_back({std::string_view(reinterpret_cast<const char*>(bytes.Data()) + at, static_cast<std::size_t>(lengths[i])), ranks[i]});
    at += static_cast<std::size_t>(lengths[i]);
  }
  if (at != bytes.ByteLength()) throw Napi::RangeError::New(info.Env(), std::string(kOpen) + ": the lengths of " + what + " do not cover their bytes");
  return out;
}

}  // namespace

Napi::Value BpeOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgumentCount(info, kOpen, 7);
  const std::string name = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  if (name != "gpt2" && name != "cl100k") throw Napi::TypeError::New(env, std::string(kOpen) + ": pattern must be \"gpt2\" or \"cl100k\"");
  const core::Pattern pattern = name == "gpt2" ? core::Pattern::kGpt2 : core::Pattern::kCl100k;
  std::string error;
  std::unique_ptr<core::BpeEncoder> encoder = core::BpeEncoder::Create(pattern, Tokens(info, 1, "tokens"), Tokens(info, 4, "specials"), &error);
  if (!encoder) throw Napi::RangeError::New(env, std::string(kOpen) + ": " + error);
  auto handle = Napi::External<core::BpeEncoder>::New(env, encoder.release(), [](Napi::Env, core::BpeEncoder* held) { delete held; });
  handle.TypeTag(&kEncoderTag);
  return handle;
}

Napi::Value BpeEncode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgumentCount(info, kEncode, 4);
  if (!info[0].IsExternal() || !info[0].As<Napi::External<core::BpeEncoder>>().CheckTypeTag(&kEncoderTag)) {
    throw Napi::TypeError::New(env, std::string(kEncode) + ": encoder must be a handle from bpeOpen, got " + TypeName(info[0]));
  }
  const core::BpeEncoder& encoder = *info[0].As<Napi::External<core::BpeEncoder>>().Data();
  auto text = Typed<Napi::Uint8Array>(info, 1, napi_uint8_array, kEncode, "text", "Uint8Array");
  auto offsets = Typed<Napi::Int32Array>(info, 2, napi_int32_array, kEncode, "offsets", "Int32Array");
  if (!info[3].IsBoolean()) throw Napi::TypeError::New(env, std::string(kEncode) + ": specialTokens must be a boolean, got " + TypeName(info[3]));
  const bool special_tokens = info[3].As<Napi::Boolean>().Value();
  const std::size_t docs = offsets.ElementLength() == 0 ? 0 : offsets.ElementLength() - 1;
  for (std::size_t i = 0; i < offsets.ElementLength(); ++i) {
    if (offsets[i] < 0 || static_cast<std::size_t>(offsets[i]) > text.ByteLength() || (i > 0 && offsets[i] < offsets[i - 1])) {
      throw Napi::RangeError::New(env, std::string(kEncode) + ": offsets must rise from 0 to at most the text's length; offsets[" +
                                           std::to_string(i) + "] is " + std::to_string(offsets[i]));
    }
  }
  const char* bytes = reinterpret_cast<const char*>(text.Data());
  std::vector<std::int32_t> ids;
  ids.reserve(text.ByteLength() / 3);
  Napi::Int32Array id_offsets = Napi::Int32Array::New(env, docs + 1);
  id_offsets[0] = 0;
  for (std::size_t d = 0; d < docs; ++d) {
    encoder.Encode(std::string_view(bytes + offsets[d], static_cast<std::size_t>(offsets[d + 1] - offsets[d])), special_tokens, ids);
    if (ids.size() > 0x7FFFFFFF) throw Napi::RangeError::New(env, std::string(kEncode) + ": more than 2^31-1 ids in one call");
    id_offsets[d + 1] = static_cast<std::int32_t>(ids.size());
  }
  Napi::Int32Array out = Napi::Int32Array::New(env, ids.size());
  if (!ids.empty()) std::memcpy(out.Data(), ids.data(), ids.size() * sizeof(std::int32_t));
  Napi::Object result = Napi::Object::New(env);
  result.Set("ids", out);
  result.Set("offsets", id_offsets);
  return result;
}

}  // namespace flightcache::binding
