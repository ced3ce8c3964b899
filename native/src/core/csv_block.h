// Reads a block of CSV records into Arrow record batch bodies: the block is cut at record
// boundaries into one part per thread, the parts are tokenized and converted in parallel (each part
// becomes one record batch), and the column types are the given ones or inferred from the first
// rows as pyarrow infers them. Plain C++ (no Node headers).
#ifndef FLIGHTCACHE_CORE_CSV_BLOCK_H_
#define FLIGHTCACHE_CORE_CSV_BLOCK_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/region.h"

namespace flightcache::core::csv {

struct CsvBlockRequest {
  // The bytes from the start of a record; at most kMaxTokenizedBytes.
  std::string_view data;
  // True when `data` ends the file: its last record is complete without a line end.
  bool at_end = false;
  // Fields per record (the header's).
  std::size_t columns = 0;
  // The columns to convert, in output order, and their types (CsvType values or kInferType).
  std::vector<int32_t> kept;
  std::vector<int32_t> types;
  // Inferred types look at this many first rows of the block.
  std::size_t infer_rows = 0;
  // Parts (threads) to cut the block into; blocks under kMinBytesPerPart per part get fewer.
  std::size_t threads = 1;
  RegionAllocator* allocator = nullptr;
};

inline constexpr std::size_t kMinBytesPerPart = 256 * 1024;

// One record batch: its body (buffers 64-byte aligned), a (length, null count) pair per field node
// and an (offset, length) pair per buffer, as an Arrow IPC RecordBatch message lists them.
struct CsvBatch {
  std::size_t rows = 0;
  std::unique_ptr<Region> body;
  std::vector<int64_t> nodes;
  std::vector<int64_t> buffers;
};

enum class CsvErrorKind { kNone, kFieldCount, kCell, kStringTooLong, kOutOfMemory };

struct CsvError {
  CsvErrorKind kind = CsvErrorKind::kNone;
  // The record (0-based from the block's first record) and, for kCell, the kept column and the cell.
  std::size_t record = 0;
  std::size_t column = 0;
  std::size_t fields = 0;
  std::string cell;
};

struct CsvBlockResult {
  // Bytes of complete records (and the empty lines after them); the rest waits for more bytes.
  std::size_t consumed = 0;
  std::size_t rows = 0;
  // The type of each kept column (inferred ones resolved).
  std::vector<int32_t> types;
  std::vector<CsvBatch> batches;
  CsvError error;
};

// Reads the complete records of the block. On an error the result holds the first one (in record
// order) and no batches.
CsvBlockResult ParseCsvBlock(const CsvBlockRequest& request);

enum class CsvHeaderStatus { kHeader, kNeedMore, kNoLineEnd };

// The header: the first record's field values, and the bytes it takes (with a leading byte order
// mark and the empty lines around it). kNeedMore when the bytes end inside it (without at_end);
// kNoLineEnd when it ends the file without a line end, or there is no record (pyarrow then reads
// no columns and fails).
CsvHeaderStatus ParseCsvHeader(std::string_view data, bool at_end, std::vector<std::string>* names, std::size_t* consumed);

}  // namespace flightcache::core::csv

#endif  // FLIGHTCACHE_CORE_CSV_BLOCK_H_
