#include "core/filter_fused.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>

#include "core/filter_scan.h"

namespace flightcache::core {
namespace {

constexpr std::size_t kBlock = 64;

// Rows after which a selection keeping more than one in 16 of them is left to the general path.
constexpr std::size_t kSampleRows = 1024;

// Rows of the largest selection scratch a thread keeps between batches (4 MiB).
constexpr std::size_t kScratchRowsKept = 1 << 20;

// Bits of a 64-row block's mask from one byte (0 or 1) per row: eight bytes a multiplication that
// moves byte j's low bit to bit 56 + j (the terms never overlap, so nothing carries).
uint64_t PackBytes(const uint8_t* bytes) {
  uint64_t mask = 0;
  for (std::size_t w = 0; w < kBlock / 8; w++) {
    uint64_t word;
    std::memcpy(&word, bytes + 8 * w, 8);
    mask |= ((word * 0x0102040810204080ULL) >> 56) << (8 * w);
  }
  return mask;
}

// The validity bits of rows `from` (a multiple of 64) to `from + count - 1`, none beyond (all set
// without a bitmap).
uint64_t ValidityWord(const Bytes& validity, std::size_t from, std::size_t count) {
  const uint64_t rows = count == kBlock ? ~0ULL : (1ULL << count) - 1;
  if (!validity.data) return rows;
  uint64_t word = 0;
  std::memcpy(&word, validity.data + from / 8, (count + 7) / 8);
  return word & rows;
}

// For each byte, the positions of its set bits (then zeros): a byte of mask written 8 slots at once.
struct BytePositions {
  uint8_t at[256][8] = {};
  constexpr BytePositions() {
    for (unsigned byte = 0; byte < 256; byte++) {
      unsigned k = 0;
      for (unsigned bit = 0; bit < 8; bit++) {
        if ((byte >> bit) & 1) at[byte][k++] = static_cast<uint8_t>(bit);
      }
    }
  }
};
constexpr BytePositions kPositions;

// Writes the rows of `mask` (block starting at row `base`) to `out`, which has 64 slots to spare:
// a dense mask a byte (eight rows) at a time from the positions table, a sparse one a set bit at a
// time. Returns how many.
std::size_t Emit(uint64_t mask, uint32_t base, uint32_t* out) {
  std::size_t kept = 0;
  if (__builtin_popcountll(mask) >= 12) {
    for (unsigned b = 0; b < kBlock / 8; b++) {
      const auto byte = static_cast<unsigned>(mask >> (8 * b)) & 0xFF;
      const uint8_t* at = kPositions.at[byte];
      for (unsigned k = 0; k < 8; k++) out[kept + k] = base + 8 * b + at[k];
      kept += static_cast<std::size_t>(__builtin_popcount(byte));
    }
    return kept;
  }
  for (; mask != 0; mask &= mask - 1) out[kept++] = base + static_cast<uint32_t>(__builtin_ctzll(mask));
  return kept;
}

// Selected rows go to a scratch the thread keeps between batches, then are copied at their exact size.
class Selection {
 public:
  explicit Selection(std::size_t rows) {
    if (scratch_.size() < rows + kBlock) scratch_.resize(rows + kBlock);
  }
  void Add(uint64_t mask, std::size_t base) { kept_ += Emit(mask, static_cast<uint32_t>(base), scratch_.data() + kept_); }
  std::size_t kept() const { return kept_; }
  void Finish(FilterResult* result) {
    result->selected.assign(scratch_.data(), scratch_.data() + kept_);
    if (scratch_.size() > kScratchRowsKept + kBlock) std::vector<uint32_t>().swap(scratch_);
  }

