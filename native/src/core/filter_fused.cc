#include "core/filter_fused.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>
#include <type_traits>

#include "core/filter_scan.h"

#if FLIGHTCACHE_HAS_AVX2_BUILD
#include <immintrin.h>
#endif

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

// Writes the rows of `mask` (block starting at row `base`) to `out` a set bit at a time: the
// fastest way for a sparse mask. Returns how many.
std::size_t EmitSparse(uint64_t mask, uint32_t base, uint32_t* out) {
  std::size_t kept = 0;
  for (; mask != 0; mask &= mask - 1) out[kept++] = base + static_cast<uint32_t>(__builtin_ctzll(mask));
  return kept;
}

// Writes the rows of `mask` (block starting at row `base`) to `out`, which has 64 slots to spare:
// a dense mask a byte (eight rows) at a time from the positions table, a sparse one bit by bit.
// Returns how many.
std::size_t Emit(uint64_t mask, uint32_t base, uint32_t* out) {
  if (__builtin_popcountll(mask) < 12) return EmitSparse(mask, base, out);
  std::size_t kept = 0;
  for (unsigned b = 0; b < kBlock / 8; b++) {
    const auto byte = static_cast<unsigned>(mask >> (8 * b)) & 0xFF;
    const uint8_t* at = kPositions.at[byte];
    for (unsigned k = 0; k < 8; k++) out[kept + k] = base + 8 * b + at[k];
    kept += static_cast<std::size_t>(__builtin_popcount(byte));
  }
  return kept;
}

#if FLIGHTCACHE_HAS_AVX2_BUILD
// Emit with AVX2: each byte's eight positions widened and offset in one register and stored at
// once, so a mask with a few rows kept is already cheaper than bit by bit.
FLIGHTCACHE_AVX2 std::size_t EmitAvx2(uint64_t mask, uint32_t base, uint32_t* out) {
  if (__builtin_popcountll(mask) < 4) return EmitSparse(mask, base, out);
  std::size_t kept = 0;
  for (unsigned b = 0; b < kBlock / 8; b++) {
    const auto byte = static_cast<unsigned>(mask >> (8 * b)) & 0xFF;
    const __m128i at = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(kPositions.at[byte]));
    const __m256i rows = _mm256_add_epi32(_mm256_cvtepu8_epi32(at), _mm256_set1_epi32(static_cast<int>(base + 8 * b)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + kept), rows);
    kept += static_cast<std::size_t>(__builtin_popcount(byte));
  }
  return kept;
}
#endif

// Selected rows go to a scratch the thread keeps between batches, then are copied at their exact size.
class Selection {
 public:
  explicit Selection(std::size_t rows) {
    if (scratch_.size() < rows + kBlock) scratch_.resize(rows + kBlock);
  }
  void Add(uint64_t mask, std::size_t base) {
#if FLIGHTCACHE_HAS_AVX2_BUILD
    if (avx2_) {
      kept_ += EmitAvx2(mask, static_cast<uint32_t>(base), scratch_.data() + kept_);
      return;
    }
#endif
    kept_ += Emit(mask, static_cast<uint32_t>(base), scratch_.data() + kept_);
  }
  std::size_t kept() const { return kept_; }
  void Finish(FilterResult* result) {
    result->selected.assign(scratch_.data(), scratch_.data() + kept_);
    if (scratch_.size() > kScratchRowsKept + kBlock) std::vector<uint32_t>().swap(scratch_);
  }

 private:
  static thread_local std::vector<uint32_t> scratch_;
  const bool avx2_ = HasAvx2();
  std::size_t kept_ = 0;
};

thread_local std::vector<uint32_t> Selection::scratch_;

