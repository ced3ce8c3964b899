#include "binding/filter.h"

#include <cstring>
#include <string>
#include <vector>

#include "binding/arguments.h"
#include "core/filter.h"
#include "core/filter_batches.h"

namespace flightcache::binding {
namespace {

constexpr const char* kSignature =
    "filterBatch(code: Int32Array, ints: BigInt64Array, floats: Float64Array, strings: string[], columns: object[], rows)";
constexpr const char* kBatchesSignature =
    "filterBatches(code: Int32Array, ints: BigInt64Array, floats: Float64Array, strings: string[], batches: object[][], rows: number[], threads)";
constexpr const char* kColumnSignature =
    "evaluateColumn(code: Int32Array, ints: BigInt64Array, floats: Float64Array, strings: string[], columns: object[], rows, type)";

// An optional Uint8Array property of a column description.
core::Bytes OptionalBytes(const Napi::Object& column, const char* name) {
  Napi::Value value = column.Get(name);
  if (value.IsUndefined() || value.IsNull()) return {};
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(column.Env(), std::string(kSignature) + ": column." + name + " must be a Uint8Array");
  }
  auto bytes = value.As<Napi::Uint8Array>();
  return {bytes.Data(), bytes.ByteLength()};
}

// An integer property of a column description within [min, max] (absent: fallback).
int64_t OptionalInteger(const Napi::Object& column, const char* name, int64_t min, int64_t max, int64_t fallback) {
  Napi::Value value = column.Get(name);
  if (value.IsUndefined()) return fallback;
  const double number = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : -1e300;
  if (!(number >= static_cast<double>(min) && number <= static_cast<double>(max)) || static_cast<double>(static_cast<int64_t>(number)) != number) {
    throw Napi::RangeError::New(column.Env(), std::string(kSignature) + ": column." + name + " is out of range");
  }
  return static_cast<int64_t>(number);
}

core::FilterColumn ReadColumn(const Napi::Value& value) {
  if (!value.IsObject()) throw Napi::TypeError::New(value.Env(), std::string(kSignature) + ": each column must be an object");
  Napi::Object object = value.As<Napi::Object>();
  core::FilterColumn column;
  column.type = static_cast<core::ColumnType>(OptionalInteger(object, "type", 1, 15, 0));
  column.validity = OptionalBytes(object, "validity");
  column.values = OptionalBytes(object, "values");
  column.offsets = OptionalBytes(object, "offsets");
  Napi::Value ancestors = object.Get("ancestorValidity");
  if (!ancestors.IsUndefined()) {
    if (!ancestors.IsArray()) throw Napi::TypeError::New(object.Env(), std::string(kSignature) + ": column.ancestorValidity must be an array");
    Napi::Array list = ancestors.As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); i++) {
      Napi::Object holder = Napi::Object::New(object.Env());
      holder.Set("bitmap", list.Get(i));
      column.ancestor_validity.push_back(OptionalBytes(holder, "bitmap"));
    }
  }
  column.index_type = static_cast<core::ColumnType>(OptionalInteger(object, "indexType", 1, 8, 3));
  column.dictionary_large = OptionalInteger(object, "dictionaryLarge", 0, 1, 0) == 1;
  column.dictionary_length = static_cast<std::size_t>(OptionalInteger(object, "dictionaryLength", 0, 9007199254740991LL, 0));
  column.dictionary_validity = OptionalBytes(object, "dictionaryValidity");
  column.dictionary_values = OptionalBytes(object, "dictionaryValues");
  column.dictionary_offsets = OptionalBytes(object, "dictionaryOffsets");
  return column;
}

template <typename T>
T TypedArgument(const Napi::CallbackInfo& info, std::size_t index, napi_typedarray_type type, const char* what) {
  if (!info[index].IsTypedArray() || info[index].As<Napi::TypedArray>().TypedArrayType() != type) {
    throw Napi::TypeError::New(info.Env(), std::string(kSignature) + ": " + what);
  }
  return info[index].As<T>();
}

// The program of a call: arguments 0 to 3.
core::FilterProgram ReadProgram(const Napi::CallbackInfo& info, const char* signature) {
  Napi::Env env = info.Env();
  core::FilterProgram program;
  auto code = TypedArgument<Napi::Int32Array>(info, 0, napi_int32_array, "code must be an Int32Array");
  auto ints = TypedArgument<Napi::BigInt64Array>(info, 1, napi_bigint64_array, "ints must be a BigInt64Array");
  auto floats = TypedArgument<Napi::Float64Array>(info, 2, napi_float64_array, "floats must be a Float64Array");
  if (!info[3].IsArray() || !info[4].IsArray()) throw Napi::TypeError::New(env, std::string(signature) + ": strings and columns must be arrays");
  if (code.ElementLength() % 4 != 0) throw Napi::RangeError::New(env, std::string(signature) + ": code holds 4 integers per instruction");
  for (std::size_t i = 0; i < code.ElementLength(); i += 4) {
    program.code.push_back({static_cast<core::Op>(code[i]), code[i + 1], code[i + 2], code[i + 3]});
  }
  program.ints.assign(ints.Data(), ints.Data() + ints.ElementLength());
  program.floats.assign(floats.Data(), floats.Data() + floats.ElementLength());
  Napi::Array strings = info[3].As<Napi::Array>();
  for (uint32_t i = 0; i < strings.Length(); i++) {
    Napi::Value s = strings.Get(i);
    if (!s.IsString()) throw Napi::TypeError::New(env, std::string(signature) + ": strings must hold strings");
    program.strings.push_back(s.As<Napi::String>().Utf8Value());
  }
  return program;
}

