#include "binding/csv.h"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "binding/addon_state.h"
#include "binding/arguments.h"
#include "binding/regions.h"
#include "core/csv_block.h"
#include "core/csv_cells.h"
#include "core/csv_tokenizer.h"

namespace flightcache::binding {
namespace {

constexpr const char* kHeaderSignature = "csvHeader(bytes: Uint8Array, atEnd: boolean)";
constexpr const char* kBlockSignature =
    "csvParseBlock(bytes: Uint8Array, atEnd: boolean, columns: number, kept: Int32Array, types: Int32Array, inferRows: number, threads: number)";

Napi::Uint8Array BytesArgument(const Napi::CallbackInfo& info, std::size_t index, const char* signature) {
  if (!info[index].IsTypedArray() || info[index].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(info.Env(), std::string(signature) + ": bytes must be a Uint8Array, got " + TypeName(info[index]));
  }
  Napi::Uint8Array bytes = info[index].As<Napi::Uint8Array>();
  if (bytes.ByteLength() > core::csv::kMaxTokenizedBytes) {
    throw Napi::RangeError::New(info.Env(), std::string(signature) + ": bytes must be at most 2 GiB - 1");
  }
  return bytes;
}

bool BooleanArgument(const Napi::CallbackInfo& info, std::size_t index, const char* signature, const char* name) {
  if (!info[index].IsBoolean()) throw Napi::TypeError::New(info.Env(), std::string(signature) + ": " + name + " must be a boolean, got " + TypeName(info[index]));
  return info[index].As<Napi::Boolean>().Value();
}

std::vector<int32_t> Int32sArgument(const Napi::CallbackInfo& info, std::size_t index, const char* name) {
  if (!info[index].IsTypedArray() || info[index].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(info.Env(), std::string(kBlockSignature) + ": " + name + " must be an Int32Array, got " + TypeName(info[index]));
  }
  Napi::Int32Array array = info[index].As<Napi::Int32Array>();
  return std::vector<int32_t>(array.Data(), array.Data() + array.ElementLength());
}

Napi::Float64Array Float64s(Napi::Env env, const std::vector<int64_t>& values) {
  Napi::Float64Array array = Napi::Float64Array::New(env, values.size());
  for (std::size_t i = 0; i < values.size(); i++) array[i] = static_cast<double>(values[i]);
  return array;
}

const char* ErrorCode(core::csv::CsvErrorKind kind) {
  switch (kind) {
    case core::csv::CsvErrorKind::kFieldCount: return "CSV_FIELD_COUNT";
    case core::csv::CsvErrorKind::kCell: return "CSV_CELL";
    case core::csv::CsvErrorKind::kStringTooLong: return "CSV_STRING_TOO_LONG";
    default: return "ENOMEM";
  }
}

// Parses one block on a libuv worker thread (which starts the part threads) and settles a promise.
class ParseWorker : public Napi::AsyncWorker {
 public:
  ParseWorker(Napi::Env env, Napi::Uint8Array bytes, core::csv::CsvBlockRequest request)
      : Napi::AsyncWorker(env, "flightcache.csvParseBlock"), deferred_(Napi::Promise::Deferred::New(env)), request_(std::move(request)) {
    // Held so the bytes outlive the parse.
    bytes_ = Napi::Persistent(bytes.As<Napi::Object>());
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override { result_ = core::csv::ParseCsvBlock(request_); }

  void OnOK() override {
    Napi::Env env = Env();
    const core::csv::CsvError& error = result_.error;
    if (error.kind != core::csv::CsvErrorKind::kNone) {
      Napi::Error rejection = Napi::Error::New(env, std::string("CSV block: ") + ErrorCode(error.kind));
      rejection.Set("code", Napi::String::New(env, ErrorCode(error.kind)));
      rejection.Set("record", Napi::Number::New(env, static_cast<double>(error.record)));
      rejection.Set("column", Napi::Number::New(env, static_cast<double>(error.column)));
      rejection.Set("fields", Napi::Number::New(env, static_cast<double>(error.fields)));
      rejection.Set("cell", Napi::String::New(env, error.cell));
      // The column's type, inferred ones included (for the message).
      rejection.Set("type", Napi::Number::New(env, error.column < result_.types.size() ? result_.types[error.column] : core::csv::kInferType));
      deferred_.Reject(rejection.Value());
      return;
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("consumed", Napi::Number::New(env, static_cast<double>(result_.consumed)));
    out.Set("rows", Napi::Number::New(env, static_cast<double>(result_.rows)));
    Napi::Int32Array types = Napi::Int32Array::New(env, result_.types.size());
    for (std::size_t i = 0; i < result_.types.size(); i++) types[i] = result_.types[i];
    out.Set("types", types);
    Napi::Array batches = Napi::Array::New(env, result_.batches.size());
    for (std::size_t i = 0; i < result_.batches.size(); i++) {
      core::csv::CsvBatch& batch = result_.batches[i];
      Napi::Object item = Napi::Object::New(env);
      item.Set("rows", Napi::Number::New(env, static_cast<double>(batch.rows)));
      item.Set("nodes", Float64s(env, batch.nodes));
      item.Set("buffers", Float64s(env, batch.buffers));
      item.Set("body", WrapRegion(env, std::move(batch.body)));
      batches[i] = item;
    }
    out.Set("batches", batches);
    deferred_.Resolve(out);
  }

  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference bytes_;
  core::csv::CsvBlockRequest request_;
  core::csv::CsvBlockResult result_;
};

}  // namespace

Napi::Value CsvHeader(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgumentCount(info, kHeaderSignature, 2);
  Napi::Uint8Array bytes = BytesArgument(info, 0, kHeaderSignature);
  const bool at_end = BooleanArgument(info, 1, kHeaderSignature, "atEnd");
  std::vector<std::string> names;
  std::size_t consumed = 0;
  const std::string_view data(reinterpret_cast<const char*>(bytes.Data()), bytes.ByteLength());
  const core::csv::CsvHeaderStatus status = core::csv::ParseCsvHeader(data, at_end, &names, &consumed);
  if (status == core::csv::CsvHeaderStatus::kNeedMore) return env.Null();
  if (status == core::csv::CsvHeaderStatus::kNoLineEnd) {
    Napi::Error error = Napi::Error::New(env, "CSV header: no header line ends in the file");
    error.Set("code", Napi::String::New(env, "CSV_NO_HEADER_LINE"));
    throw error;
  }
  Napi::Object out = Napi::Object::New(env);
  Napi::Array array = Napi::Array::New(env, names.size());
  for (std::size_t i = 0; i < names.size(); i++) array[i] = Napi::String::New(env, names[i]);
  out.Set("names", array);
  out.Set("consumed", Napi::Number::New(env, static_cast<double>(consumed)));
  return out;
}

Napi::Value CsvParseBlock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgumentCount(info, kBlockSignature, 7);
  Napi::Uint8Array bytes = BytesArgument(info, 0, kBlockSignature);
  core::csv::CsvBlockRequest request;
  request.data = std::string_view(reinterpret_cast<const char*>(bytes.Data()), bytes.ByteLength());
  request.at_end = BooleanArgument(info, 1, kBlockSignature, "atEnd");
  request.columns = ByteCount(info, 2, kBlockSignature, "columns");
  request.kept = Int32sArgument(info, 3, "kept");
  request.types = Int32sArgument(info, 4, "types");
  request.infer_rows = ByteCount(info, 5, kBlockSignature, "inferRows");
  request.threads = ByteCount(info, 6, kBlockSignature, "threads");
  if (request.columns == 0) throw Napi::RangeError::New(env, std::string(kBlockSignature) + ": columns must be at least 1");
  if (request.kept.size() != request.types.size()) throw Napi::RangeError::New(env, std::string(kBlockSignature) + ": kept and types differ in length");
  for (std::size_t i = 0; i < request.kept.size(); i++) {
    if (request.kept[i] < 0 || static_cast<std::size_t>(request.kept[i]) >= request.columns) {
      throw Napi::RangeError::New(env, std::string(kBlockSignature) + ": kept[" + std::to_string(i) + "] is not a column index");
    }
    const int32_t type = request.types[i];
    if (type != core::csv::kInferType && (type < 0 || type > static_cast<int32_t>(core::csv::CsvType::kString))) {
      throw Napi::RangeError::New(env, std::string(kBlockSignature) + ": types[" + std::to_string(i) + "] is not a CSV type");
    }
  }
  if (request.threads == 0 || request.threads > 256) throw Napi::RangeError::New(env, std::string(kBlockSignature) + ": threads must be 1 to 256");
  request.allocator = env.GetInstanceData<AddonState>()->allocator.get();
  auto* worker = new ParseWorker(env, bytes, std::move(request));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace flightcache::binding
