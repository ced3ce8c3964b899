// Tests of the CSV reader core (core/csv_*.h) without Node: exact values, record boundaries across
// blocks and parts, and random input inside its bounds (built under ASan/UBSan by lib/core.spec.ts).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "core/csv_block.h"
#include "core/csv_cells.h"
#include "core/csv_tokenizer.h"
#include "core/heap_allocator.h"

namespace {

using flightcache::test::Check;
using namespace flightcache::core::csv;

flightcache::core::HeapRegionAllocator allocator;

constexpr int32_t kInt64 = static_cast<int32_t>(CsvType::kInt64);
constexpr int32_t kString = static_cast<int32_t>(CsvType::kString);

CsvBlockResult Parse(const std::string& text, bool at_end, std::size_t columns, std::vector<int32_t> types, std::size_t threads) {
  CsvBlockRequest request;
  request.data = text;
  request.at_end = at_end;
  request.columns = columns;
  for (std::size_t c = 0; c < types.size(); c++) request.kept.push_back(static_cast<int32_t>(c));
  request.types = std::move(types);
  request.infer_rows = 65536;
  request.threads = threads;
  request.allocator = &allocator;
  return ParseCsvBlock(request);
}

const std::byte* Buffer(const CsvBatch& batch, std::size_t index) { return batch.body->data() + batch.buffers[2 * index]; }

// Every row of the result as text: null as "<null>", values as %.17g / decimal / the string.
std::vector<std::vector<std::string>> Rows(const CsvBlockResult& result) {
  std::vector<std::vector<std::string>> rows;
  for (const CsvBatch& batch : result.batches) {
    const std::size_t first = rows.size();
    rows.resize(first + batch.rows, std::vector<std::string>(result.types.size()));
    std::size_t buffer = 0;
    for (std::size_t c = 0; c < result.types.size(); c++) {
      const auto type = static_cast<CsvType>(result.types[c]);
      if (type == CsvType::kNull) {
        for (std::size_t r = 0; r < batch.rows; r++) rows[first + r][c] = "<null>";
        continue;
      }
      const std::byte* validity = Buffer(batch, buffer);
      const bool has_validity = batch.buffers[2 * buffer + 1] > 0;
      const std::byte* values = Buffer(batch, buffer + 1);
      for (std::size_t r = 0; r < batch.rows; r++) {
        std::string& out = rows[first + r][c];
        if (has_validity && (static_cast<unsigned>(validity[r >> 3]) & (1u << (r & 7))) == 0) {
          out = "<null>";
          continue;
        }
        char text[64];
        switch (type) {
          case CsvType::kInt64:
          case CsvType::kTimestampSeconds:
            std::snprintf(text, sizeof text, "%lld", static_cast<long long>(reinterpret_cast<const int64_t*>(values)[r]));
            out = text;
            break;
          case CsvType::kDouble:
            std::snprintf(text, sizeof text, "%.17g", reinterpret_cast<const double*>(values)[r]);
            out = text;
            break;
          case CsvType::kDate32:
            out = std::to_string(reinterpret_cast<const int32_t*>(values)[r]);
            break;
          case CsvType::kBool:
            out = (static_cast<unsigned>(values[r >> 3]) & (1u << (r & 7))) ? "true" : "false";
            break;
          case CsvType::kString: {
            const auto* offsets = reinterpret_cast<const int32_t*>(values);
            const char* data = reinterpret_cast<const char*>(Buffer(batch, buffer + 2));
            out.assign(data + offsets[r], static_cast<std::size_t>(offsets[r + 1] - offsets[r]));
            break;
          }
          default:
            break;
        }
      }
      buffer += type == CsvType::kString ? 3 : 2;
    }
  }
  return rows;
}

void TestCells() {
  int64_t i = 0;
  Check(!ParseInt64("+5", &i), "+5 is not an int64 (pyarrow reads a double)");
  Check(ParseInt64(" 7\t", &i) && i == 7, "spaces and tabs around an int64");
  Check(ParseInt64("0x1F", &i) && i == 31 && ParseInt64("0xffffffffffffffff", &i) && i == -1, "hex int64 as uint64 bits");
  Check(ParseInt64("-9223372036854775808", &i) && i == std::numeric_limits<int64_t>::min(), "int64 min");
  Check(!ParseInt64("9223372036854775808", &i), "int64 max + 1 is not an int64");
  for (const char* bad : {"", "+", "-", "+-5", "--5", "-0x10", "+0x10", "0x", "0x10000000000000000", "0b1", "5e2", " "}) Check(!ParseInt64(bad, &i), bad);
  double d = 0;
  Check(ParseDouble(".5", &d) && d == 0.5, ".5");
  Check(ParseDouble("5.", &d) && d == 5.0, "5.");
  Check(ParseDouble("+1e3", &d) && d == 1000.0, "+1e3");
  Check(ParseDouble("1e400", &d) && std::isinf(d) && d > 0, "1e400 is infinity");
  Check(ParseDouble("-1e-400", &d) && d == 0 && std::signbit(d), "-1e-400 is -0");
  Check(ParseDouble("-Infinity", &d) && std::isinf(d) && d < 0, "-Infinity");
  Check(ParseDouble("0.1", &d) && d == 0.1, "0.1 exactly rounded");
  Check(ParseDouble(" 1.5 ", &d) && d == 1.5, "spaces around a double");
  Check(ParseDouble("iNfInItY", &d) && std::isinf(d) && ParseDouble("+NAN", &d) && std::isnan(d), "any case of inf and nan");
  for (const char* bad : {"", ".", "e5", "1e", "1e+", "inf5", "+-1", "1.2.3", "0x10", "1,5"}) Check(!ParseDouble(bad, &d), bad);
  int32_t day = 0;
  Check(ParseDate32("1970-01-02", &day) && day == 1, "1970-01-02 is day 1");
  Check(ParseDate32("2024-02-29", &day) && day == 19782, "2024-02-29");
  Check(ParseDate32("1969-12-31", &day) && day == -1, "1969-12-31 is day -1");
  for (const char* bad : {"2023-02-29", "2024-13-01", "2024-00-10", "2024-1-01", "2024/01/01"}) Check(!ParseDate32(bad, &day), bad);
  Check(ParseTimestampSeconds("1970-01-01T00:01:05", &i) && i == 65, "timestamp T");
  Check(ParseTimestampSeconds("2000-03-01 23:59:59", &i) && i == 951955199, "timestamp space");
  Check(ParseTimestampSeconds("1970-01-02", &i) && i == 86400, "a date alone is a timestamp");
  Check(ParseTimestampSeconds("1970-01-01 01", &i) && i == 3600 && ParseTimestampSeconds("1970-01-01T01:02", &i) && i == 3720, "hours, hours:minutes");
  for (const char* bad : {" 2000-03-01 01:00:00", "2000-03-01 24:00:00", "2000-03-01 23:59:60", "2000-03-01 1:00", "2000-03-01T23:59:59Z", "2000-03-01 23:59:59.5"}) Check(!ParseTimestampSeconds(bad, &i), bad);
  Check(IsNullCell("") && IsNullCell("N/A") && IsNullCell("-nan") && !IsNullCell("None") && !IsNullCell("nulls"), "null markers");
  Check(InferredType(Narrow(Narrow(kAllCandidates, "1"), "0"), true) == CsvType::kInt64, "1, 0 infer int64");
  Check(InferredType(Narrow(Narrow(kAllCandidates, "1"), "true"), true) == CsvType::kBool, "1, true infer bool");
  Check(InferredType(Narrow(Narrow(kAllCandidates, "1"), "2.5"), true) == CsvType::kDouble, "1, 2.5 infer double");
  Check(InferredType(Narrow(kAllCandidates, "2024-01-01 00:00:00"), true) == CsvType::kTimestampSeconds, "timestamp inferred");
  Check(InferredType(Narrow(kAllCandidates, "x"), true) == CsvType::kString, "x infers string");
  Check(InferredType(kAllCandidates, false) == CsvType::kNull, "no values infer null");
}

void TestExactBlock() {
  const std::string text = "1,a\n2,\"b,\"\"c\"\"\nd\"\r\n\n\r\n,\"q\"tail\r4,\"\"\n5,";
  CsvBlockResult result = Parse(text, true, 2, {kInferType, kInferType}, 1);
  Check(result.error.kind == CsvErrorKind::kNone, "exact block parses");
  Check(result.types == std::vector<int32_t>{kInt64, kString}, "exact block types");
  const std::vector<std::vector<std::string>> expected = {{"1", "a"}, {"2", "b,\"c\"\nd"}, {"<null>", "qtail"}, {"4", ""}, {"5", ""}};
  Check(Rows(result) == expected, "exact block values");
  Check(result.consumed == text.size(), "exact block consumed");
  const CsvBlockResult open = Parse(text, false, 2, {kInt64, kString}, 1);
  Check(Rows(open).size() == 4 && open.consumed == text.size() - 2, "without at_end the last record waits");
  const CsvBlockResult count = Parse("1,2\n3\n", true, 2, {kInt64, kInt64}, 1);
  Check(count.error.kind == CsvErrorKind::kFieldCount && count.error.record == 1 && count.error.fields == 1, "field count error names the record");
  const CsvBlockResult cell = Parse("1\n2\nx\n", true, 1, {kInt64}, 1);
  Check(cell.error.kind == CsvErrorKind::kCell && cell.error.record == 2 && cell.error.cell == "x", "cell error names the record and cell");
  const CsvBlockResult unclosed = Parse("1,\"a\"\"b\n", true, 2, {kInt64, kString}, 1);
  Check(unclosed.error.kind == CsvErrorKind::kNone && Rows(unclosed) == std::vector<std::vector<std::string>>{{"1", "a\"b\n"}}, "a quote that never closes holds the rest of the file");
  const CsvBlockResult waiting = Parse("1,\"ab\n", false, 2, {kInt64, kString}, 1);
  Check(waiting.batches.empty() && waiting.consumed == 0, "before the end, an open quote waits for more bytes");
  const CsvBlockResult empty = Parse("", true, 1, {kInferType}, 2);
  Check(empty.error.kind == CsvErrorKind::kNone && empty.batches.empty() && empty.types == std::vector<int32_t>{0}, "no records: no batches, a null column");
  const CsvBlockResult blank = Parse("\n\r\n", true, 1, {kInt64}, 2);
  Check(blank.error.kind == CsvErrorKind::kNone && blank.batches.empty() && blank.consumed == 3, "empty lines only: no batches, all consumed");
  std::vector<std::string> names;
  std::size_t consumed = 0;
  Check(ParseCsvHeader("\xEF\xBB\xBF\"a,b\",c\r\n\n1,2", true, &names, &consumed) == CsvHeaderStatus::kHeader && names == std::vector<std::string>{"a,b", "c"} && consumed == 13,
        "header skips the byte order mark and empty lines");
  Check(ParseCsvHeader("a,b", false, &names, &consumed) == CsvHeaderStatus::kNeedMore, "a header without its line end waits");
  Check(ParseCsvHeader("a,b", true, &names, &consumed) == CsvHeaderStatus::kNoLineEnd, "a header ending the file without a line end has no columns");
  Check(ParseCsvHeader("\n\n", true, &names, &consumed) == CsvHeaderStatus::kNoLineEnd, "no record: no header");
  Check(ParseCsvHeader("a\r", true, &names, &consumed) == CsvHeaderStatus::kHeader && consumed == 2, "a CR ends the header");
}

// A random CSV of 3 columns (int64 with nulls, string with quotes/delimiters/line ends, double).
std::string RandomCsv(std::mt19937_64& random, std::size_t rows, std::vector<std::vector<std::string>>* expected) {
  std::string text;
  const char* pieces[] = {"a", "b", ",", "\n", "\r\n", "\"", " ", "xyz"};
  for (std::size_t r = 0; r < rows; r++) {
    if (random() % 50 == 0) text += random() % 2 ? "\n" : "\r\n";
    const int64_t value = static_cast<int64_t>(random() % 2000000) - 1000000;
    const bool null = random() % 10 == 0;
    text += null ? "" : std::to_string(value);
    text += ',';
    std::string value_text;
    const std::size_t count = random() % 5;
    for (std::size_t p = 0; p < count; p++) value_text += pieces[random() % 8];
    if (value_text.empty() || random() % 2 || value_text.find_first_of(",\r\n\"") != std::string::npos) {
      text += '"';
      for (char c : value_text) text += c == '"' ? std::string("\"\"") : std::string(1, c);
      text += '"';
    } else {
      text += value_text;
    }
    const double real = static_cast<double>(random() % 1000000) / 64.0;
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.17g", real);
    text += ',';
    text += buffer;
    text += random() % 3 == 0 ? "\r\n" : "\n";
    std::snprintf(buffer, sizeof buffer, "%.17g", real);
    expected->push_back({null ? "<null>" : std::to_string(value), value_text, buffer});
  }
  return text;
}

void TestPartsAndBlocks() {
  std::mt19937_64 random(7);
  const std::vector<int32_t> types = {kInt64, kString, static_cast<int32_t>(CsvType::kDouble)};
  for (int round = 0; round < 6; round++) {
    std::vector<std::vector<std::string>> expected;
    const std::string text = RandomCsv(random, 60000, &expected);
    for (std::size_t threads : {1, 2, 3, 8}) {
      const CsvBlockResult result = Parse(text, true, 3, types, threads);
      Check(result.error.kind == CsvErrorKind::kNone && Rows(result) == expected, "threads read the same rows as the text holds");
    }
    // Blocks cut at arbitrary bytes: each reads its complete records, the rest goes to the next.
    std::size_t at = 0;
    std::vector<std::vector<std::string>> rows;
    while (at < text.size()) {
      const std::size_t take = std::min<std::size_t>(text.size() - at, 1 + random() % 700000);
      const std::string block = text.substr(at, take);
      const bool at_end = at + take == text.size();
      const CsvBlockResult result = Parse(block, at_end, 3, types, 2);
      Check(result.error.kind == CsvErrorKind::kNone, "a cut block parses");
      const auto part = Rows(result);
      rows.insert(rows.end(), part.begin(), part.end());
      if (result.consumed == 0 && !at_end) {
        // Not one complete record: the next try takes more bytes.
        continue;
      }
      at += result.consumed;
      if (at_end) break;
    }
    Check(rows == expected, "blocks cut anywhere read the same rows");
  }
}

void TestRandomBytes() {
  std::mt19937_64 random(11);
  const char alphabet[] = {'a', '1', ',', '"', '\n', '\r', '-', '.', 'e', '\0', '\xff'};
  for (int round = 0; round < 300; round++) {
    std::string text(random() % 3000000 / (1 + random() % 100), ' ');
    for (char& c : text) c = alphabet[random() % sizeof alphabet];
    const std::size_t columns = 1 + random() % 4;
    std::vector<int32_t> types(columns, kInferType);
    const CsvBlockResult one = Parse(text, round % 2 == 0, columns, types, 1);
    const CsvBlockResult many = Parse(text, round % 2 == 0, columns, types, 4);
    Check(one.error.kind == many.error.kind && one.error.record == many.error.record && one.consumed == many.consumed, "random bytes: parts agree with one part");
    if (one.error.kind == CsvErrorKind::kNone) Check(Rows(one) == Rows(many), "random bytes: the same rows");
  }
}

}  // namespace

int main() {
  TestCells();
  TestExactBlock();
  TestPartsAndBlocks();
  TestRandomBytes();
  if (flightcache::test::failures > 0) return 1;
  std::puts("csv tests passed");
  return 0;
}