// The column descriptions of one batch.
std::vector<core::FilterColumn> ReadColumns(const Napi::Array& list) {
  std::vector<core::FilterColumn> columns;
  for (uint32_t i = 0; i < list.Length(); i++) columns.push_back(ReadColumn(list.Get(i)));
  return columns;
}

// The program, columns (arguments 0 to 4) and rows (5) of a filterBatch or evaluateColumn call.
struct Call {
  core::FilterProgram program;
  std::vector<core::FilterColumn> columns;
  std::size_t rows = 0;
};

// Reads a call of `count` arguments into `call`.
void ReadCall(const Napi::CallbackInfo& info, const char* signature, std::size_t count, Call* call) {
  RequireArgumentCount(info, signature, count);
  call->program = ReadProgram(info, signature);
  call->rows = ByteCount(info, 5, signature, "rows");
  call->columns = ReadColumns(info[4].As<Napi::Array>());
}

// A failed evaluation as an Error whose code says why.
Napi::Error FailureError(Napi::Env env, core::FilterResult::Failure failure, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  const char* code = failure == core::FilterResult::Failure::kEvaluation    ? "FILTER_EVALUATION"
                     : failure == core::FilterResult::Failure::kUnsupported ? "FILTER_UNSUPPORTED"
                                                                             : "FILTER_MALFORMED";
  error.Set("code", Napi::String::New(env, code));
  return error;
}

[[noreturn]] void ThrowFailure(Napi::Env env, core::FilterResult::Failure failure, const std::string& message) {
  throw FailureError(env, failure, message);
}

Napi::Uint32Array SelectedArray(Napi::Env env, const std::vector<uint32_t>& selected) {
  Napi::Uint32Array out = Napi::Uint32Array::New(env, selected.size());
  if (!selected.empty()) std::memcpy(out.Data(), selected.data(), selected.size() * sizeof(uint32_t));
  return out;
}

Napi::Uint8Array CopyOut(Napi::Env env, const std::vector<uint8_t>& bytes) {
  Napi::Uint8Array out = Napi::Uint8Array::New(env, bytes.size());
  if (!bytes.empty()) std::memcpy(out.Data(), bytes.data(), bytes.size());
  return out;
}

}  // namespace

Napi::Value FilterBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Call call;
  ReadCall(info, kSignature, 6, &call);
  core::FilterResult result = core::EvaluateFilter(call.program, call.columns, call.rows);
  if (!result.ok) ThrowFailure(env, result.failure, result.error);
  return SelectedArray(env, result.selected);
}

Napi::Value FilterBatches(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgumentCount(info, kBatchesSignature, 7);
  const core::FilterProgram program = ReadProgram(info, kBatchesSignature);
  if (!info[5].IsArray()) throw Napi::TypeError::New(env, std::string(kBatchesSignature) + ": rows must be an array");
  Napi::Array batchList = info[4].As<Napi::Array>();
  Napi::Array rowList = info[5].As<Napi::Array>();
  if (rowList.Length() != batchList.Length()) throw Napi::RangeError::New(env, std::string(kBatchesSignature) + ": rows needs one count per batch");
  const std::size_t threads = ByteCount(info, 6, kBatchesSignature, "threads");
  if (threads > 1024) throw Napi::RangeError::New(env, std::string(kBatchesSignature) + ": threads must be at most 1024");
  std::vector<core::FilterBatchInput> batches(batchList.Length());
  for (uint32_t b = 0; b < batchList.Length(); b++) {
    Napi::Value columns = batchList.Get(b);
    Napi::Value rows = rowList.Get(b);
    if (!columns.IsArray()) throw Napi::TypeError::New(env, std::string(kBatchesSignature) + ": each batch must be an array of columns");
    const double count = rows.IsNumber() ? rows.As<Napi::Number>().DoubleValue() : -1;
    if (!(count >= 0 && count <= 4294967295.0) || static_cast<double>(static_cast<uint32_t>(count)) != count) {
      throw Napi::RangeError::New(env, std::string(kBatchesSignature) + ": each row count must be an integer from 0 to 2^32-1");
    }
    batches[b].columns = ReadColumns(columns.As<Napi::Array>());
    batches[b].rows = static_cast<std::size_t>(count);
  }
  const std::vector<core::FilterResult> results = core::EvaluateFilterBatches(program, batches, static_cast<unsigned>(threads));
  Napi::Array selected = Napi::Array::New(env);
  Napi::Object out = Napi::Object::New(env);
  for (const core::FilterResult& result : results) {
    if (!result.ok) {
      out.Set("error", FailureError(env, result.failure, result.error).Value());
      break;
    }
    selected.Set(selected.Length(), SelectedArray(env, result.selected));
  }
  out.Set("selected", selected);
  return out;
}

Napi::Value EvaluateColumn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Call call;
  ReadCall(info, kColumnSignature, 7, &call);
  const double type = info[6].IsNumber() ? info[6].As<Napi::Number>().DoubleValue() : 0;
  if (!(type >= 1 && type <= 13) || static_cast<double>(static_cast<int32_t>(type)) != type) {
    throw Napi::RangeError::New(env, std::string(kColumnSignature) + ": type must be an integer, float, bool or utf8 column type code (1-13)");
  }
  core::ColumnResult result = core::EvaluateColumn(call.program, call.columns, call.rows, static_cast<core::ColumnType>(static_cast<int32_t>(type)));
  if (!result.ok) ThrowFailure(env, result.failure, result.error);
  Napi::Object out = Napi::Object::New(env);
  out.Set("nullCount", Napi::Number::New(env, static_cast<double>(result.null_count)));
  out.Set("validity", CopyOut(env, result.validity));
  out.Set("offsets", CopyOut(env, result.offsets));
  out.Set("values", CopyOut(env, result.values));
  return out;
}

}  // namespace flightcache::binding
