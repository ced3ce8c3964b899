#include "core/filter_scan.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <type_traits>
#include <vector>

namespace flightcache::core {
namespace {

constexpr auto kUnsupported = FilterResult::Failure::kUnsupported;
constexpr auto kMalformed = FilterResult::Failure::kMalformed;

ScanStatus Failed(FilterResult::Failure failure, std::string message) { return {false, failure, std::move(message)}; }

// Calls `f` with the comparison functor of `op`, so each loop is compiled for one comparison.
template <typename F>
void WithComparison(Compare op, F&& f) {
  switch (op) {
    case Compare::kEq: f(std::equal_to<>()); break;
    case Compare::kNe: f(std::not_equal_to<>()); break;
    case Compare::kLt: f(std::less<>()); break;
    case Compare::kLe: f(std::less_equal<>()); break;
    case Compare::kGt: f(std::greater<>()); break;
    case Compare::kGe: f(std::greater_equal<>()); break;
  }
}

// The result of comparing every value with a constant below (or above) the column type's range.
bool OutOfRangeResult(Compare op, bool constant_below) {
  if (op == Compare::kNe) return true;
  if (op == Compare::kEq) return false;
  const bool greater = op == Compare::kGt || op == Compare::kGe;
  return constant_below ? greater : !greater;
}

template <typename T>
void CompareFixed(const uint8_t* data, std::size_t rows, Compare op, T constant, uint8_t* out) {
  WithComparison(op, [&](auto holds) {
    for (std::size_t r = 0; r < rows; r++) {
      T v;
      std::memcpy(&v, data + sizeof(T) * r, sizeof(T));
      out[r] = holds(v, constant);
    }
  });
}

template <typename T>
ScanStatus CompareIntegers(const FilterColumn& column, std::size_t rows, Compare op, int64_t constant, const std::string& name,
                           const uint8_t* valid, uint8_t* out) {
  if (column.values.size < rows * sizeof(T)) return Failed(kMalformed, name + ": values buffer too short");
  const uint8_t* data = column.values.data;
  if constexpr (std::is_same_v<T, uint64_t>) {
    uint8_t above = 0;
    for (std::size_t r = 0; r < rows; r++) above |= valid[r] & data[8 * r + 7] >> 7;
    if (above) return Failed(kUnsupported, name + ": uint64 value above 2^63-1 (not supported by filters)");
  }
  // A constant outside the column type's range compares the same way with every value.
  const bool below = constant < 0 && !std::is_signed_v<T>
                         ? true
                         : std::is_signed_v<T> && constant < static_cast<int64_t>(std::numeric_limits<T>::min());
  const bool over = !std::is_same_v<T, uint64_t> && constant > static_cast<int64_t>(std::numeric_limits<T>::max());
  if (below || over) {
    if (rows > 0) std::memset(out, OutOfRangeResult(op, below) ? 1 : 0, rows);
    return {};
  }
  CompareFixed<T>(data, rows, op, static_cast<T>(constant), out);
  return {};
}

int64_t KeyOfBits(int64_t bits) {
  bits = (bits & std::numeric_limits<int64_t>::max()) == 0 ? 0 : bits;
  return bits ^ static_cast<int64_t>(static_cast<uint64_t>(bits >> 63) >> 1);
}

// Value `r` of a float32 or float64 buffer as a double, with that double's bits.
template <typename F>
double DoubleAt(const uint8_t* data, std::size_t r, uint64_t* bits) {
  F f;
  std::memcpy(&f, data + sizeof(F) * r, sizeof(F));
  const double d = f;
  std::memcpy(bits, &d, 8);
  return d;
}

// Comparing doubles into bytes vectorises well only with AVX2 (the baseline x86-64 build of the
// loop below measured slower than the key loop): it is compiled for AVX2 and used where the CPU has
// it, the totalOrder keys elsewhere.
template <typename F, typename Holds>
FLIGHTCACHE_AVX2 void CompareFloatsWithNumber(const uint8_t* data, std::size_t rows, double constant, uint64_t nan_kept, uint8_t* out) {
  const Holds holds;
  for (std::size_t r = 0; r < rows; r++) {
    uint64_t bits;
    const double d = DoubleAt<F>(data, r, &bits);
    out[r] = static_cast<uint8_t>(holds(d, constant) | ((d != d) & ((bits >> 63) == nan_kept)));
  }
}

template <typename F>
ScanStatus CompareFloats(const FilterColumn& column, std::size_t rows, Compare op, double constant, const std::string& name, uint8_t* out) {
  if (column.values.size < rows * sizeof(F)) return Failed(kMalformed, name + ": values buffer too short");
  const uint8_t* data = column.values.data;
  if (constant == constant && HasAvx2()) {
    const uint64_t nan_kept = op == Compare::kLt || op == Compare::kLe ? 1 : op == Compare::kGt || op == Compare::kGe ? 0 : 2;
    WithComparison(op, [&](auto holds) { CompareFloatsWithNumber<F, decltype(holds)>(data, rows, constant, nan_kept, out); });
    return {};
  }
  const int64_t key = TotalOrderKey(constant);
  WithComparison(op, [&](auto holds) {
    for (std::size_t r = 0; r < rows; r++) {
      uint64_t bits;
      DoubleAt<F>(data, r, &bits);
      out[r] = holds(KeyOfBits(static_cast<int64_t>(bits)), key);
    }
  });
  return {};
}

// String `i` of a utf8 array; false when its offsets point outside the data.
template <typename O>
bool StringAt(const uint8_t* offsets, const Bytes& data, std::size_t i, std::string_view* out) {
  O start, end;
  std::memcpy(&start, offsets + sizeof(O) * i, sizeof(O));
  std::memcpy(&end, offsets + sizeof(O) * (i + 1), sizeof(O));
  if (start < 0 || end < start || static_cast<uint64_t>(end) > data.size) return false;
  *out = std::string_view(reinterpret_cast<const char*>(data.data) + start, static_cast<std::size_t>(end - start));
  return true;
}

// (In)equality with a constant: the offsets checked and every row's length compared with the
// constant's in one pass that has no branch per row, then the bytes: for a constant of at most 8
// bytes one 8-byte word under a mask (bytewise where the word would run past the data), for every
// row when more than an eighth have its length, else only for those, found eight rows a word, as
// longer constants (memcmp).
template <typename O>
bool EqualStrings(const FilterColumn& column, std::size_t rows, bool equal, std::string_view constant, uint8_t* out) {
  const std::size_t n = constant.size();
  const uint8_t* offsets = column.offsets.data;
  const uint8_t* data = column.values.data;
  const uint64_t size = column.values.size;
  if (!OffsetsWithinData<O>(column, rows)) return false;
  bool descending = false;
  std::size_t matches = 0;
  O start;
  std::memcpy(&start, offsets, sizeof(O));
  for (std::size_t r = 0; r < rows; r++) {
    O end;
    std::memcpy(&end, offsets + sizeof(O) * (r + 1), sizeof(O));
    descending |= end < start;
    out[r] = static_cast<uint64_t>(end) - static_cast<uint64_t>(start) == n;  // unsigned: no overflow before the check
    matches += out[r];
    start = end;
  }
  if (descending) return false;
  uint64_t key = 0, mask = 0;
  if (n <= 8) {
    std::memcpy(&key, constant.data(), n);
    std::memset(&mask, 0xFF, n);
  }
  if (n <= 8 && matches * 8 > rows) {
    // Many rows of the constant's length: every row compares its word, without a branch on the length.
    for (std::size_t r = 0; r < rows; r++) {
      O at;
      std::memcpy(&at, offsets + sizeof(O) * r, sizeof(O));
      const auto from = static_cast<uint64_t>(at);
      if (from + 8 <= size) {
        uint64_t word;
        std::memcpy(&word, data + from, 8);
        out[r] &= ((word ^ key) & mask) == 0;
      } else if (out[r]) {
        out[r] = std::memcmp(data + from, constant.data(), n) == 0;
      }
    }
    matches = 0;
  }
  for (std::size_t r = 0; r < rows && matches > 0; r += 8) {
    uint64_t lengths = 0;
    std::memcpy(&lengths, out + r, std::min<std::size_t>(8, rows - r));
    for (; lengths != 0; lengths &= lengths - 1) {
      const std::size_t i = r + (static_cast<unsigned>(__builtin_ctzll(lengths)) >> 3);
      O at;
      std::memcpy(&at, offsets + sizeof(O) * i, sizeof(O));
      const auto from = static_cast<uint64_t>(at);
      if (n <= 8 && from + 8 <= size) {
        uint64_t word;
        std::memcpy(&word, data + from, 8);
        out[i] = ((word ^ key) & mask) == 0;
      } else {
        out[i] = std::memcmp(data + from, constant.data(), n) == 0;
      }
    }
  }
  if (!equal) {
    for (std::size_t r = 0; r < rows; r++) out[r] ^= 1;
  }
  return true;
}

template <typename O>
ScanStatus CompareStrings(const FilterColumn& column, std::size_t rows, Compare op, std::string_view constant, const std::string& name,
                          uint8_t* out) {
  if (column.offsets.size < (rows + 1) * sizeof(O)) return Failed(kMalformed, name + ": offsets buffer too short");
  if ((op == Compare::kEq || op == Compare::kNe) && rows > 0) {
    if (!EqualStrings<O>(column, rows, op == Compare::kEq, constant, out)) return Failed(kMalformed, name + ": offsets point outside the data");
    return {};
  }
  bool inside = true;
  WithComparison(op, [&](auto holds) {
    for (std::size_t r = 0; r < rows && inside; r++) {
      std::string_view s;
      inside = StringAt<O>(column.offsets.data, column.values, r, &s);
      out[r] = inside && holds(s, constant);
    }
  });
  if (!inside) return Failed(kMalformed, name + ": offsets point outside the data");
  return {};
}

template <typename O>
std::vector<uint8_t> CompareEntries(const FilterColumn& column, Compare op, std::string_view constant) {
  std::vector<uint8_t> entries(column.dictionary_length);
  WithComparison(op, [&](auto holds) {
    for (std::size_t k = 0; k < entries.size(); k++) {
      std::string_view s;
      if (column.dictionary_validity.data && !((column.dictionary_validity.data[k >> 3] >> (k & 7)) & 1)) {
        entries[k] = kEntryNull;
      } else if (!StringAt<O>(column.dictionary_offsets.data, column.dictionary_values, k, &s)) {
        entries[k] = kEntryBad;
      } else {
        entries[k] = holds(s, constant) ? kEntryTrue : kEntryFalse;
      }
    }
  });
  return entries;
}

template <typename T>
ScanStatus MapIndices(const FilterColumn& column, std::size_t rows, const std::vector<uint8_t>& entries, const std::string& name,
                      uint8_t* valid, uint8_t* out) {
  const uint8_t* data = column.values.data;
  for (std::size_t r = 0; r < rows; r++) {
    out[r] = 0;
    if (!valid[r]) continue;
    T index;
    std::memcpy(&index, data + sizeof(T) * r, sizeof(T));
    if ((std::is_signed_v<T> && index < 0) || static_cast<uint64_t>(index) >= entries.size()) {
      return Failed(kMalformed, name + ": dictionary index out of range");
    }
    const uint8_t entry = entries[static_cast<std::size_t>(index)];
    if (entry == kEntryBad) return Failed(kMalformed, name + ": dictionary offsets point outside its data");
    valid[r] = entry != kEntryNull;
    out[r] = entry == kEntryTrue;
  }
  return {};
}

ScanStatus CompareDictionary(const FilterColumn& column, std::size_t rows, Compare op, std::string_view constant, const std::string& name,
                             uint8_t* valid, uint8_t* out) {
  std::vector<uint8_t> entries;
  const ScanStatus status = CompareDictionaryEntries(column, op, constant, name, &entries);
  if (!status.ok) return status;
  return MapDictionaryIndices(column, rows, entries, name, valid, out);
}

}  // namespace

int64_t TotalOrderKey(double d) {
  int64_t bits;
  std::memcpy(&bits, &d, 8);
  return KeyOfBits(bits);
}

void ExpandBits(const uint8_t* bits, std::size_t rows, bool and_into, uint8_t* out) {
  for (std::size_t r = 0; r < rows; r++) {
    const auto bit = static_cast<uint8_t>((bits[r >> 3] >> (r & 7)) & 1);
    out[r] = and_into ? static_cast<uint8_t>(out[r] & bit) : bit;
  }
}

std::size_t WidthOf(ColumnType type) {
  if (type == ColumnType::kFloat32) return 4;
  if (type == ColumnType::kFloat64) return 8;
  return IntegerWidth(type);
}

std::size_t IntegerWidth(ColumnType type) {
  switch (type) {
    case ColumnType::kInt8: case ColumnType::kUInt8: return 1;
    case ColumnType::kInt16: case ColumnType::kUInt16: return 2;
    case ColumnType::kInt32: case ColumnType::kUInt32: return 4;
    case ColumnType::kInt64: case ColumnType::kUInt64: return 8;
    default: return 0;
  }
}

#if FLIGHTCACHE_HAS_AVX2_BUILD
bool HasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}
#else
bool HasAvx2() { return false; }
#endif

