#include "core/csv_cells.h"

#include <charconv>
#include <limits>
#include <system_error>

namespace flightcache::core::csv {
namespace {

// pyarrow's default ConvertOptions.null_values.
constexpr std::string_view kNullCells[] = {"",     "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
                                           "1.#QNAN", "N/A", "NA",    "NULL", "NaN",    "n/a",     "nan",  "null"};

// Candidate bits in pyarrow's order of preference.
constexpr uint32_t kInt64Bit = 1;
constexpr uint32_t kBoolBit = 2;
constexpr uint32_t kDateBit = 4;
constexpr uint32_t kTimestampBit = 8;
constexpr uint32_t kDoubleBit = 16;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Numbers and dates are read without the spaces and tabs around them (bools, timestamps and null markers are not).
std::string_view Trimmed(std::string_view cell) {
  std::size_t begin = 0;
  std::size_t end = cell.size();
  while (begin < end && (cell[begin] == ' ' || cell[begin] == '\t')) begin++;
  while (end > begin && (cell[end - 1] == ' ' || cell[end - 1] == '\t')) end--;
  return cell.substr(begin, end - begin);
}

// 0x or 0X and 1 to 16 hex digits, read as the bits of a uint64 (pyarrow's hex integers).
bool ParseHexInt64(std::string_view text, int64_t* out) {
  if (text.size() < 3 || text.size() > 18 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) return false;
  uint64_t bits = 0;
  const std::from_chars_result result = std::from_chars(text.data() + 2, text.data() + text.size(), bits, 16);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) return false;
  *out = static_cast<int64_t>(bits);
  return true;
}

// The value of `count` digits at `at`, or -1 when one is not a digit.
int Digits(std::string_view text, std::size_t at, std::size_t count) {
  int value = 0;
  for (std::size_t i = at; i < at + count; i++) {
    if (!IsDigit(text[i])) return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<int64_t>(day_of_era) - 719468;
}

// YYYY-MM-DD at the start of `text` as days since the epoch.
bool ParseDatePart(std::string_view text, int64_t* days) {
  if (text[4] != '-' || text[7] != '-') return false;
  const int year = Digits(text, 0, 4);
  const int month = Digits(text, 5, 2);
  const int day = Digits(text, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1) return false;
  static constexpr int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int last = kMonthDays[month - 1] + (month == 2 && IsLeapYear(year) ? 1 : 0);
  if (day > last) return false;
  *days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return true;
}

// Roughly log10 of a decimal number from_chars read: > 0 when it is at least 1 (saturates
// on absurd exponents instead of overflowing).
int64_t DecimalExponent(std::string_view text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  if (i < n && (text[i] == '+' || text[i] == '-')) i++;
  while (i < n && text[i] == '0') i++;
  int64_t exponent = 0;
  while (i < n && IsDigit(text[i])) i++, exponent++;
  if (exponent == 0 && i < n && text[i] == '.') {
    i++;
    while (i < n && text[i] == '0') i++, exponent--;
  }
  while (i < n && text[i] != 'e' && text[i] != 'E') i++;
  if (i == n) return exponent;
  i++;
  const bool negative = text[i] == '-';
  if (text[i] == '+' || text[i] == '-') i++;
  int64_t written = 0;
  while (i < n && written < 1000000000) written = written * 10 + (text[i++] - '0');
  return exponent + (negative ? -written : written);
}

}  // namespace

bool IsNullCell(std::string_view cell) {
  if (cell.size() > 8) return false;
  for (std::string_view marker : kNullCells) {
    if (cell == marker) return true;
  }
  return false;
}

bool ParseInt64(std::string_view cell, int64_t* out) {
  const std::string_view text = Trimmed(cell);
  if (ParseHexInt64(text, out)) return true;
  // An optional '-' and decimal digits (a '+' makes pyarrow read a double).
  const bool minus = !text.empty() && text[0] == '-';
  if (text.size() == (minus ? 1u : 0u) || !IsDigit(text[minus ? 1 : 0])) return false;
  const std::from_chars_result result = std::from_chars(text.data(), text.data() + text.size(), *out);
  return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

bool ParseBool(std::string_view cell, bool* out) {
  if (cell == "true" || cell == "True" || cell == "TRUE" || cell == "1") {
    *out = true;
    return true;
  }
  if (cell == "false" || cell == "False" || cell == "FALSE" || cell == "0") {
    *out = false;
    return true;
  }
  return false;
}

bool ParseDate32(std::string_view cell, int32_t* out) {
  cell = Trimmed(cell);
  int64_t days = 0;
  if (cell.size() != 10 || !ParseDatePart(cell, &days)) return false;
  *out = static_cast<int32_t>(days);
  return true;
}

bool ParseTimestampSeconds(std::string_view cell, int64_t* out) {
  int64_t days = 0;
  // YYYY-MM-DD, alone or with T or a space and hh, hh:mm or hh:mm:ss.
  if ((cell.size() != 10 && cell.size() != 13 && cell.size() != 16 && cell.size() != 19) || !ParseDatePart(cell, &days)) return false;
  if (cell.size() == 10) {
    *out = days * 86400;
    return true;
  }
  if (cell[10] != ' ' && cell[10] != 'T') return false;
  const int hours = Digits(cell, 11, 2);
  const int minutes = cell.size() >= 16 && cell[13] == ':' ? Digits(cell, 14, 2) : cell.size() == 13 ? 0 : -1;
  const int seconds = cell.size() == 19 && cell[16] == ':' ? Digits(cell, 17, 2) : cell.size() < 19 ? 0 : -1;
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59 || seconds < 0 || seconds > 59) return false;
  *out = days * 86400 + hours * 3600 + minutes * 60 + seconds;
  return true;
}

bool ParseDouble(std::string_view cell, double* out) {
  const std::string_view trimmed = Trimmed(cell);
  const bool plus = !trimmed.empty() && trimmed[0] == '+';
  // from_chars takes a '-' but not a '+', and one sign only.
  const std::string_view text = plus ? trimmed.substr(1) : trimmed;
  if (text.empty() || (plus && text[0] == '-')) return false;
  const std::from_chars_result result = std::from_chars(text.data(), text.data() + text.size(), *out);
  if (result.ptr != text.data() + text.size()) return false;
  if (result.ec == std::errc::result_out_of_range) {
    // from_chars leaves *out alone: the value rounds to infinity or to zero, and pyarrow reads that.
    const double magnitude = DecimalExponent(text) > 0 ? std::numeric_limits<double>::infinity() : 0.0;
    *out = text[0] == '-' ? -magnitude : magnitude;
  }
  // Like pyarrow, any case of inf, infinity and nan (with its optional (chars)) reads too.
  return true;
}

uint32_t Narrow(uint32_t candidates, std::string_view cell) {
  int64_t integer = 0;
  bool boolean = false;
  int32_t date = 0;
  double real = 0;
  if ((candidates & kInt64Bit) && !ParseInt64(cell, &integer)) candidates &= ~kInt64Bit;
  if ((candidates & kBoolBit) && !ParseBool(cell, &boolean)) candidates &= ~kBoolBit;
  if ((candidates & kDateBit) && !ParseDate32(cell, &date)) candidates &= ~kDateBit;
  if ((candidates & kTimestampBit) && !ParseTimestampSeconds(cell, &integer)) candidates &= ~kTimestampBit;
  if ((candidates & kDoubleBit) && !ParseDouble(cell, &real)) candidates &= ~kDoubleBit;
  return candidates;
}

CsvType InferredType(uint32_t candidates, bool any_value) {
  if (!any_value) return CsvType::kNull;
  if (candidates & kInt64Bit) return CsvType::kInt64;
  if (candidates & kBoolBit) return CsvType::kBool;
  if (candidates & kDateBit) return CsvType::kDate32;
  if (candidates & kTimestampBit) return CsvType::kTimestampSeconds;
  if (candidates & kDoubleBit) return CsvType::kDouble;
  return CsvType::kString;
}

}  // namespace flightcache::core::csv