// One byte per row of a block of `count` rows whose `count + 1` offsets start at `offsets`: whether
// its length (next start minus start) is `n`. False where a start descends. Inlined into a baseline
// and an AVX2 build, both vectorised (int32 or int64 lanes).
template <typename O>
__attribute__((always_inline)) inline bool LengthsOf(const uint8_t* offsets, std::size_t count, std::make_unsigned_t<O> n, uint8_t* bytes) {
  using U = std::make_unsigned_t<O>;
  uint8_t descending = 0;
  for (std::size_t i = 0; i < count; i++) {
    O start, end;
    std::memcpy(&start, offsets + sizeof(O) * i, sizeof(O));
    std::memcpy(&end, offsets + sizeof(O) * (i + 1), sizeof(O));
    descending |= static_cast<uint8_t>(end < start);
    bytes[i] = static_cast<uint8_t>(static_cast<U>(static_cast<U>(end) - static_cast<U>(start)) == n);  // unsigned: no overflow
  }
  return descending == 0;
}

template <typename O>
bool LengthsBaseline(const uint8_t* offsets, std::size_t count, std::make_unsigned_t<O> n, uint8_t* bytes) {
  return LengthsOf<O>(offsets, count, n, bytes);
}

#if FLIGHTCACHE_HAS_AVX2_BUILD
template <typename O>
FLIGHTCACHE_AVX2 bool LengthsAvx2(const uint8_t* offsets, std::size_t count, std::make_unsigned_t<O> n, uint8_t* bytes) {
  return LengthsOf<O>(offsets, count, n, bytes);
}
#endif

// LengthsOf in the AVX2 build where `avx2` (HasAvx2(), asked once per batch), else the baseline.
template <typename O>
bool CompareLengths(bool avx2, const uint8_t* offsets, std::size_t count, std::make_unsigned_t<O> n, uint8_t* bytes) {
#if FLIGHTCACHE_HAS_AVX2_BUILD
  if (avx2) return LengthsAvx2<O>(offsets, count, n, bytes);
#else
  (void)avx2;
#endif
  return LengthsBaseline<O>(offsets, count, n, bytes);
}

// Blocks whose candidates are found (and their bytes prefetched) before any is compared: a sparse
// candidate's bytes are a cache miss the hardware does not foresee, so the misses overlap.
constexpr std::size_t kGroupBlocks = 16;

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
  using U = std::make_unsigned_t<O>;
  const std::size_t n = constant.size();
  // No string of the column is longer than its data (and O's range).
  if (n > static_cast<std::size_t>(std::numeric_limits<O>::max())) return false;
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
  // Offset i of the column.
  const auto start = [&](std::size_t i) -> uint64_t {
    O value;
    std::memcpy(&value, offsets + sizeof(O) * i, sizeof(O));
    return static_cast<uint64_t>(value);
  };
  Selection selection(rows);
  const bool avx2 = HasAvx2();
  alignas(64) uint8_t bytes[kBlock];
  uint64_t candidates[kGroupBlocks], valid[kGroupBlocks];
  for (std::size_t group = 0; group < rows; group += kBlock * kGroupBlocks) {
    const std::size_t group_end = std::min(rows, group + kBlock * kGroupBlocks);
    for (std::size_t base = group, b = 0; base < group_end; base += kBlock, b++) {
      const std::size_t count = std::min(kBlock, rows - base);
      if (count < kBlock) std::memset(bytes, 0, kBlock);
      // The offsets so far ascend within [first, last]: the block's strings lie in the data.
      if (!CompareLengths<O>(avx2, offsets + sizeof(O) * base, count, static_cast<U>(n), bytes)) return false;
      valid[b] = ValidityWord(column.validity, base, count);
      candidates[b] = PackBytes(bytes) & valid[b];
      if (__builtin_popcountll(candidates[b]) < 8) {
        for (uint64_t m = candidates[b]; m != 0; m &= m - 1) __builtin_prefetch(data + start(base + static_cast<unsigned>(__builtin_ctzll(m))));
      }
    }
    for (std::size_t base = group, b = 0; base < group_end; base += kBlock, b++) {
      const std::size_t count = std::min(kBlock, rows - base);
      uint64_t matched = 0;
      if (n <= 8 && __builtin_popcountll(candidates[b]) >= 8) {
        for (std::size_t i = 0; i < count; i++) bytes[i] = same_if(start(base + i), (candidates[b] >> i) & 1);
        matched = PackBytes(bytes) & valid[b];
      } else {
        for (uint64_t m = candidates[b]; m != 0; m &= m - 1) {
          const auto i = static_cast<unsigned>(__builtin_ctzll(m));
          matched |= static_cast<uint64_t>(same(start(base + i))) << i;
        }
      }
      selection.Add(equal ? matched : valid[b] & ~matched, base);
    }
    // Dense selections are written faster by the general path (measured): it takes over early.
    if (group_end == kSampleRows && selection.kept() * 16 > kSampleRows) return false;
  }
  selection.Finish(result);
  return true;
}

