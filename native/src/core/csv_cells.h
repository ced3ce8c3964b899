// CSV cell values as pyarrow's CSV reader reads them with its default options: the null markers,
// int64, bool, date32, timestamp[s] and double cells, and the order in which it infers a column's
// type from its cells. Plain C++ (no Node headers).
#ifndef FLIGHTCACHE_CORE_CSV_CELLS_H_
#define FLIGHTCACHE_CORE_CSV_CELLS_H_

#include <cstdint>
#include <string_view>

namespace flightcache::core::csv {

// Column types; the numbers are shared with cache-server/loaders/csv-native.ts.
enum class CsvType : int32_t { kNull = 0, kInt64 = 1, kBool = 2, kDate32 = 3, kTimestampSeconds = 4, kDouble = 5, kString = 6 };

// A column whose type is inferred from the first rows instead of given.
inline constexpr int32_t kInferType = -1;

// True for the cells pyarrow reads as null in a column that is not a string column.
bool IsNullCell(std::string_view cell);

// Each parser returns false (leaving *out unspecified) when the cell is not a value of its type.
// Numbers and dates may have spaces and tabs around them (as pyarrow reads them; timestamps may not).
// Decimal digits after an optional '-', or 0x and up to 16 hex digits (a uint64's bits).
bool ParseInt64(std::string_view cell, int64_t* out);
// true, True, TRUE, 1, false, False, FALSE, 0 exactly.
bool ParseBool(std::string_view cell, bool* out);
// Days since 1970-01-01 of YYYY-MM-DD (a real calendar date).
bool ParseDate32(std::string_view cell, int32_t* out);
// Seconds since the epoch of YYYY-MM-DD, alone or with T or a space and hh, hh:mm or hh:mm:ss.
bool ParseTimestampSeconds(std::string_view cell, int64_t* out);
// Decimal and exponent forms with a sign, any case of inf, infinity and nan. Exactly rounded.
bool ParseDouble(std::string_view cell, double* out);

// Narrows inference: start from kAllCandidates, replace it with Narrow(candidates, cell) for each
// non-null cell, and InferredType gives the column's type.
inline constexpr uint32_t kAllCandidates = 0x1f;
uint32_t Narrow(uint32_t candidates, std::string_view cell);
CsvType InferredType(uint32_t candidates, bool any_value);

}  // namespace flightcache::core::csv

#endif  // FLIGHTCACHE_CORE_CSV_CELLS_H_
