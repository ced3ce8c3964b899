// Standalone tests of the filter kernel (core/filter.h), built and run under the sanitizers by
// native/lib/core.spec.ts: exact selections, then random programs over random buffers, which must
// end in a selection or an error and never read or write outside what they were given.
#include <cstdint>
#include <cstdio>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/filter.h"
#include "check.h"

namespace core = flightcache::core;

namespace {

using flightcache::test::Check;
using flightcache::test::failures;

core::Instruction At(core::Op op, int32_t a = 0, int32_t b = 0, int32_t c = 0) { return {op, a, b, c}; }

void ComparisonsFollowThreeValuedLogic() {
  const int32_t values[] = {9, 0, 5, 6, -1};
  const uint8_t validity[] = {0xFD};  // row 1 is null
  core::FilterColumn column;
  column.type = core::ColumnType::kInt32;
  column.validity = {validity, 1};
  column.values = {reinterpret_cast<const uint8_t*>(values), sizeof values};
  core::FilterProgram program;
  program.ints = {5};
  program.code = {At(core::Op::kColumn), At(core::Op::kInt), At(core::Op::kCompare, 0, 1, 4), At(core::Op::kIsNull, 0),
                  At(core::Op::kOr, 2, 3)};
  core::FilterResult result = core::EvaluateFilter(program, {column}, 5);
  Check(result.ok && result.selected == std::vector<uint32_t>({0, 1, 3}), "x > 5 OR x IS NULL selects rows 0, 1, 3");
  program.code.back() = At(core::Op::kAnd, 2, 3);
  result = core::EvaluateFilter(program, {column}, 5);
  Check(result.ok && result.selected.empty(), "x > 5 AND x IS NULL selects nothing");
}

// A comparison of a column with a constant scans the column's buffers; one whose column an earlier
// IS NOT NULL has already loaded compares the loaded values. Both must select the same rows and fail
// the same way, for every column type, operator and operand order, on well-formed and broken buffers.
void ScansAgreeWithLoadedColumns() {
  std::mt19937 random(7);
  auto below = [&](int n) { return static_cast<int>(random() % static_cast<uint32_t>(n)); };
  const std::vector<int64_t> ints = {0, 1, -1, 2, 127, 128, -129, 255, 256, 65536, -40000, INT64_MIN, INT64_MAX};
  const std::vector<double> floats = {0.0, -0.0, 0.5, -1.5, 1e300, INFINITY, -INFINITY, NAN, -NAN};
  // Constants of up to 8 bytes compare for (in)equality in one word, longer ones bytewise.
  const std::vector<std::string> strings = {"", "a", "ab", "b", "日本", "ab\xff", "abcdefghij", "abcdefghik"};
  const core::ColumnType types[] = {core::ColumnType::kInt8, core::ColumnType::kInt16, core::ColumnType::kInt32, core::ColumnType::kInt64,
                                    core::ColumnType::kUInt8, core::ColumnType::kUInt16, core::ColumnType::kUInt32, core::ColumnType::kUInt64,
                                    core::ColumnType::kFloat32, core::ColumnType::kFloat64, core::ColumnType::kUtf8, core::ColumnType::kLargeUtf8,
                                    core::ColumnType::kDictionaryUtf8};
  int compared = 0, failed = 0;
  for (int round = 0; round < 3000; round++) {
    const core::ColumnType type = types[below(13)];
    const std::size_t rows = static_cast<std::size_t>(below(40));
    const bool broken = below(8) == 0;
    std::vector<uint8_t> validity((rows + 7) / 8), values, offsets, dictionary_offsets, dictionary_values, dictionary_validity(1);
    for (uint8_t& b : validity) b = static_cast<uint8_t>(random());
    dictionary_validity[0] = static_cast<uint8_t>(random() | 0xF0);
    core::FilterColumn column;
    column.type = type;
    if (below(3) > 0) column.validity = {validity.data(), validity.size()};
    auto put = [](std::vector<uint8_t>* out, const void* v, std::size_t n) {
      out->insert(out->end(), static_cast<const uint8_t*>(v), static_cast<const uint8_t*>(v) + n);
    };
    // Offsets of strings drawn from `strings` (int32 or int64), their bytes in `data`.
    auto utf8 = [&](std::size_t count, bool large, std::vector<uint8_t>* offs, std::vector<uint8_t>* data) {
      int64_t at = 0;
      for (std::size_t r = 0; r <= count; r++) {
        if (large) put(offs, &at, 8); else { const auto a32 = static_cast<int32_t>(at); put(offs, &a32, 4); }
        if (r == count) break;
        const std::string& s = strings[static_cast<std::size_t>(below(8))];
        put(data, s.data(), s.size());
        at += static_cast<int64_t>(s.size());
      }
    };
    core::Kind kind;
    if (type == core::ColumnType::kUtf8 || type == core::ColumnType::kLargeUtf8) {
      kind = core::Kind::kString;
      utf8(rows, type == core::ColumnType::kLargeUtf8, &offsets, &values);
      column.offsets = {offsets.data(), offsets.size()};
    } else if (type == core::ColumnType::kDictionaryUtf8) {
      kind = core::Kind::kString;
      column.index_type = below(2) == 0 ? core::ColumnType::kInt32 : core::ColumnType::kUInt8;
      column.dictionary_large = below(2) == 0;
      column.dictionary_length = 4;
      utf8(4, column.dictionary_large, &dictionary_offsets, &dictionary_values);
      for (std::size_t r = 0; r < rows; r++) {
        const int32_t index = below(4);
        put(&values, &index, column.index_type == core::ColumnType::kInt32 ? 4 : 1);
      }
      column.dictionary_offsets = {dictionary_offsets.data(), dictionary_offsets.size()};
      column.dictionary_values = {dictionary_values.data(), dictionary_values.size()};
      if (below(2) == 0) column.dictionary_validity = {dictionary_validity.data(), 1};
    } else if (type == core::ColumnType::kFloat32 || type == core::ColumnType::kFloat64) {
      kind = core::Kind::kFloat;
      for (std::size_t r = 0; r < rows; r++) {
        const double d = floats[static_cast<std::size_t>(below(9))];
        const float f = static_cast<float>(d);
        if (type == core::ColumnType::kFloat32) put(&values, &f, 4); else put(&values, &d, 8);
      }
    } else {
      kind = core::Kind::kInt;
      const std::size_t width = type == core::ColumnType::kInt8 || type == core::ColumnType::kUInt8 ? 1
                                : type == core::ColumnType::kInt16 || type == core::ColumnType::kUInt16 ? 2
                                : type == core::ColumnType::kInt32 || type == core::ColumnType::kUInt32 ? 4 : 8;
      for (std::size_t r = 0; r < rows; r++) {
        const int64_t v = below(4) == 0 ? static_cast<int64_t>(random()) << 32 | random() : ints[static_cast<std::size_t>(below(13))];
        put(&values, &v, width);
      }
    }
    // Broken buffers: one byte short, or a string offset past the data.
    if (broken && !values.empty()) values.pop_back();
    if (broken && offsets.size() >= 8) offsets[offsets.size() - 5] = 0x7F;
    if (broken && dictionary_offsets.size() >= 8) dictionary_offsets[4] = 0x7F;
    column.values = {values.data(), values.size()};
    if (!offsets.empty()) column.offsets = {offsets.data(), offsets.size()};
    if (!dictionary_offsets.empty()) column.dictionary_offsets = {dictionary_offsets.data(), dictionary_offsets.size()};
    core::FilterProgram program;
    program.ints = {ints[static_cast<std::size_t>(below(13))]};
    program.floats = {floats[static_cast<std::size_t>(below(9))]};
    program.strings = {strings[static_cast<std::size_t>(below(8))]};
    const core::Op constant = kind == core::Kind::kInt ? core::Op::kInt : kind == core::Kind::kFloat ? core::Op::kFloat : core::Op::kString;
    const int32_t op = below(6);
    const bool swapped = below(2) == 1;
    const core::Instruction column_at = At(core::Op::kColumn), constant_at = At(constant);
    core::FilterProgram scanned = program, loaded = program;
    scanned.code = {swapped ? constant_at : column_at, swapped ? column_at : constant_at, At(core::Op::kCompare, 0, 1, op)};
    loaded.code = {scanned.code[0], scanned.code[1], At(core::Op::kIsNotNull, swapped ? 1 : 0), At(core::Op::kCompare, 0, 1, op), At(core::Op::kAnd, 2, 3)};
    const core::FilterResult scan = core::EvaluateFilter(scanned, {column}, rows);
    const core::FilterResult load = core::EvaluateFilter(loaded, {column}, rows);
    const bool agree = scan.ok == load.ok && scan.selected == load.selected && scan.failure == load.failure && scan.error == load.error;
    if (!agree) std::printf("type %d op %d swapped %d rows %zu: scan %s, loaded %s\n", static_cast<int>(type), op, swapped, rows, scan.error.c_str(), load.error.c_str());
    Check(agree, "a scanned comparison agrees with the loaded column's");
    compared++;
    failed += scan.ok ? 0 : 1;
  }
  Check(failed > 0 && failed < compared / 4, "the scans meet both well-formed and broken buffers");
}

void IntegerDivisionByZeroIsAnEvaluationError() {
  core::FilterProgram program;
  program.ints = {7, 0};
  program.code = {At(core::Op::kInt, 0), At(core::Op::kInt, 1), At(core::Op::kArith, 0, 1, 3 * 16 + 3), At(core::Op::kCompare, 2, 0, 0)};
  const core::FilterResult result = core::EvaluateFilter(program, {}, 3);
  Check(!result.ok && result.failure == core::FilterResult::Failure::kEvaluation, "7 / 0 fails as an evaluation error");
}

void RandomProgramsStayInBounds() {
  std::mt19937 random(20261207);
  auto below = [&](int n) { return static_cast<int32_t>(random() % static_cast<uint32_t>(n)); };
  for (int round = 0; round < 20000; round++) {
    // Buffers live in vectors of exactly their size, so the sanitizers see any access past them.
    std::vector<std::vector<uint8_t>> storage;
    auto bytes = [&](int max) -> core::Bytes {
      if (below(4) == 0) return {};
      storage.emplace_back(static_cast<std::size_t>(below(max)));
      for (uint8_t& b : storage.back()) b = static_cast<uint8_t>(random());
      return {storage.back().data(), storage.back().size()};
    };
    storage.reserve(16);
    std::vector<core::FilterColumn> columns(static_cast<std::size_t>(below(3)));
    for (core::FilterColumn& column : columns) {
      column.type = static_cast<core::ColumnType>(1 + below(15));
      column.validity = bytes(4);
      column.values = bytes(80);
      column.offsets = bytes(48);
      column.index_type = static_cast<core::ColumnType>(1 + below(8));
      column.dictionary_large = below(2) == 1;
      column.dictionary_length = static_cast<std::size_t>(below(6));
      column.dictionary_validity = bytes(2);
      column.dictionary_offsets = bytes(48);
      column.dictionary_values = bytes(16);
    }
    core::FilterProgram program;
    program.ints = {0, -1, INT64_MIN, INT64_MAX};
    program.floats = {0.5, -0.0};
    program.strings = {"a%", "日_"};
    const int length = 1 + below(10);
    for (int i = 0; i < length; i++) {
      program.code.push_back({static_cast<core::Op>(below(24)), below(14) - 2, below(14) - 2, below(150) - 2});
    }
    const core::FilterResult result = core::EvaluateFilter(program, columns, static_cast<std::size_t>(below(20)));
    Check(result.ok || !result.error.empty(), "a failed evaluation says why");
  }
}

}  // namespace

int main() {
  ComparisonsFollowThreeValuedLogic();
  ScansAgreeWithLoadedColumns();
  IntegerDivisionByZeroIsAnEvaluationError();
  RandomProgramsStayInBounds();
  if (failures > 0) return 1;
  std::printf("filter tests passed\n");
  return 0;
}