#if FLIGHTCACHE_HAS_AVX2_BUILD
// Bits of 64 doubles at `data` (`count` of them) compared with `constant` under the AVX2 predicate
// `kPredicate`; a NaN's bit is its sign bit where `kNanBySign` is 1, its inverse where 0, else 0 (the
// general path's totalOrder rule: -NaN below every number, NaN above).
template <int kPredicate, int kNanBySign>
FLIGHTCACHE_AVX2 uint64_t DoubleBits(const uint8_t* data, std::size_t count, __m256d constant) {
  uint64_t bits = 0;
  std::size_t i = 0;
  for (; i + 4 <= count; i += 4) {
    const __m256d x = _mm256_loadu_pd(reinterpret_cast<const double*>(data + 8 * i));
    auto four = static_cast<unsigned>(_mm256_movemask_pd(_mm256_cmp_pd(x, constant, kPredicate)));
    if constexpr (kNanBySign != 2) {
      const auto nan = static_cast<unsigned>(_mm256_movemask_pd(_mm256_cmp_pd(x, x, _CMP_UNORD_Q)));
      const auto sign = static_cast<unsigned>(_mm256_movemask_pd(x));
      four |= nan & (kNanBySign == 1 ? sign : ~sign);
    }
    bits |= static_cast<uint64_t>(four) << i;
  }
  for (; i < count; i++) {
    double d;
    std::memcpy(&d, data + 8 * i, 8);
    const __m256d x = _mm256_set1_pd(d);
    uint64_t one = static_cast<unsigned>(_mm256_movemask_pd(_mm256_cmp_pd(x, constant, kPredicate))) & 1;
    if constexpr (kNanBySign != 2) {
      const uint64_t sign = static_cast<unsigned>(_mm256_movemask_pd(x)) & 1;
      one |= static_cast<uint64_t>(d != d) & (kNanBySign == 1 ? sign : sign ^ 1);
    }
    bits |= one << i;
  }
  return bits;
}

// A float64 column compared with a number (not NaN) 64 rows a mask: the same results as the general
// path's AVX2 byte loop (NaN ordered by its sign, -0 equal to 0) without writing a byte per row.
template <int kPredicate, int kNanBySign>
FLIGHTCACHE_AVX2 void CompareDoublesWith(const FilterColumn& column, std::size_t rows, double constant, Selection* selection) {
  const __m256d c = _mm256_set1_pd(constant);
  for (std::size_t base = 0; base < rows; base += kBlock) {
    const std::size_t count = std::min(kBlock, rows - base);
    const uint64_t bits = DoubleBits<kPredicate, kNanBySign>(column.values.data + 8 * base, count, c);
    selection->Add(bits & ValidityWord(column.validity, base, count), base);
  }
}

void CompareDoubles(const FilterColumn& column, std::size_t rows, Compare op, double constant, Selection* selection) {
  switch (op) {
    case Compare::kEq: return CompareDoublesWith<_CMP_EQ_OQ, 2>(column, rows, constant, selection);
    case Compare::kNe: return CompareDoublesWith<_CMP_NEQ_UQ, 2>(column, rows, constant, selection);
    case Compare::kLt: return CompareDoublesWith<_CMP_LT_OQ, 1>(column, rows, constant, selection);
    case Compare::kLe: return CompareDoublesWith<_CMP_LE_OQ, 1>(column, rows, constant, selection);
    case Compare::kGt: return CompareDoublesWith<_CMP_GT_OQ, 0>(column, rows, constant, selection);
    case Compare::kGe: return CompareDoublesWith<_CMP_GE_OQ, 0>(column, rows, constant, selection);
  }
}
#endif

