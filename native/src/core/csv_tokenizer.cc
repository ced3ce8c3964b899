#include "core/csv_tokenizer.h"

#include <algorithm>
#include <array>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace flightcache::core::csv {
namespace {

constexpr char kQuote = '"';

// Bytes that end an unquoted field.
constexpr std::array<bool, 256> MakeStops() {
  std::array<bool, 256> stops{};
  stops[','] = true;
  stops['\n'] = true;
  stops['\r'] = true;
  return stops;
}
constexpr std::array<bool, 256> kStops = MakeStops();

// The first position from `i` holding a comma, LF or CR (or n): 16 bytes at a time where SSE2 is.
std::size_t FieldStop(const char* data, std::size_t i, std::size_t n) {
#if defined(__SSE2__)
  const __m128i comma = _mm_set1_epi8(',');
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  while (i + 16 <= n) {
    const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
    const __m128i hits = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(chunk, comma), _mm_cmpeq_epi8(chunk, lf)), _mm_cmpeq_epi8(chunk, cr));
    const int mask = _mm_movemask_epi8(hits);
    if (mask != 0) return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    i += 16;
  }
#endif
  const auto* bytes = reinterpret_cast<const unsigned char*>(data);
  while (i < n && !kStops[bytes[i]]) i++;
  return i;
}

bool IsLineEnd(char c) { return c == '\n' || c == '\r'; }

// The position after the closing quote of a quoted field whose opening quote is at `open`, or
// npos when the data ends first (then, at the end of the file, the field holds the rest).
std::size_t AfterClosingQuote(std::string_view data, std::size_t open, bool at_end) {
  std::size_t i = open + 1;
  for (;;) {
    const void* found = std::memchr(data.data() + i, kQuote, data.size() - i);
    if (found == nullptr) return std::string_view::npos;
    const std::size_t quote = static_cast<const char*>(found) - data.data();
    if (quote + 1 < data.size() && data[quote + 1] == kQuote) {
      i = quote + 2;
      continue;
    }
    // A quote as the last byte may be the first of a "" pair the next bytes complete.
    if (quote + 1 == data.size() && !at_end) return std::string_view::npos;
    return quote + 1;
  }
}

}  // namespace

TokenizeResult Tokenize(std::string_view data, std::size_t begin, std::size_t stop, std::size_t max_rows, bool at_end,
                        std::size_t* columns, CsvRecords* out) {
  TokenizeResult result;
  const std::size_t n = data.size();
  std::size_t i = begin;
  // About one field per 8 bytes: few records need the vector to grow.
  if (max_rows > 1 && begin < std::min(stop, n)) out->spans.reserve(out->spans.size() + (std::min(stop, n) - begin) / 4);
  while (i < n && IsLineEnd(data[i])) i++;
  result.first = i;
  result.end = i;
  while (i < stop && i < n && out->rows < max_rows) {
    const std::size_t record_spans = out->spans.size();
    std::size_t fields = 0;
    bool complete = false;
    for (;;) {
      const std::size_t start = i;
      uint32_t quoted = 0;
      if (i < n && data[i] == kQuote) {
        const std::size_t after = AfterClosingQuote(data, i, at_end);
        if (after == std::string_view::npos && !at_end) break;
        i = after == std::string_view::npos ? n : after;
        quoted = kQuotedBit;
      }
      i = FieldStop(data.data(), i, n);
      if (i == n && !at_end) break;
      out->spans.push_back(static_cast<uint32_t>(start));
      out->spans.push_back(static_cast<uint32_t>(i) | quoted);
      fields++;
      if (i == n) {
        complete = true;
        break;
      }
      if (data[i] == ',') {
        i++;
        // A delimiter as the very last byte: one more, empty field ends the record.
        if (i == n && at_end) {
          out->spans.push_back(static_cast<uint32_t>(i));
          out->spans.push_back(static_cast<uint32_t>(i));
          fields++;
          complete = true;
          break;
        }
        continue;
      }
      // CR, LF or CRLF: this and any empty lines after it.
      while (i < n && IsLineEnd(data[i])) i++;
      complete = true;
      break;
    }
    if (!complete) {
      out->spans.resize(record_spans);
      return result;
    }
    if (*columns == 0) *columns = fields;
    if (fields != *columns) {
      out->spans.resize(record_spans);
      result.status = TokenizeStatus::kFieldCount;
      result.fields = fields;
      return result;
    }
    out->rows++;
    result.end = i;
    result.last_field_end = out->spans.back() & ~kQuotedBit;
  }
  return result;
}

std::size_t NextLineStart(std::string_view data, std::size_t from) {
  std::size_t i = from;
  while (i < data.size() && !IsLineEnd(data[i])) i++;
  return i < data.size() ? i + 1 : i;
}

std::size_t ByteOrderMarkLength(std::string_view data) {
  return data.size() >= 3 && data.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
}

std::string_view FieldValue(std::string_view data, uint32_t start, uint32_t end, std::string* scratch) {
  const std::size_t stop = end & ~kQuotedBit;
  if ((end & kQuotedBit) == 0) return data.substr(start, stop - start);
  // The common quoted field: "text" with no quote inside (or, never closed, none at all).
  const void* inner = std::memchr(data.data() + start + 1, kQuote, stop - start - 1);
  if (inner == nullptr) return data.substr(start + 1, stop - start - 1);
  if (static_cast<const char*>(inner) - data.data() + 1 == static_cast<std::ptrdiff_t>(stop)) return data.substr(start + 1, stop - start - 2);
  scratch->resize(FieldValueLength(data, start, end));
  CopyFieldValue(data, start, end, scratch->data());
  return *scratch;
}

std::size_t FieldValueLength(std::string_view data, uint32_t start, uint32_t end) {
  const std::size_t stop = end & ~kQuotedBit;
  if ((end & kQuotedBit) == 0) return stop - start;
  std::size_t length = 0;
  std::size_t i = start + 1;
  for (;;) {
    const void* found = std::memchr(data.data() + i, kQuote, stop - i);
    // A quote that never closed: the rest of the text.
    if (found == nullptr) return length + (stop - i);
    const std::size_t quote = static_cast<const char*>(found) - data.data();
    length += quote - i;
    if (quote + 1 < stop && data[quote + 1] == kQuote) {
      length++;
      i = quote + 2;
      continue;
    }
    // After the closing quote, up to the delimiter: kept as it is.
    return length + (stop - quote - 1);
  }
}

void CopyFieldValue(std::string_view data, uint32_t start, uint32_t end, char* target) {
  const std::size_t stop = end & ~kQuotedBit;
  if ((end & kQuotedBit) == 0) {
    std::memcpy(target, data.data() + start, stop - start);
    return;
  }
  std::size_t i = start + 1;
  for (;;) {
    const void* found = std::memchr(data.data() + i, kQuote, stop - i);
    if (found == nullptr) {
      std::memcpy(target, data.data() + i, stop - i);
      return;
    }
    const std::size_t quote = static_cast<const char*>(found) - data.data();
    std::memcpy(target, data.data() + i, quote - i);
    target += quote - i;
    if (quote + 1 < stop && data[quote + 1] == kQuote) {
      *target++ = kQuote;
      i = quote + 2;
      continue;
    }
    std::memcpy(target, data.data() + quote + 1, stop - quote - 1);
    return;
  }
}

}  // namespace flightcache::core::csv
