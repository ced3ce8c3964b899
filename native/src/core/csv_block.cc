#include "core/csv_block.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <system_error>
#include <thread>

#include "core/csv_cells.h"
#include "core/csv_tokenizer.h"

namespace flightcache::core::csv {
namespace {

constexpr std::size_t kBufferAlignment = 64;
constexpr std::size_t kNoStop = std::numeric_limits<std::size_t>::max();

std::size_t Padded(std::size_t bytes) { return (bytes + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment; }

// Runs fn(0) .. fn(count - 1), each on its own thread (fn(0) on this one); inline when no thread can start.
template <typename Fn>
void RunParallel(std::size_t count, const Fn& fn) {
  if (count == 0) return;
  std::vector<std::thread> threads;
  for (std::size_t k = 1; k < count; k++) {
    try {
      threads.emplace_back(fn, k);
    } catch (const std::system_error&) {
      fn(k);
    }
  }
  fn(0);
  for (std::thread& thread : threads) thread.join();
}

struct Part {
  CsvRecords records;
  TokenizeResult result;
  // Rows of the parts before it.
  std::size_t first_row = 0;
};

// The cell of `row` (within the part) and field `column`.
std::string_view Cell(std::string_view data, const Part& part, std::size_t columns, std::size_t row, std::size_t column, std::string* scratch) {
  const std::size_t at = 2 * (row * columns + column);
  return FieldValue(data, part.records.spans[at], part.records.spans[at + 1], scratch);
}

// Tokenizes the block in parts: each part but the first starts after a line end found past its
// share of the bytes, a guess that is wrong only inside a quoted field with a line end. A part is
// kept when the one before it ended exactly where it started; otherwise the rest of the block is
// tokenized again, in one part, from where the last good part ended.
std::vector<Part> TokenizeParts(const CsvBlockRequest& request, std::size_t count, CsvError* error, std::size_t* consumed) {
  const std::string_view data = request.data;
  std::vector<std::size_t> starts(count, 0);
  for (std::size_t k = 1; k < count; k++) starts[k] = std::max(starts[k - 1], NextLineStart(data, data.size() * k / count));
  std::vector<Part> parts(count);
  RunParallel(count, [&](std::size_t k) {
    std::size_t columns = request.columns;
    const std::size_t stop = k + 1 < count ? starts[k + 1] : kNoStop;
    parts[k].result = Tokenize(data, starts[k], stop, kNoStop, request.at_end, &columns, &parts[k].records);
  });
  std::size_t rows = 0;
  for (std::size_t k = 0; k < parts.size(); k++) {
    Part& part = parts[k];
    part.first_row = rows;
    if (part.result.status != TokenizeStatus::kOk) {
      error->kind = CsvErrorKind::kFieldCount;
      error->record = rows + part.records.rows;
      error->fields = part.result.fields;
      return {};
    }
    rows += part.records.rows;
    *consumed = part.result.end;
    if (k + 1 < parts.size() && part.result.end != parts[k + 1].result.first) {
      parts.resize(k + 2);
      Part& rest = parts[k + 1];
      rest = Part{};
      std::size_t columns = request.columns;
      rest.result = Tokenize(data, part.result.end, kNoStop, kNoStop, request.at_end, &columns, &rest.records);
    }
  }
  return parts;
}

// Resolves the kInferType columns from the first infer_rows rows of the parts.
void InferTypes(const CsvBlockRequest& request, const std::vector<Part>& parts, std::vector<int32_t>* types) {
  std::string scratch;
  for (std::size_t c = 0; c < types->size(); c++) {
    if ((*types)[c] != kInferType) continue;
    uint32_t candidates = kAllCandidates;
    bool any_value = false;
    std::size_t seen = 0;
    for (const Part& part : parts) {
      for (std::size_t row = 0; row < part.records.rows && seen < request.infer_rows && candidates != 0; row++, seen++) {
        const std::string_view cell = Cell(request.data, part, request.columns, row, static_cast<std::size_t>(request.kept[c]), &scratch);
        if (IsNullCell(cell)) continue;
        any_value = true;
        candidates = Narrow(candidates, cell);
      }
    }
    (*types)[c] = static_cast<int32_t>(InferredType(candidates, any_value));
  }
}

// Writes a part's column of a fixed-width (or bit) type: validity and values; false on a cell that is not a value.
template <typename Parse>
bool ConvertFixed(const CsvBlockRequest& request, const Part& part, std::size_t column, std::byte* validity, int64_t* nulls, const Parse& parse,
                  CsvError* error) {
  std::string scratch;
  int64_t null_count = 0;
  for (std::size_t row = 0; row < part.records.rows; row++) {
    const std::string_view cell = Cell(request.data, part, request.columns, row, column, &scratch);
    if (IsNullCell(cell)) {
      null_count++;
      continue;
    }
    validity[row >> 3] |= static_cast<std::byte>(1u << (row & 7));
    if (!parse(row, cell)) {
      error->kind = CsvErrorKind::kCell;
      error->record = part.first_row + row;
      error->cell = std::string(cell);
      return false;
    }
  }
  *nulls = null_count;
  return true;
}

// Converts a part's kept columns into one record batch.
CsvBatch ConvertPart(const CsvBlockRequest& request, const std::vector<int32_t>& types, const Part& part, CsvError* error) {
  const std::size_t rows = part.records.rows;
  const std::size_t bitmap = (rows + 7) / 8;
  const std::string_view data = request.data;
  // Buffer lengths in message order; a string column's data length is counted first.
  std::vector<std::size_t> lengths;
  for (std::size_t c = 0; c < types.size(); c++) {
    const auto type = static_cast<CsvType>(types[c]);
    if (type == CsvType::kNull) continue;
    if (type == CsvType::kString) {
      std::size_t total = 0;
      for (std::size_t row = 0; row < rows; row++) {
        const std::size_t at = 2 * (row * request.columns + static_cast<std::size_t>(request.kept[c]));
        total += FieldValueLength(data, part.records.spans[at], part.records.spans[at + 1]);
      }
      if (total > static_cast<std::size_t>(std::numeric_limits<int32_t>::max())) {
        error->kind = CsvErrorKind::kStringTooLong;
        error->record = part.first_row;
        error->column = c;
        return {};
      }
      lengths.insert(lengths.end(), {0, 4 * (rows + 1), total});
      continue;
    }
    const std::size_t values = type == CsvType::kBool ? bitmap : type == CsvType::kDate32 ? 4 * rows : 8 * rows;
    lengths.insert(lengths.end(), {bitmap, values});
  }
  std::size_t body_bytes = 0;
  for (std::size_t length : lengths) body_bytes += Padded(length);
  CsvBatch batch;
  batch.rows = rows;
  batch.body = request.allocator->Allocate(body_bytes);
  if (!batch.body) {
    error->kind = CsvErrorKind::kOutOfMemory;
    return {};
  }
  std::byte* body = batch.body->data();
  // Bitmaps start all null and padding is zero.
  std::memset(body, 0, body_bytes);
  std::size_t offset = 0;
  std::size_t buffer = 0;
  // The next buffer: its start in the body, recorded with its length.
  auto next = [&]() {
    std::byte* start = body + offset;
    batch.buffers.push_back(static_cast<int64_t>(offset));
    batch.buffers.push_back(static_cast<int64_t>(lengths[buffer]));
    offset += Padded(lengths[buffer++]);
    return start;
  };
  for (std::size_t c = 0; c < types.size(); c++) {
    const auto type = static_cast<CsvType>(types[c]);
    const auto column = static_cast<std::size_t>(request.kept[c]);
    error->column = c;
    if (type == CsvType::kNull) {
      batch.nodes.insert(batch.nodes.end(), {static_cast<int64_t>(rows), static_cast<int64_t>(rows)});
      continue;
    }
    if (type == CsvType::kString) {
      next();
      auto* offsets = reinterpret_cast<int32_t*>(next());
      char* text = reinterpret_cast<char*>(next());
      int32_t at = 0;
      offsets[0] = 0;
      for (std::size_t row = 0; row < rows; row++) {
        const std::size_t span = 2 * (row * request.columns + column);
        const uint32_t start = part.records.spans[span];
        const uint32_t end = part.records.spans[span + 1];
        if ((end & kQuotedBit) == 0) {
          std::memcpy(text + at, data.data() + start, end - start);
          at += static_cast<int32_t>(end - start);
        } else {
          CopyFieldValue(data, start, end, text + at);
          at += static_cast<int32_t>(FieldValueLength(data, start, end));
        }
        offsets[row + 1] = at;
      }
      batch.nodes.insert(batch.nodes.end(), {static_cast<int64_t>(rows), 0});
      continue;
    }
    const std::size_t validity_index = batch.buffers.size() + 1;
    std::byte* validity = next();
    std::byte* values = next();
    int64_t nulls = 0;
    bool ok = false;
    switch (type) {
      case CsvType::kInt64:
        ok = ConvertFixed(request, part, column, validity, &nulls, [&](std::size_t row, std::string_view cell) {
          return ParseInt64(cell, reinterpret_cast<int64_t*>(values) + row);
        }, error);
        break;
      case CsvType::kTimestampSeconds:
        ok = ConvertFixed(request, part, column, validity, &nulls, [&](std::size_t row, std::string_view cell) {
          return ParseTimestampSeconds(cell, reinterpret_cast<int64_t*>(values) + row);
        }, error);
        break;
      case CsvType::kDouble:
        ok = ConvertFixed(request, part, column, validity, &nulls, [&](std::size_t row, std::string_view cell) {
          return ParseDouble(cell, reinterpret_cast<double*>(values) + row);
        }, error);
        break;
      case CsvType::kDate32:
        ok = ConvertFixed(request, part, column, validity, &nulls, [&](std::size_t row, std::string_view cell) {
          return ParseDate32(cell, reinterpret_cast<int32_t*>(values) + row);
        }, error);
        break;
      case CsvType::kBool:
        ok = ConvertFixed(request, part, column, validity, &nulls, [&](std::size_t row, std::string_view cell) {
          bool value = false;
          if (!ParseBool(cell, &value)) return false;
          if (value) values[row >> 3] |= static_cast<std::byte>(1u << (row & 7));
          return true;
        }, error);
        break;
      default:
        break;
    }
    if (!ok) return {};
    // Without nulls the validity bitmap is left out (length 0), as Arrow writers do.
    if (nulls == 0) batch.buffers[validity_index] = 0;
    batch.nodes.insert(batch.nodes.end(), {static_cast<int64_t>(rows), nulls});
  }
  error->column = 0;
  return batch;
}

}  // namespace

CsvBlockResult ParseCsvBlock(const CsvBlockRequest& request) {
  CsvBlockResult result;
  const std::size_t by_size = std::max<std::size_t>(1, request.data.size() / kMinBytesPerPart);
  const std::size_t count = std::max<std::size_t>(1, std::min(request.threads, by_size));
  std::vector<Part> parts = TokenizeParts(request, count, &result.error, &result.consumed);
  if (result.error.kind != CsvErrorKind::kNone) return result;
  result.types = request.types;
  InferTypes(request, parts, &result.types);
  parts.erase(std::remove_if(parts.begin(), parts.end(), [](const Part& part) { return part.records.rows == 0; }), parts.end());
  std::vector<CsvError> errors(parts.size());
  std::vector<CsvBatch> batches(parts.size());
  RunParallel(parts.size(), [&](std::size_t k) { batches[k] = ConvertPart(request, result.types, parts[k], &errors[k]); });
  for (std::size_t k = 0; k < parts.size(); k++) {
    if (errors[k].kind != CsvErrorKind::kNone) {
      result.error = errors[k];
      return result;
    }
    result.rows += batches[k].rows;
  }
  result.batches = std::move(batches);
  return result;
}

CsvHeaderStatus ParseCsvHeader(std::string_view data, bool at_end, std::vector<std::string>* names, std::size_t* consumed) {
  const std::size_t begin = ByteOrderMarkLength(data);
  CsvRecords records;
  std::size_t columns = 0;
  const TokenizeResult result = Tokenize(data, begin, kNoStop, 1, at_end, &columns, &records);
  if (records.rows == 0) return at_end ? CsvHeaderStatus::kNoLineEnd : CsvHeaderStatus::kNeedMore;
  if (result.last_field_end == data.size()) return CsvHeaderStatus::kNoLineEnd;
  std::string scratch;
  names->clear();
  for (std::size_t f = 0; f < columns; f++) names->emplace_back(FieldValue(data, records.spans[2 * f], records.spans[2 * f + 1], &scratch));
  *consumed = result.end;
  return CsvHeaderStatus::kHeader;
}

}  // namespace flightcache::core::csv