// Rows of a numeric column compared per chunk: its bytes and validity stay in L1 between the
// comparison and the selection.
constexpr std::size_t kChunkRows = 4096;

// Each chunk of `column` (values of `width` bytes) scanned by `scan(slice, count, valid, bools)` into
// one byte (0 or 1) per row, then packed 64 rows a mask, ANDed with the validity bitmap's word and
// added to `selection`. `valid` holds the chunk's validity on entry where `expand_validity`. False
// where a scan fails.
template <typename Scan>
bool SelectChunks(const FilterColumn& column, std::size_t rows, std::size_t width, bool expand_validity, Scan scan, Selection* selection) {
  alignas(64) uint8_t bools[kChunkRows] = {};
  alignas(64) uint8_t valid[kChunkRows];
  for (std::size_t chunk = 0; chunk < rows; chunk += kChunkRows) {
    const std::size_t count = std::min(kChunkRows, rows - chunk);
    FilterColumn slice = column;
    slice.values = {column.values.data + chunk * width, count * width};
    if (expand_validity) {
      if (column.validity.data) {
        ExpandBits(column.validity.data + chunk / 8, count, false, valid);
      } else {
        std::memset(valid, 1, count);
      }
    }
    if (!scan(slice, count, valid, bools)) return false;
    for (std::size_t block = 0; block < count; block += kBlock) {
      const std::size_t in_block = std::min(kBlock, count - block);
      selection->Add(PackBytes(bools + block) & ValidityWord(column.validity, chunk + block, in_block), chunk + block);
    }
  }
  return true;
}

// `column <op> constant` for an integer or float column: each chunk compared by the general path's
// own scan (so values, NaN order and range checks are the same), its bytes packed 64 rows a mask,
// ANDed with the validity bitmap's word and written. False where the scan fails (the general
// evaluator then reports it).
bool SelectNumbers(const FilterColumn& column, std::size_t rows, Compare op, const ScanConstant& constant, FilterResult* result) {
  const std::size_t width = WidthOf(column.type);
  if (column.values.size < rows * width) return false;
  Selection selection(rows);
#if FLIGHTCACHE_HAS_AVX2_BUILD
  if (column.type == ColumnType::kFloat64 && constant.float_value == constant.float_value && HasAvx2()) {
    CompareDoubles(column, rows, op, constant.float_value, &selection);
    selection.Finish(result);
    return true;
  }
#endif
  const std::string name = "column";
  // Only uint64 reads validity (a null slot's value may exceed int64 without failing the scan).
  const auto scan = [&](const FilterColumn& slice, std::size_t count, uint8_t* valid, uint8_t* bools) {
    return ScanCompare(slice, count, op, constant, name, valid, bools).ok;
  };
  if (!SelectChunks(column, rows, width, column.type == ColumnType::kUInt64, scan, &selection)) return false;
  selection.Finish(result);
  return true;
}

