// Column-against-constant comparisons read straight from a column's Arrow buffers (the filter
// kernel's hot path): one tight loop per physical type writing a byte per row, dictionaries compared
// once per entry and then by index, strings by length before bytes. No column is materialised.
#ifndef FLIGHTCACHE_CORE_FILTER_SCAN_H_
#define FLIGHTCACHE_CORE_FILTER_SCAN_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/filter.h"

namespace flightcache::core {

// Functions marked FLIGHTCACHE_AVX2 are compiled for AVX2 and called only where HasAvx2() (GCC on
// Linux x86-64; elsewhere the mark is empty and HasAvx2() false).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define FLIGHTCACHE_HAS_AVX2_BUILD 1
#define FLIGHTCACHE_AVX2 __attribute__((target("avx2,popcnt")))
#else
#define FLIGHTCACHE_HAS_AVX2_BUILD 0
#define FLIGHTCACHE_AVX2
#endif

// Whether this CPU runs AVX2 (the result of the first call, kept).
bool HasAvx2();

// DataFusion's order of doubles as an int64 key: IEEE totalOrder with -0 equal to 0.
int64_t TotalOrderKey(double d);

// Expands `rows` bits of a bitmap into one byte (0 or 1) per row: written, or ANDed into `out`.
void ExpandBits(const uint8_t* bits, std::size_t rows, bool and_into, uint8_t* out);

// Whether a utf8 column's offsets run from 0 or more up to at most the data's size (`rows` + 1 of
// them, already known to be there): where they also ascend, every string lies in the data.
template <typename O>
bool OffsetsWithinData(const FilterColumn& column, std::size_t rows) {
  O first, last;
  std::memcpy(&first, column.offsets.data, sizeof(O));
  std::memcpy(&last, column.offsets.data + sizeof(O) * rows, sizeof(O));
  return first >= 0 && last >= first && static_cast<uint64_t>(last) <= column.values.size;
}

// The constant side of a comparison.
struct ScanConstant {
  Kind kind = Kind::kInt;
  int64_t int_value = 0;
  double float_value = 0;
  std::string_view string_value;
};

// Outcome of a scan: ok, or why not (the same failures and messages as loading the column).
struct ScanStatus {
  bool ok = true;
  FilterResult::Failure failure = FilterResult::Failure::kNone;
  std::string message;
};

// Bytes of one value of an integer type (0 for any other type).
std::size_t IntegerWidth(ColumnType type);

// Bytes of one value of an integer or float type (0 for any other type).
std::size_t WidthOf(ColumnType type);

// Whether `column` compared with a constant of `kind` has a scan (integers, floats, utf8, dictionaries).
bool HasScan(const FilterColumn& column, Kind kind);

// `column <op> constant` for `rows` rows into `bools`, with `valid` holding the column's validity
// on entry (a dictionary's null entries clear it). `name` prefixes the messages.
ScanStatus ScanCompare(const FilterColumn& column, std::size_t rows, Compare op, const ScanConstant& constant,
                       const std::string& name, uint8_t* valid, uint8_t* bools);

// What a dictionary entry compares to.
enum EntryResult : uint8_t { kEntryFalse = 0, kEntryTrue = 1, kEntryNull = 2, kEntryBad = 3 };

// A dictionary column's entries compared with `constant` once, one EntryResult each.
ScanStatus CompareDictionaryEntries(const FilterColumn& column, Compare op, std::string_view constant, const std::string& name,
                                    std::vector<uint8_t>* entries);

// Rows of a dictionary column mapped through `entries` into `out`, clearing `valid` (the column's
// validity on entry) at null entries; refuses an index out of range or at an entry outside its data.
ScanStatus MapDictionaryIndices(const FilterColumn& column, std::size_t rows, const std::vector<uint8_t>& entries, const std::string& name,
                                uint8_t* valid, uint8_t* out);

}  // namespace flightcache::core

#endif  // FLIGHTCACHE_CORE_FILTER_SCAN_H_
