// Standalone tests of the filter kernel (core/filter.h), built and run under the sanitizers by
// native/lib/core.spec.ts: exact selections, then random programs over random buffers, which must
// end in a selection or an error and never read or write outside what they were given.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
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
  IntegerDivisionByZeroIsAnEvaluationError();
  RandomProgramsStayInBounds();
  if (failures > 0) return 1;
  std::printf("filter tests passed\n");
  return 0;
}