 private:
  static thread_local std::vector<uint32_t> scratch_;
  std::size_t kept_ = 0;
};

thread_local std::vector<uint32_t> Selection::scratch_;

// utf8 `= constant` (or <>): each block's lengths compared with the constant's (checking the
// offsets ascend), then the bytes of the rows of its length: all rows' first words without a branch
// when many have it and it is at most 8 bytes, else row by row. False for offsets outside the data.
template <typename O>
bool SelectStrings(const FilterColumn& column, std::size_t rows, bool equal, std::string_view constant, FilterResult* result) {
  if (column.offsets.size < (rows + 1) * sizeof(O)) return false;
  const uint8_t* offsets = column.offsets.data;
  const uint8_t* data = column.values.data;
  const uint64_t size = column.values.size;
  if (!OffsetsWithinData<O>(column, rows)) return false;
  const std::size_t n = constant.size();
  uint64_t key = 0, word_mask = 0;
  if (n <= 8) {
    std::memcpy(&key, constant.data(), n);
    std::memset(&word_mask, 0xFF, n);
  }
  // Whether the string of the constant's length starting at `from` is the constant.
  const auto same = [&](uint64_t from) {
    if (n <= 8 && from + 8 <= size) {
      uint64_t word;
      std::memcpy(&word, data + from, 8);
      return ((word ^ key) & word_mask) == 0;
    }
    return std::memcmp(data + from, constant.data(), n) == 0;
  };
  // The same for a row of any length, the bytes read only where they lie in the data.
  const auto same_if = [&](uint64_t from, uint8_t length_matches) -> uint8_t {
    if (from + 8 <= size) {
      uint64_t word;
      std::memcpy(&word, data + from, 8);
      return length_matches & (((word ^ key) & word_mask) == 0);
    }
    return length_matches && std::memcmp(data + from, constant.data(), n) == 0;
  };
  Selection selection(rows);
  alignas(64) uint8_t bytes[kBlock];
  alignas(64) O starts[kBlock + 1];
  for (std::size_t base = 0; base < rows; base += kBlock) {
    const std::size_t count = std::min(kBlock, rows - base);
    if (count < kBlock) std::memset(bytes, 0, kBlock);
    std::memcpy(starts, offsets + sizeof(O) * base, sizeof(O) * (count + 1));
    bool descending = false;
    for (std::size_t i = 0; i < count; i++) {
      descending |= starts[i + 1] < starts[i];
      bytes[i] = static_cast<uint64_t>(starts[i + 1]) - static_cast<uint64_t>(starts[i]) == n;  // unsigned: no overflow before the check
    }
    // The offsets so far ascend within [first, last]: the block's strings lie in the data.
    if (descending) return false;
    const uint64_t valid = ValidityWord(column.validity, base, count);
    uint64_t candidates = PackBytes(bytes) & valid;
    uint64_t matched = 0;
    if (n <= 8 && __builtin_popcountll(candidates) >= 8) {
      for (std::size_t i = 0; i < count; i++) bytes[i] = same_if(static_cast<uint64_t>(starts[i]), bytes[i]);
      matched = PackBytes(bytes) & valid;
    } else {
      for (; candidates != 0; candidates &= candidates - 1) {
        const auto i = static_cast<unsigned>(__builtin_ctzll(candidates));
        matched |= static_cast<uint64_t>(same(static_cast<uint64_t>(starts[i]))) << i;
      }
    }
    selection.Add(equal ? matched : valid & ~matched, base);
    // Dense selections are written faster by the general path (measured): it takes over early.
    if (base + count == kSampleRows && selection.kept() * 16 > kSampleRows) return false;
  }
  selection.Finish(result);
  return true;
}

}  // namespace

bool FusedFilter(const FilterProgram& program, const std::vector<FilterColumn>& columns, std::size_t rows, FilterResult* result) {
  const std::vector<Instruction>& code = program.code;
  if (code.size() != 3 || rows == 0 || rows > std::numeric_limits<uint32_t>::max()) return false;
  const Instruction& compare = code[2];
  if (compare.op != Op::kCompare || compare.c < 0 || compare.c > 5) return false;
  const auto op = static_cast<Compare>(compare.c);
  std::size_t column_at = 0, constant_at = 1;
  // (In)equality is symmetric: the operands' order does not change the operator.
  if (compare.a == 1 && compare.b == 0) {
    std::swap(column_at, constant_at);
  } else if (compare.a != 0 || compare.b != 1) {
    return false;
  }
  const Instruction& leaf = code[column_at];
  const Instruction& constant = code[constant_at];
  if (leaf.op != Op::kColumn || leaf.a < 0 || static_cast<std::size_t>(leaf.a) >= columns.size() || constant.a < 0) return false;
  const FilterColumn& column = columns[static_cast<std::size_t>(leaf.a)];
  for (const Bytes& ancestor : column.ancestor_validity) {
    if (ancestor.data) return false;
  }
  if (column.validity.data && column.validity.size < (rows + 7) / 8) return false;
  const auto k = static_cast<std::size_t>(constant.a);
  if (constant.op == Op::kString && k < program.strings.size() && (op == Compare::kEq || op == Compare::kNe)) {
    const std::string_view c = program.strings[k];
    if (column.type == ColumnType::kUtf8) return SelectStrings<int32_t>(column, rows, op == Compare::kEq, c, result);
    if (column.type == ColumnType::kLargeUtf8) return SelectStrings<int64_t>(column, rows, op == Compare::kEq, c, result);
  }
  return false;
}

}  // namespace flightcache::core