ScanStatus CompareDictionaryEntries(const FilterColumn& column, Compare op, std::string_view constant, const std::string& name,
                                    std::vector<uint8_t>* entries) {
  const std::size_t length = column.dictionary_length;
  if (column.dictionary_offsets.size < (length + 1) * (column.dictionary_large ? 8 : 4)) return Failed(kMalformed, name + ": dictionary offsets too short");
  if (column.dictionary_validity.data && column.dictionary_validity.size < (length + 7) / 8) return Failed(kMalformed, name + ": dictionary validity too short");
  *entries = column.dictionary_large ? CompareEntries<int64_t>(column, op, constant) : CompareEntries<int32_t>(column, op, constant);
  return {};
}

ScanStatus MapDictionaryIndices(const FilterColumn& column, std::size_t rows, const std::vector<uint8_t>& entries, const std::string& name,
                                uint8_t* valid, uint8_t* out) {
  if (IntegerWidth(column.index_type) == 0 || column.values.size < rows * IntegerWidth(column.index_type)) {
    return Failed(kMalformed, name + ": dictionary indices too short");
  }
  switch (column.index_type) {
    case ColumnType::kInt8: return MapIndices<int8_t>(column, rows, entries, name, valid, out);
    case ColumnType::kInt16: return MapIndices<int16_t>(column, rows, entries, name, valid, out);
    case ColumnType::kInt32: return MapIndices<int32_t>(column, rows, entries, name, valid, out);
    case ColumnType::kInt64: return MapIndices<int64_t>(column, rows, entries, name, valid, out);
    case ColumnType::kUInt8: return MapIndices<uint8_t>(column, rows, entries, name, valid, out);
    case ColumnType::kUInt16: return MapIndices<uint16_t>(column, rows, entries, name, valid, out);
    case ColumnType::kUInt32: return MapIndices<uint32_t>(column, rows, entries, name, valid, out);
    default: return MapIndices<uint64_t>(column, rows, entries, name, valid, out);
  }
}

