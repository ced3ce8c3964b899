// Vectorised evaluation of a compiled SQL expression over the buffers of one Arrow record batch:
// a predicate produces the indices of the rows where it is TRUE (SQL three-valued logic: NULL and
// FALSE drop the row), a select-list expression an Arrow array of its values. Plain C++: the buffers are read where they lie, nothing is decoded into JS values.
#ifndef FLIGHTCACHE_CORE_FILTER_H_
#define FLIGHTCACHE_CORE_FILTER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace flightcache::core {

// Physical type of a column as the kernels read it.
enum class ColumnType : int32_t {
  kInt8 = 1, kInt16, kInt32, kInt64, kUInt8, kUInt16, kUInt32, kUInt64,
  kFloat32, kFloat64, kBool, kUtf8, kLargeUtf8,
  // Dictionary-encoded utf8: `values` holds the indices (index_type), the dictionary the strings.
  kDictionaryUtf8,
  // decimal128, read as its unscaled Int64 value (values beyond Int64 are unsupported).
  kDecimal128,
};

// A borrowed byte range; null data with size 0 means "absent".
struct Bytes {
  const uint8_t* data = nullptr;
  std::size_t size = 0;
};

// One column of a record batch (array offset 0, as in IPC).
struct FilterColumn {
  ColumnType type = ColumnType::kInt64;
  Bytes validity;  // absent: no nulls
  // Validity bitmaps of the structs the column is a field of (a null struct makes its fields null).
  std::vector<Bytes> ancestor_validity;
  Bytes values;    // fixed-width values, bits for bool, bytes for utf8, indices for dictionaries
  Bytes offsets;   // utf8 offsets (int32, int64 for large)
  // Dictionary columns only.
  ColumnType index_type = ColumnType::kInt32;
  bool dictionary_large = false;
  std::size_t dictionary_length = 0;
  Bytes dictionary_validity;
  Bytes dictionary_values;
  Bytes dictionary_offsets;
};

// Instruction opcodes. Instruction i writes register i; operands name earlier registers.
enum class Op : int32_t {
  kColumn = 1,      // a: column index
  kInt = 2,         // a: index into int constants
  kFloat = 3,       // a: index into float constants
  kString = 4,      // a: index into string constants
  kBool = 5,        // a: 0 or 1
  kNull = 6,        // typed null: a = result kind (Kind)
  kCompare = 7,     // a, b registers; c: Compare
  kAnd = 8,         // a, b
  kOr = 9,          // a, b
  kNot = 10,        // a
  kIsNull = 11,     // a
  kIsNotNull = 12,  // a
  kArith = 13,      // a, b registers; c: Arith * 16 + IntRange of an integer result, or 8: a float32 result
  kNegate = 14,     // a; c: IntRange
  kToFloat = 15,    // a: int or float -> float; c: 1 rounds to float32
  kCastInt = 16,    // a: int or float -> int of IntRange c (float truncates; out of range: error)
  kLike = 17,       // a: string register, b: string constant (pattern); c: 1 case-insensitive
  kLower = 18,      // a
  kUpper = 19,      // a
  kLength = 20,     // a: characters (code points)
  kStartsWith = 21, // a, b string registers
  kSplitHash = 22,  // a: int or string register, b: int constant (seed) -> float in [0, 1) (see SplitHash)
};

enum class Compare : int32_t { kEq = 0, kNe, kLt, kLe, kGt, kGe };
// kScale: saturating multiplication (rescaling integers to a decimal scale: a saturated value still
// compares on the right side of every decimal the kernel holds).
enum class Arith : int32_t { kAdd = 0, kSub, kMul, kDiv, kMod, kScale };
// The integer type of an integer result: add, sub, mul and negation wrap into it, division checks it (as DataFusion).
enum class IntRange : int32_t { kInt8 = 0, kInt16, kInt32, kInt64, kUInt8, kUInt16, kUInt32, kUInt64 };
// Value kind of a register.
enum class Kind : int32_t { kBool = 0, kInt = 1, kFloat = 2, kString = 3 };

struct Instruction {
  Op op;
  int32_t a = 0, b = 0, c = 0;
};

struct FilterProgram {
  std::vector<Instruction> code;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::vector<std::string> strings;
};

// Outcome of an evaluation: ok, or an error message (bad program, malformed buffers, overflow...).
struct FilterResult {
  bool ok = true;
  // Why it failed: the query on this data (division by zero, bad cast), values the kernel does not
  // represent (uint64 above 2^63-1), or a malformed program or batch.
  enum class Failure { kNone, kEvaluation, kUnsupported, kMalformed } failure = Failure::kNone;
  std::string error;
  std::vector<uint32_t> selected;
};

// A computed column: the program's last register as the buffers of an Arrow array.
struct ColumnResult {
  bool ok = true;
  FilterResult::Failure failure = FilterResult::Failure::kNone;
  std::string error;
  std::size_t null_count = 0;
  std::vector<uint8_t> validity;  // empty when no value is null
  std::vector<uint8_t> offsets;   // utf8 types only
  std::vector<uint8_t> values;    // fixed-width values, bits for bool, bytes for utf8
};

// split_hash: FNV-1a 64 of the key's bytes (an integer as its int64 value, 8 bytes little-endian;
// a string as its UTF-8 bytes), xor the seed, through the splitmix64 finaliser; the top 53 bits
// as a fraction in [0, 1). Depends on the value alone, not on where or how the row is read.
double SplitHash(const uint8_t* bytes, std::size_t length, int64_t seed);

// Evaluates `program` (its last register, a bool, is the predicate) over `rows` rows of `columns`.
FilterResult EvaluateFilter(const FilterProgram& program, const std::vector<FilterColumn>& columns, std::size_t rows);

// Evaluates `program` over `rows` rows of `columns` into an array of `type` (integer, float, bool or
// utf8 types; its last register must be of that kind, integers already in the type's range).
ColumnResult EvaluateColumn(const FilterProgram& program, const std::vector<FilterColumn>& columns, std::size_t rows, ColumnType type);

}  // namespace flightcache::core

#endif  // FLIGHTCACHE_CORE_FILTER_H_
