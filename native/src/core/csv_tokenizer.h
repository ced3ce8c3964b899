// Splits CSV bytes into records of fields the way pyarrow's parser does with its default options:
// comma-separated; a field that starts with '"' is quoted (it may hold commas, line ends and ""
// for a quote, and what follows its closing quote up to the delimiter belongs to it; at the end of
// the file a quote that never closes holds the rest of the text); LF, CR and
// CRLF end a record; empty lines are skipped; a UTF-8 byte order mark at the start is skipped.
// Fields are kept as byte ranges, not copied. Plain C++ (no Node headers).
#ifndef FLIGHTCACHE_CORE_CSV_TOKENIZER_H_
#define FLIGHTCACHE_CORE_CSV_TOKENIZER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace flightcache::core::csv {

// Ranges of at most 2 GiB of bytes: the top bit of a field's end marks a quoted field.
inline constexpr uint32_t kQuotedBit = 0x80000000u;
inline constexpr std::size_t kMaxTokenizedBytes = 0x7fffffff;

// Records as fields: field f of record r spans spans[2 * (r * columns + f)] to the next entry.
struct CsvRecords {
  std::vector<uint32_t> spans;
  std::size_t rows = 0;
};

enum class TokenizeStatus { kOk, kFieldCount };

struct TokenizeResult {
  TokenizeStatus status = TokenizeStatus::kOk;
  // Where the first record starts (after skipped empty lines).
  std::size_t first = 0;
  // After the last complete record and the empty lines that follow it: where reading resumes.
  std::size_t end = 0;
  // For kFieldCount: the fields of record `rows` (the failing one, 0-based).
  std::size_t fields = 0;
  // Where the last record's last field ends (before its line end, if it has one).
  std::size_t last_field_end = 0;
};

// Tokenizes records from `begin` while they start before `stop` and at most `max_rows` of them,
// each of `columns` fields (0: the first record's count, which then sets *columns). Without
// `at_end`, a record reaching the end of `data` is incomplete and left for the next call.
TokenizeResult Tokenize(std::string_view data, std::size_t begin, std::size_t stop, std::size_t max_rows, bool at_end,
                        std::size_t* columns, CsvRecords* out);

// Where the bytes after `from` begin a line, if `from` is not inside a quoted field: the position after the next LF or CR (or the end).
std::size_t NextLineStart(std::string_view data, std::size_t from);

// Bytes to skip at the start of a file: 3 for a UTF-8 byte order mark, else 0.
std::size_t ByteOrderMarkLength(std::string_view data);

// A field's value: for a quoted field its text without the quotes and with "" made one quote
// (built in *scratch when it cannot be a view of `data`).
std::string_view FieldValue(std::string_view data, uint32_t start, uint32_t end, std::string* scratch);

// The byte length of FieldValue, without building it.
std::size_t FieldValueLength(std::string_view data, uint32_t start, uint32_t end);

// Writes FieldValue to `target` (FieldValueLength bytes).
void CopyFieldValue(std::string_view data, uint32_t start, uint32_t end, char* target);

}  // namespace flightcache::core::csv

#endif  // FLIGHTCACHE_CORE_CSV_TOKENIZER_H_