bool HasScan(const FilterColumn& column, Kind kind) {
  switch (column.type) {
    case ColumnType::kInt8: case ColumnType::kInt16: case ColumnType::kInt32: case ColumnType::kInt64:
    case ColumnType::kUInt8: case ColumnType::kUInt16: case ColumnType::kUInt32: case ColumnType::kUInt64:
      return kind == Kind::kInt;
    case ColumnType::kFloat32: case ColumnType::kFloat64: return kind == Kind::kFloat;
    case ColumnType::kUtf8: case ColumnType::kLargeUtf8: case ColumnType::kDictionaryUtf8: return kind == Kind::kString;
    default: return false;
  }
}

ScanStatus ScanCompare(const FilterColumn& column, std::size_t rows, Compare op, const ScanConstant& constant,
                       const std::string& name, uint8_t* valid, uint8_t* bools) {
  const int64_t i = constant.int_value;
  switch (column.type) {
    case ColumnType::kInt8: return CompareIntegers<int8_t>(column, rows, op, i, name, valid, bools);
    case ColumnType::kInt16: return CompareIntegers<int16_t>(column, rows, op, i, name, valid, bools);
    case ColumnType::kInt32: return CompareIntegers<int32_t>(column, rows, op, i, name, valid, bools);
    case ColumnType::kInt64: return CompareIntegers<int64_t>(column, rows, op, i, name, valid, bools);
    case ColumnType::kUInt8: return CompareIntegers<uint8_t>(column, rows, op, i, name, valid, bools);
    case ColumnType::kUInt16: return CompareIntegers<uint16_t>(column, rows, op, i, name, valid, bools);
    case ColumnType::kUInt32: return CompareIntegers<uint32_t>(column, rows, op, i, name, valid, bools);
    case ColumnType::kUInt64: return CompareIntegers<uint64_t>(column, rows, op, i, name, valid, bools);
    case ColumnType::kFloat32: return CompareFloats<float>(column, rows, op, constant.float_value, name, bools);
    case ColumnType::kFloat64: return CompareFloats<double>(column, rows, op, constant.float_value, name, bools);
    case ColumnType::kUtf8: return CompareStrings<int32_t>(column, rows, op, constant.string_value, name, bools);
    case ColumnType::kLargeUtf8: return CompareStrings<int64_t>(column, rows, op, constant.string_value, name, bools);
    case ColumnType::kDictionaryUtf8: return CompareDictionary(column, rows, op, constant.string_value, name, valid, bools);
    default: return Failed(kMalformed, name + ": unsupported column type");
  }
}

}  // namespace flightcache::core