#if FLIGHTCACHE_HAS_AVX2_BUILD
// Kept rows of int32 dictionary indices through `codes` (per entry: 1 kept, 2 entry outside its
// data), eight rows a gather, 64 a mask ANDed with the validity word. False where a valid row's
// index is out of range or at a bad entry (the general path then names it).
FLIGHTCACHE_AVX2 bool GatherKept(const FilterColumn& column, std::size_t rows, const std::vector<int32_t>& codes, Selection* selection) {
  const uint8_t* data = column.values.data;
  const auto size = static_cast<int32_t>(codes.size());
  const __m256i size_v = _mm256_set1_epi32(size);
  const __m256i zero = _mm256_setzero_si256();
  const __m256i ones = _mm256_set1_epi32(-1);
  for (std::size_t base = 0; base < rows; base += kBlock) {
    const std::size_t count = std::min(kBlock, rows - base);
    uint64_t kept = 0, bad = 0;
    std::size_t i = 0;
    for (; i + 8 <= count; i += 8) {
      const __m256i index = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + 4 * (base + i)));
      const __m256i inside = _mm256_andnot_si256(_mm256_cmpgt_epi32(zero, index), _mm256_cmpgt_epi32(size_v, index));
      const __m256i code = _mm256_i32gather_epi32(codes.data(), _mm256_and_si256(index, inside), 4);
      const auto kept8 = static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_slli_epi32(code, 31))));
      const __m256i refused = _mm256_or_si256(_mm256_slli_epi32(code, 30), _mm256_xor_si256(inside, ones));
      const auto bad8 = static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(refused)));
      kept |= static_cast<uint64_t>(kept8) << i;
      bad |= static_cast<uint64_t>(bad8) << i;
    }
    for (; i < count; i++) {
      int32_t index;
      std::memcpy(&index, data + 4 * (base + i), 4);
      const bool inside = index >= 0 && index < size;
      const int32_t code = inside ? codes[static_cast<std::size_t>(index)] : 2;
      kept |= static_cast<uint64_t>(code & 1) << i;
      bad |= static_cast<uint64_t>((code >> 1) & 1) << i;
    }
    const uint64_t valid = ValidityWord(column.validity, base, count);
    if (bad & valid) return false;
    selection->Add(kept & valid, base);
  }
  return true;
}
#endif

// `dictionary column = constant` (any comparison): the entries compared once, then each chunk's
// indices mapped through them by the general path's own mapping and written as SelectNumbers does.
bool SelectDictionary(const FilterColumn& column, std::size_t rows, Compare op, std::string_view constant, FilterResult* result) {
  const std::string name = "column";
  std::vector<uint8_t> entries;
  if (!CompareDictionaryEntries(column, op, constant, name, &entries).ok) return false;
  const std::size_t width = IntegerWidth(column.index_type);
  if (width == 0) return false;
  if (column.values.size < rows * width) return false;
  Selection selection(rows);
#if FLIGHTCACHE_HAS_AVX2_BUILD
  if (HasAvx2() && column.index_type == ColumnType::kInt32 && entries.size() <= static_cast<std::size_t>(std::numeric_limits<int32_t>::max())) {
    std::vector<int32_t> codes(entries.size());
    for (std::size_t e = 0; e < entries.size(); e++) codes[e] = entries[e] == kEntryTrue ? 1 : entries[e] == kEntryBad ? 2 : 0;
    if (!GatherKept(column, rows, codes, &selection)) return false;
    selection.Finish(result);
    return true;
  }
#endif
  // Rows that are null or at a null entry are left 0 in `bools`.
  const auto map = [&](const FilterColumn& slice, std::size_t count, uint8_t* valid, uint8_t* bools) {
    return MapDictionaryIndices(slice, count, entries, name, valid, bools).ok;
  };
  if (!SelectChunks(column, rows, width, true, map, &selection)) return false;
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
  if (constant.op == Op::kString && k < program.strings.size() && column.type == ColumnType::kDictionaryUtf8 && column_at == 0) {
    return SelectDictionary(column, rows, op, program.strings[k], result);
  }
  // Ordered comparisons keep the column first (a mirrored operator is the general path's). HasScan
  // refuses string and dictionary columns for a number.
  if (column_at == 0 && (constant.op == Op::kInt || constant.op == Op::kFloat)) {
    ScanConstant value;
    value.kind = constant.op == Op::kInt ? Kind::kInt : Kind::kFloat;
    if (constant.op == Op::kInt && k < program.ints.size()) value.int_value = program.ints[k];
    else if (constant.op == Op::kFloat && k < program.floats.size()) value.float_value = program.floats[k];
    else return false;
    if (HasScan(column, value.kind)) return SelectNumbers(column, rows, op, value, result);
  }
  return false;
}

}  // namespace flightcache::core
