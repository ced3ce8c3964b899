#include "core/filter.h"

#include "core/filter_fused.h"
#include "core/filter_scan.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string_view>

namespace flightcache::core {
namespace {

// One register: a column of `rows` values of one kind, with a validity byte per row.
struct Vec {
  Kind kind = Kind::kBool;
  std::vector<uint8_t> valid;
  std::vector<uint8_t> bools;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::vector<std::string_view> strings;
  // Strings computed by functions (lower, upper): sized once, so the views into them stay valid.
  std::vector<std::string> owned;
};

// Evaluation stops at the first error; the message says what and where.
struct Failure {
  FilterResult::Failure kind;
  std::string message;
};

constexpr auto kEvaluation = FilterResult::Failure::kEvaluation;
constexpr auto kUnsupported = FilterResult::Failure::kUnsupported;
constexpr auto kMalformed = FilterResult::Failure::kMalformed;

// The range code of float arithmetic whose result is rounded to float32 (float32 op float32).
constexpr int32_t kFloat32Result = 8;

bool Bit(const uint8_t* bits, std::size_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }

// The register kind a column type loads as; false for a type the kernel does not read.
bool KindOfColumn(ColumnType type, Kind* kind) {
  switch (type) {
    case ColumnType::kInt8: case ColumnType::kInt16: case ColumnType::kInt32: case ColumnType::kInt64:
    case ColumnType::kUInt8: case ColumnType::kUInt16: case ColumnType::kUInt32: case ColumnType::kUInt64:
    case ColumnType::kDecimal128: *kind = Kind::kInt; return true;
    case ColumnType::kFloat32: case ColumnType::kFloat64: *kind = Kind::kFloat; return true;
    case ColumnType::kBool: *kind = Kind::kBool; return true;
    case ColumnType::kUtf8: case ColumnType::kLargeUtf8: case ColumnType::kDictionaryUtf8: *kind = Kind::kString; return true;
  }
  return false;
}

// The comparison with its operands swapped (c < x is x > c).
Compare Mirror(Compare op) {
  switch (op) {
    case Compare::kLt: return Compare::kGt;
    case Compare::kLe: return Compare::kGe;
    case Compare::kGt: return Compare::kLt;
    case Compare::kGe: return Compare::kLe;
    default: return op;
  }
}

// Reads integer `i` of a fixed-width buffer of `type`; false for a uint64 above the int64 range.
bool ReadInt(const uint8_t* data, ColumnType type, std::size_t i, int64_t* out) {
  switch (type) {
    case ColumnType::kInt8: { int8_t v; std::memcpy(&v, data + i, 1); *out = v; return true; }
    case ColumnType::kInt16: { int16_t v; std::memcpy(&v, data + 2 * i, 2); *out = v; return true; }
    case ColumnType::kInt32: { int32_t v; std::memcpy(&v, data + 4 * i, 4); *out = v; return true; }
    case ColumnType::kInt64: { int64_t v; std::memcpy(&v, data + 8 * i, 8); *out = v; return true; }
    case ColumnType::kUInt8: { uint8_t v; std::memcpy(&v, data + i, 1); *out = v; return true; }
    case ColumnType::kUInt16: { uint16_t v; std::memcpy(&v, data + 2 * i, 2); *out = v; return true; }
    case ColumnType::kUInt32: { uint32_t v; std::memcpy(&v, data + 4 * i, 4); *out = v; return true; }
    case ColumnType::kUInt64: {
      uint64_t v;
      std::memcpy(&v, data + 8 * i, 8);
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
      *out = static_cast<int64_t>(v);
      return true;
    }
    default: return false;
  }
}

bool IsInteger(ColumnType type) { return type >= ColumnType::kInt8 && type <= ColumnType::kUInt64; }

// Reads string `i` of a utf8 array given its offsets; false when the offsets point outside the data.
bool ReadString(const Bytes& offsets, const Bytes& data, bool large, std::size_t i, std::string_view* out) {
  int64_t start, end;
  if (large) {
    std::memcpy(&start, offsets.data + 8 * i, 8);
    std::memcpy(&end, offsets.data + 8 * (i + 1), 8);
  } else {
    int32_t s, e;
    std::memcpy(&s, offsets.data + 4 * i, 4);
    std::memcpy(&e, offsets.data + 4 * (i + 1), 4);
    start = s;
    end = e;
  }
  if (start < 0 || end < start || static_cast<uint64_t>(end) > data.size) return false;
  *out = std::string_view(reinterpret_cast<const char*>(data.data) + start, static_cast<std::size_t>(end - start));
  return true;
}

// Rows of the largest selection scratch a thread keeps between batches (4 MiB).
constexpr std::size_t kScratchRowsKept = 1 << 20;

class Evaluator {
 public:
  Evaluator(const FilterProgram& program, const std::vector<FilterColumn>& columns, std::size_t rows)
      : program_(program), columns_(columns), rows_(rows) {}

  FilterResult Run() {
    FilterResult result;
    if (!Execute(Kind::kBool, &result.failure, &result.error)) {
      result.ok = false;
      return result;
    }
    const Vec& out = registers_.back();
    if (FewKept(out)) {
      SelectFew(out, &result.selected);
      return result;
    }
    // Written unconditionally, kept by advancing: no branch per row. The rows go to this thread's
    // scratch (no zero-fill or fresh pages for each batch) and the selection is an exact copy.
    thread_local std::vector<uint32_t> scratch;
    if (scratch.size() < rows_) scratch.resize(rows_);
    uint32_t* rows = scratch.data();
    std::size_t kept = 0;
    for (std::size_t r = 0; r < rows_; r++) {
      rows[kept] = static_cast<uint32_t>(r);
      kept += out.valid[r] & out.bools[r];
    }
    result.selected.assign(rows, rows + kept);
    // A scratch sized for a batch far above the usual ones is not kept for the thread's lifetime.
    if (scratch.size() > kScratchRowsKept) std::vector<uint32_t>().swap(scratch);
    return result;
  }

  // Whether at most one row in 16 of the first 4096 is kept: then most words of 8 rows keep none.
  bool FewKept(const Vec& out) const {
    const std::size_t sample = std::min<std::size_t>(rows_, 4096) / 8 * 8;
    std::size_t kept = 0;
    for (std::size_t r = 0; r < sample; r += 8) kept += KeptIn(out, r);
    return sample > 0 && kept * 16 <= sample;
  }

  // Rows kept among rows r to r + 7: the bytes are 0 or 1, the multiplication sums them into the top byte.
  static std::size_t KeptIn(const Vec& out, std::size_t r) { return (KeptBytes(out, r) * 0x0101010101010101ULL) >> 56; }

  // valid & bools of rows r to r + 7, a byte each.
  static uint64_t KeptBytes(const Vec& out, std::size_t r) {
    uint64_t v, b;
    std::memcpy(&v, out.valid.data() + r, 8);
    std::memcpy(&b, out.bools.data() + r, 8);
    return v & b;
  }

  // The kept rows when few are: counted eight rows a word, then each word with any kept scanned by bit.
  void SelectFew(const Vec& out, std::vector<uint32_t>* selected) const {
    const std::size_t words = rows_ / 8 * 8;
    std::size_t kept = 0;
    for (std::size_t r = 0; r < words; r += 8) kept += KeptIn(out, r);
    for (std::size_t r = words; r < rows_; r++) kept += out.valid[r] & out.bools[r];
    selected->resize(kept);
    uint32_t* at = selected->data();
    for (std::size_t r = 0; r < words; r += 8) {
      for (uint64_t m = KeptBytes(out, r); m != 0; m &= m - 1) *at++ = static_cast<uint32_t>(r + (static_cast<unsigned>(__builtin_ctzll(m)) >> 3));
    }
    for (std::size_t r = words; r < rows_; r++) {
      if (out.valid[r] & out.bools[r]) *at++ = static_cast<uint32_t>(r);
    }
  }

  ColumnResult Values(ColumnType type) {
    ColumnResult result;
    Kind kind = Kind::kBool;
    if (!KindOfColumn(type, &kind) || type == ColumnType::kDictionaryUtf8 || type == ColumnType::kDecimal128) {
      result.ok = false;
      result.failure = kMalformed;
      result.error = "unsupported result column type";
      return result;
    }
    if (!Execute(kind, &result.failure, &result.error)) {
      result.ok = false;
      return result;
    }
    const Vec& out = registers_.back();
    for (std::size_t r = 0; r < rows_; r++) result.null_count += out.valid[r] ^ 1;
    if (result.null_count > 0) {
      result.validity.assign((rows_ + 7) / 8, 0);
      for (std::size_t r = 0; r < rows_; r++) result.validity[r >> 3] |= static_cast<uint8_t>(out.valid[r] << (r & 7));
    }
    switch (kind) {
      case Kind::kBool:
        result.values.assign((rows_ + 7) / 8, 0);
        for (std::size_t r = 0; r < rows_; r++) result.values[r >> 3] |= static_cast<uint8_t>((out.bools[r] & out.valid[r]) << (r & 7));
        break;
      case Kind::kInt: {
        const std::size_t width = WidthOf(type);
        result.values.assign(rows_ * width, 0);
        // Little-endian: the low `width` bytes of the int64 are the narrower value (results are in range).
        for (std::size_t r = 0; r < rows_; r++) std::memcpy(result.values.data() + r * width, &out.ints[r], width);
        break;
      }
      case Kind::kFloat:
        if (type == ColumnType::kFloat32) {
          result.values.resize(rows_ * 4);
          for (std::size_t r = 0; r < rows_; r++) {
            const auto v = static_cast<float>(out.floats[r]);
            std::memcpy(result.values.data() + 4 * r, &v, 4);
          }
        } else {
          result.values.resize(rows_ * 8);
          if (rows_ > 0) std::memcpy(result.values.data(), out.floats.data(), rows_ * 8);
        }
        break;
      case Kind::kString: {
        const bool large = type == ColumnType::kLargeUtf8;
        const std::size_t width = large ? 8 : 4;
        result.offsets.assign((rows_ + 1) * width, 0);
        int64_t at = 0;
        for (std::size_t r = 0; r < rows_; r++) {
          if (out.valid[r]) {
            result.values.insert(result.values.end(), out.strings[r].begin(), out.strings[r].end());
            at += static_cast<int64_t>(out.strings[r].size());
          }
          if (!large && at > std::numeric_limits<int32_t>::max()) {
            result.ok = false;
            result.failure = kUnsupported;
            result.error = "a computed utf8 column holds more than 2 GiB in one batch";
            return result;
          }
          if (large) std::memcpy(result.offsets.data() + 8 * (r + 1), &at, 8);
          else {
            const auto at32 = static_cast<int32_t>(at);
            std::memcpy(result.offsets.data() + 4 * (r + 1), &at32, 4);
          }
        }
        break;
      }
    }
    return result;
  }

 private:
  // Runs every instruction; the last register must be of kind `kind`. False (with why) on failure.
  bool Execute(Kind kind, FilterResult::Failure* failure, std::string* error) {
    registers_.resize(program_.code.size());
    pending_.assign(program_.code.size(), 0);
    for (std::size_t i = 0; i < program_.code.size(); i++) {
      if (!Step(i)) break;
      ReleaseDead(i);
    }
    if (failure_.kind == FilterResult::Failure::kNone) {
      if (program_.code.empty() || registers_.back().kind != kind) Fail(kMalformed, "program does not end in a value of the expected kind");
      else if (pending_.back()) Load(program_.code.size() - 1);
    }
    if (failure_.kind == FilterResult::Failure::kNone) return true;
    *failure = failure_.kind;
    *error = failure_.message;
    return false;
  }

  bool Fail(FilterResult::Failure kind, std::string message) {
    failure_ = {kind, std::move(message)};
    return false;
  }

  // Frees registers no later instruction reads, so a long program holds few columns at once.
  void ReleaseDead(std::size_t done) {
    if (last_use_.empty()) {
      last_use_.assign(program_.code.size(), 0);
      for (std::size_t i = 0; i < program_.code.size(); i++) {
        // Operands outside [0, i) fail when their instruction runs; they must not index here.
        for (int32_t operand : Operands(program_.code[i])) {
          if (operand >= 0 && static_cast<std::size_t>(operand) < i) last_use_[static_cast<std::size_t>(operand)] = i;
        }
      }
    }
    for (int32_t operand : Operands(program_.code[done])) {
      if (operand < 0 || static_cast<std::size_t>(operand) >= done) continue;
      auto o = static_cast<std::size_t>(operand);
      if (last_use_[o] == done && o + 1 != registers_.size()) registers_[o] = Vec();
    }
  }

  static std::vector<int32_t> Operands(const Instruction& in) {
    switch (in.op) {
      case Op::kCompare: case Op::kAnd: case Op::kOr: case Op::kArith: case Op::kStartsWith: return {in.a, in.b};
      case Op::kSplitHash: return {in.a};
      case Op::kNot: case Op::kIsNull: case Op::kIsNotNull: case Op::kNegate: case Op::kToFloat: case Op::kCastInt:
      case Op::kLike: case Op::kLower: case Op::kUpper: case Op::kLength: return {in.a};
      default: return {};
    }
  }

  // Register `r` of instruction `at`, which must be an earlier one of kind `kind`.
  const Vec* Operand(std::size_t at, int32_t r, Kind kind) {
    if (r < 0 || static_cast<std::size_t>(r) >= at) {
      Fail(kMalformed, "filter program instruction " + std::to_string(at) + " reads a later register");
      return nullptr;
    }
    const Vec& v = registers_[static_cast<std::size_t>(r)];
    if (v.kind != kind) {
      Fail(kMalformed, "filter program instruction " + std::to_string(at) + " reads a register of another kind");
      return nullptr;
    }
    if (pending_[static_cast<std::size_t>(r)] && !Load(static_cast<std::size_t>(r))) return nullptr;
    return &v;
  }

  // Register `r` of instruction `at`, which must be an earlier one, of any kind.
  const Vec* Read(std::size_t at, int32_t r) {
    if (r < 0 || static_cast<std::size_t>(r) >= at) {
      Fail(kMalformed, "bad operand");
      return nullptr;
    }
    const auto o = static_cast<std::size_t>(r);
    if (pending_[o] && !Load(o)) return nullptr;
    return &registers_[o];
  }

  // Leaves (columns, constants) are checked here and filled only when an operation reads them
  // whole: a comparison of a column with a constant scans the column's buffers instead.
  bool Declare(std::size_t at) {
    const Instruction& in = program_.code[at];
    Kind kind = Kind::kBool;
    switch (in.op) {
      case Op::kColumn:
        if (in.a < 0 || static_cast<std::size_t>(in.a) >= columns_.size()) return Fail(kMalformed, "bad column index");
        if (!KindOfColumn(columns_[static_cast<std::size_t>(in.a)].type, &kind)) {
          return Fail(kMalformed, "column " + std::to_string(in.a) + ": unsupported column type");
        }
        break;
      case Op::kInt: case Op::kFloat: case Op::kString: {
        const std::size_t count = in.op == Op::kInt ? program_.ints.size() : in.op == Op::kFloat ? program_.floats.size() : program_.strings.size();
        kind = in.op == Op::kInt ? Kind::kInt : in.op == Op::kFloat ? Kind::kFloat : Kind::kString;
        if (in.a < 0 || static_cast<std::size_t>(in.a) >= count) {
          return Fail(kMalformed, std::string("bad ") + (in.op == Op::kInt ? "int" : in.op == Op::kFloat ? "float" : "string") + " constant");
        }
        break;
      }
      case Op::kNull:
        if (in.a < 0 || in.a > 3) return Fail(kMalformed, "bad null kind");
        kind = static_cast<Kind>(in.a);
        break;
      default: break;
    }
    registers_[at] = Vec();
    registers_[at].kind = kind;
    pending_[at] = 1;
    return true;
  }

  // Fills the declared leaf `at`.
  bool Load(std::size_t at) {
    const Instruction& in = program_.code[at];
    Vec& out = registers_[at];
    pending_[at] = 0;
    switch (in.op) {
      case Op::kColumn: return LoadColumn(in.a, &out);
      case Op::kInt:
        out = New(Kind::kInt);
        out.ints.assign(rows_, program_.ints[static_cast<std::size_t>(in.a)]);
        return true;
      case Op::kFloat:
        out = New(Kind::kFloat);
        out.floats.assign(rows_, program_.floats[static_cast<std::size_t>(in.a)]);
        return true;
      case Op::kString:
        out = New(Kind::kString);
        out.strings.assign(rows_, std::string_view(program_.strings[static_cast<std::size_t>(in.a)]));
        return true;
      case Op::kBool:
        out = New(Kind::kBool);
        out.bools.assign(rows_, in.a != 0);
        return true;
      case Op::kNull:
        out = New(static_cast<Kind>(in.a));
        out.valid.assign(rows_, 0);
        return true;
      default: return Fail(kMalformed, "instruction " + std::to_string(at) + " is not a leaf");
    }
  }

  Vec New(Kind kind) {
    Vec v;
    v.kind = kind;
    v.valid.assign(rows_, 1);
    switch (kind) {
      case Kind::kBool: v.bools.assign(rows_, 0); break;
      case Kind::kInt: v.ints.assign(rows_, 0); break;
      case Kind::kFloat: v.floats.assign(rows_, 0); break;
      case Kind::kString: v.strings.assign(rows_, std::string_view()); break;
    }
    return v;
  }

  bool Step(std::size_t at) {
    const Instruction& in = program_.code[at];
    Vec& out = registers_[at];
    switch (in.op) {
      case Op::kColumn: case Op::kInt: case Op::kFloat: case Op::kString: case Op::kBool: case Op::kNull: return Declare(at);
      case Op::kCompare: return CompareStep(at, in, &out);
      case Op::kAnd: case Op::kOr: return LogicStep(at, in, &out);
      case Op::kNot: {
        const Vec* a = Operand(at, in.a, Kind::kBool);
        if (!a) return false;
        out = New(Kind::kBool);
        for (std::size_t r = 0; r < rows_; r++) {
          out.valid[r] = a->valid[r];
          out.bools[r] = a->bools[r] ^ 1;
        }
        return true;
      }
      case Op::kIsNull: case Op::kIsNotNull: {
        const Vec* operand = Read(at, in.a);
        if (!operand) return false;
        const Vec& a = *operand;
        out = New(Kind::kBool);
        const uint8_t is_null = in.op == Op::kIsNull;
        for (std::size_t r = 0; r < rows_; r++) out.bools[r] = (a.valid[r] ^ 1) == is_null;
        return true;
      }
      case Op::kArith: return ArithStep(at, in, &out);
      case Op::kNegate: return NegateStep(at, in, &out);
      case Op::kToFloat: {
        const Vec* operand = Read(at, in.a);
        if (!operand) return false;
        const Vec& a = *operand;
        if (a.kind != Kind::kInt && a.kind != Kind::kFloat) return Fail(kMalformed, "conversion of a non-number to a float");
        out = New(Kind::kFloat);
        out.valid = a.valid;
        for (std::size_t r = 0; r < rows_; r++) {
          const double v = a.kind == Kind::kInt ? static_cast<double>(a.ints[r]) : a.floats[r];
          out.floats[r] = in.c == 1 ? static_cast<double>(static_cast<float>(v)) : v;
        }
        return true;
      }
      case Op::kCastInt: return CastIntStep(at, in, &out);
      case Op::kLike: return LikeStep(at, in, &out);
      case Op::kLower: case Op::kUpper: return CaseStep(at, in, &out);
      case Op::kLength: {
        const Vec* a = Operand(at, in.a, Kind::kString);
        if (!a) return false;
        out = New(Kind::kInt);
        out.valid = a->valid;
        for (std::size_t r = 0; r < rows_; r++) {
          int64_t n = 0;
          for (char c : a->strings[r]) n += (static_cast<uint8_t>(c) & 0xC0) != 0x80;
          out.ints[r] = n;
        }
        return true;
      }
      case Op::kStartsWith: {
        const Vec* a = Operand(at, in.a, Kind::kString);
        const Vec* b = a ? Operand(at, in.b, Kind::kString) : nullptr;
        if (!b) return false;
        out = New(Kind::kBool);
        for (std::size_t r = 0; r < rows_; r++) {
          out.valid[r] = a->valid[r] && b->valid[r];
          out.bools[r] = a->strings[r].substr(0, b->strings[r].size()) == b->strings[r];
        }
        return true;
      }
      case Op::kSplitHash: {
        if (in.b < 0 || static_cast<std::size_t>(in.b) >= program_.ints.size()) return Fail(kMalformed, "bad seed constant");
        const Vec* operand = Read(at, in.a);
        if (!operand) return false;
        const Vec& a = *operand;
        if (a.kind != Kind::kInt && a.kind != Kind::kString) return Fail(kMalformed, "split_hash of a register that is not an integer or string");
        const int64_t seed = program_.ints[static_cast<std::size_t>(in.b)];
        out = New(Kind::kFloat);
        out.valid = a.valid;
        for (std::size_t r = 0; r < rows_; r++) {
          if (!a.valid[r]) continue;
          if (a.kind == Kind::kInt) {
            uint8_t bytes[8];
            const auto v = static_cast<uint64_t>(a.ints[r]);
            for (int k = 0; k < 8; k++) bytes[k] = static_cast<uint8_t>(v >> (8 * k));
            out.floats[r] = SplitHash(bytes, 8, seed);
          } else {
            out.floats[r] = SplitHash(reinterpret_cast<const uint8_t*>(a.strings[r].data()), a.strings[r].size(), seed);
          }
        }
        return true;
      }
    }
    return Fail(kMalformed, "unknown filter opcode " + std::to_string(static_cast<int32_t>(in.op)));
  }

  // Whether the column's validity bitmaps (its own and its structs') cover the rows.
  bool CheckValidity(const FilterColumn& column, const std::string& name) {
    const std::size_t bitmap = (rows_ + 7) / 8;
    if (column.validity.data && column.validity.size < bitmap) return Fail(kMalformed, name + ": validity bitmap too short");
    for (const Bytes& ancestor : column.ancestor_validity) {
      if (ancestor.data && ancestor.size < bitmap) return Fail(kMalformed, name + ": struct validity bitmap too short");
    }
    return true;
  }

  // Clears `valid` (all 1 on entry) where the column or one of its structs is null.
  void LoadValidity(const FilterColumn& column, uint8_t* valid) const {
    if (column.validity.data) ExpandBits(column.validity.data, rows_, false, valid);
    for (const Bytes& ancestor : column.ancestor_validity) {
      if (ancestor.data) ExpandBits(ancestor.data, rows_, true, valid);
    }
  }

  // Whether comparing register `column` with register `constant` can scan the column's buffers.
  bool Scannable(std::size_t column, std::size_t constant) const {
    const Op constant_op = program_.code[constant].op;
    return pending_[column] && pending_[constant] && program_.code[column].op == Op::kColumn &&
           (constant_op == Op::kInt || constant_op == Op::kFloat || constant_op == Op::kString) &&
           registers_[column].kind == registers_[constant].kind &&
           HasScan(columns_[static_cast<std::size_t>(program_.code[column].a)], registers_[constant].kind);
  }

  // `column <op> constant` straight from the column's buffers.
  bool ScanStep(std::size_t column_register, std::size_t constant_register, Compare op, Vec* out) {
    const int32_t index = program_.code[column_register].a;
    const FilterColumn& column = columns_[static_cast<std::size_t>(index)];
    const std::string name = "column " + std::to_string(index);
    if (!CheckValidity(column, name)) return false;
    Vec result = New(Kind::kBool);
    LoadValidity(column, result.valid.data());
    const Instruction& leaf = program_.code[constant_register];
    ScanConstant constant;
    constant.kind = registers_[constant_register].kind;
    const auto k = static_cast<std::size_t>(leaf.a);
    if (leaf.op == Op::kInt) constant.int_value = program_.ints[k];
    if (leaf.op == Op::kFloat) constant.float_value = program_.floats[k];
    if (leaf.op == Op::kString) constant.string_value = program_.strings[k];
    const ScanStatus status = ScanCompare(column, rows_, op, constant, name, result.valid.data(), result.bools.data());
    if (!status.ok) return Fail(status.failure, status.message);
    *out = std::move(result);
    return true;
  }

  bool LoadColumn(int32_t index, Vec* out) {
    if (index < 0 || static_cast<std::size_t>(index) >= columns_.size()) return Fail(kMalformed, "bad column index");
    const FilterColumn& column = columns_[static_cast<std::size_t>(index)];
    const std::string name = "column " + std::to_string(index);
    if (!CheckValidity(column, name)) return false;
    const std::size_t bitmap = (rows_ + 7) / 8;
    const ColumnType type = column.type;
    if (IsInteger(type)) {
      if (column.values.size < rows_ * WidthOf(type)) return Fail(kMalformed, name + ": values buffer too short");
      *out = New(Kind::kInt);
      LoadValidity(column, out->valid.data());
      for (std::size_t r = 0; r < rows_; r++) {
        if (!ReadInt(column.values.data, type, r, &out->ints[r]) && out->valid[r]) {
          return Fail(kUnsupported, name + ": uint64 value above 2^63-1 (not supported by filters)");
        }
      }
      return true;
    }
    if (type == ColumnType::kFloat32 || type == ColumnType::kFloat64) {
      if (column.values.size < rows_ * WidthOf(type)) return Fail(kMalformed, name + ": values buffer too short");
      *out = New(Kind::kFloat);
      LoadValidity(column, out->valid.data());
      for (std::size_t r = 0; r < rows_; r++) {
        if (type == ColumnType::kFloat32) {
          float v;
          std::memcpy(&v, column.values.data + 4 * r, 4);
          out->floats[r] = v;
        } else {
          std::memcpy(&out->floats[r], column.values.data + 8 * r, 8);
        }
      }
      return true;
    }
    if (type == ColumnType::kBool) {
      if (column.values.size < bitmap) return Fail(kMalformed, name + ": values bitmap too short");
      *out = New(Kind::kBool);
      LoadValidity(column, out->valid.data());
      for (std::size_t r = 0; r < rows_; r++) out->bools[r] = Bit(column.values.data, r);
      return true;
    }
    if (type == ColumnType::kUtf8 || type == ColumnType::kLargeUtf8) {
      const bool large = type == ColumnType::kLargeUtf8;
      if (column.offsets.size < (rows_ + 1) * (large ? 8 : 4)) return Fail(kMalformed, name + ": offsets buffer too short");
      *out = New(Kind::kString);
      LoadValidity(column, out->valid.data());
      for (std::size_t r = 0; r < rows_; r++) {
        if (!ReadString(column.offsets, column.values, large, r, &out->strings[r])) return Fail(kMalformed, name + ": offsets point outside the data");
      }
      return true;
    }
    if (type == ColumnType::kDictionaryUtf8) {
      if (!IsInteger(column.index_type) || column.values.size < rows_ * WidthOf(column.index_type)) {
        return Fail(kMalformed, name + ": dictionary indices too short");
      }
      const std::size_t entries = column.dictionary_length;
      if (column.dictionary_offsets.size < (entries + 1) * (column.dictionary_large ? 8 : 4)) return Fail(kMalformed, name + ": dictionary offsets too short");
      if (column.dictionary_validity.data && column.dictionary_validity.size < (entries + 7) / 8) return Fail(kMalformed, name + ": dictionary validity too short");
      *out = New(Kind::kString);
      LoadValidity(column, out->valid.data());
      for (std::size_t r = 0; r < rows_; r++) {
        if (!out->valid[r]) continue;
        int64_t index = 0;
        if (!ReadInt(column.values.data, column.index_type, r, &index) || index < 0 || static_cast<std::size_t>(index) >= entries) {
          return Fail(kMalformed, name + ": dictionary index out of range");
        }
        const auto k = static_cast<std::size_t>(index);
        if (column.dictionary_validity.data && !Bit(column.dictionary_validity.data, k)) {
          out->valid[r] = 0;
          continue;
        }
        if (!ReadString(column.dictionary_offsets, column.dictionary_values, column.dictionary_large, k, &out->strings[r])) {
          return Fail(kMalformed, name + ": dictionary offsets point outside its data");
        }
      }
      return true;
    }
    if (type == ColumnType::kDecimal128) {
      if (column.values.size < rows_ * 16) return Fail(kMalformed, name + ": values buffer too short");
      *out = New(Kind::kInt);
      LoadValidity(column, out->valid.data());
      for (std::size_t r = 0; r < rows_; r++) {
        int64_t low, high;
        std::memcpy(&low, column.values.data + 16 * r, 8);
        std::memcpy(&high, column.values.data + 16 * r + 8, 8);
        if (high != (low < 0 ? -1 : 0) && out->valid[r]) return Fail(kUnsupported, name + ": decimal value beyond the Int64 range (not supported by filters)");
        out->ints[r] = low;
      }
      return true;
    }
    return Fail(kMalformed, name + ": unsupported column type");
  }

  template <typename T>
  static bool Holds(Compare op, const T& x, const T& y) {
    switch (op) {
      case Compare::kEq: return x == y;
      case Compare::kNe: return x != y;
      case Compare::kLt: return x < y;
      case Compare::kLe: return x <= y;
      case Compare::kGt: return x > y;
      case Compare::kGe: return x >= y;
    }
    return false;
  }

  bool CompareStep(std::size_t at, const Instruction& in, Vec* out) {
    if (in.a < 0 || static_cast<std::size_t>(in.a) >= at) return Fail(kMalformed, "bad operand");
    if (in.c < 0 || in.c > 5) return Fail(kMalformed, "bad comparison");
    const auto op = static_cast<Compare>(in.c);
    if (in.b >= 0 && static_cast<std::size_t>(in.b) < at) {
      const auto left = static_cast<std::size_t>(in.a), right = static_cast<std::size_t>(in.b);
      if (Scannable(left, right)) return ScanStep(left, right, op, out);
      if (Scannable(right, left)) return ScanStep(right, left, Mirror(op), out);
    }
    const Kind kind = registers_[static_cast<std::size_t>(in.a)].kind;
    const Vec* a = Operand(at, in.a, kind);
    const Vec* b = a ? Operand(at, in.b, kind) : nullptr;
    if (!b) return false;
    Vec result = New(Kind::kBool);
    for (std::size_t r = 0; r < rows_; r++) {
      result.valid[r] = a->valid[r] && b->valid[r];
      if (!result.valid[r]) continue;
      switch (kind) {
        case Kind::kBool: result.bools[r] = Holds(op, a->bools[r], b->bools[r]); break;
        case Kind::kInt: result.bools[r] = Holds(op, a->ints[r], b->ints[r]); break;
        case Kind::kFloat: result.bools[r] = Holds(op, TotalOrderKey(a->floats[r]), TotalOrderKey(b->floats[r])); break;
        case Kind::kString: result.bools[r] = Holds(op, a->strings[r], b->strings[r]); break;
      }
    }
    *out = std::move(result);
    return true;
  }

  // Kleene logic: FALSE AND NULL is FALSE, TRUE OR NULL is TRUE.
  bool LogicStep(std::size_t at, const Instruction& in, Vec* out) {
    const Vec* a = Operand(at, in.a, Kind::kBool);
    const Vec* b = a ? Operand(at, in.b, Kind::kBool) : nullptr;
    if (!b) return false;
    const bool is_and = in.op == Op::kAnd;
    Vec result = New(Kind::kBool);
    // Bytes of 0 or 1 combined without branches: a decided side (FALSE for AND, TRUE for OR) decides.
    const uint8_t *av = a->valid.data(), *bv = b->valid.data(), *ab = a->bools.data(), *bb = b->bools.data();
    uint8_t *valid = result.valid.data(), *bools = result.bools.data();
    if (is_and) {
      for (std::size_t r = 0; r < rows_; r++) {
        const uint8_t decided = (av[r] & (ab[r] ^ 1)) | (bv[r] & (bb[r] ^ 1));
        bools[r] = decided ^ 1;
        valid[r] = decided | (av[r] & bv[r]);
      }
    } else {
      for (std::size_t r = 0; r < rows_; r++) {
        const uint8_t decided = (av[r] & ab[r]) | (bv[r] & bb[r]);
        bools[r] = decided;
        valid[r] = decided | (av[r] & bv[r]);
      }
    }
    *out = std::move(result);
    return true;
  }

  static bool InRange(int64_t v, IntRange range) {
    switch (range) {
      case IntRange::kInt8: return v >= -128 && v <= 127;
      case IntRange::kInt16: return v >= -32768 && v <= 32767;
      case IntRange::kInt32: return v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max();
      case IntRange::kInt64: return true;
      case IntRange::kUInt8: return v >= 0 && v <= 255;
      case IntRange::kUInt16: return v >= 0 && v <= 65535;
      case IntRange::kUInt32: return v >= 0 && v <= 4294967295LL;
      case IntRange::kUInt64: return v >= 0;
    }
    return false;
  }

  // Wraps a 64-bit two's complement result into `range`; false for a UInt64 result above the int64 range.
  static bool Wrap(int64_t* v, IntRange range) {
    switch (range) {
      case IntRange::kInt8: *v = static_cast<int8_t>(*v); return true;
      case IntRange::kInt16: *v = static_cast<int16_t>(*v); return true;
      case IntRange::kInt32: *v = static_cast<int32_t>(*v); return true;
      case IntRange::kInt64: return true;
      case IntRange::kUInt8: *v = static_cast<uint8_t>(*v); return true;
      case IntRange::kUInt16: *v = static_cast<uint16_t>(*v); return true;
      case IntRange::kUInt32: *v = static_cast<uint32_t>(*v); return true;
      case IntRange::kUInt64: return *v >= 0;
    }
    return false;
  }

  static const char* RangeName(IntRange range) {
    static const char* names[] = {"Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64"};
    return names[static_cast<int32_t>(range)];
  }

  bool ArithStep(std::size_t at, const Instruction& in, Vec* out) {
    const int32_t op_code = in.c / 16, range_code = in.c % 16;
    if (op_code < 0 || op_code > 5 || range_code < 0 || range_code > kFloat32Result) return Fail(kMalformed, "bad arithmetic");
    if (in.a < 0 || static_cast<std::size_t>(in.a) >= at) return Fail(kMalformed, "bad operand");
    const Kind kind = registers_[static_cast<std::size_t>(in.a)].kind;
    if (kind != Kind::kInt && kind != Kind::kFloat) return Fail(kMalformed, "arithmetic on a non-number");
    const Vec* a = Operand(at, in.a, kind);
    const Vec* b = a ? Operand(at, in.b, kind) : nullptr;
    if (!b) return false;
    const auto op = static_cast<Arith>(op_code);
    const auto range = static_cast<IntRange>(range_code);
    Vec result = New(kind);
    for (std::size_t r = 0; r < rows_; r++) {
      result.valid[r] = a->valid[r] && b->valid[r];
      if (!result.valid[r]) continue;
      if (kind == Kind::kFloat) {
        const double x = a->floats[r], y = b->floats[r];
        const double v = op == Arith::kAdd ? x + y : op == Arith::kSub ? x - y : (op == Arith::kMul || op == Arith::kScale) ? x * y : op == Arith::kDiv ? x / y : std::fmod(x, y);
        result.floats[r] = range_code == kFloat32Result ? static_cast<double>(static_cast<float>(v)) : v;
        continue;
      }
      if (range_code == kFloat32Result) return Fail(kMalformed, "float32 rounding of integer arithmetic");
      const int64_t x = a->ints[r], y = b->ints[r];
      int64_t v = 0;
      switch (op) {
        // Two's complement wrapping in the result type, as DataFusion's add, sub and mul.
        case Arith::kAdd: __builtin_add_overflow(x, y, &v); break;
        case Arith::kSub: __builtin_sub_overflow(x, y, &v); break;
        case Arith::kMul: __builtin_mul_overflow(x, y, &v); break;
        case Arith::kScale:
          if (__builtin_mul_overflow(x, y, &v)) v = (x < 0) != (y < 0) ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
          break;
        case Arith::kDiv: case Arith::kMod:
          if (y == 0) return Fail(kEvaluation, "Divide by zero error");
          if (x == std::numeric_limits<int64_t>::min() && y == -1) {
            if (op == Arith::kDiv) return Fail(kEvaluation, "Arithmetic overflow: Overflow happened on: " + std::to_string(x) + " / -1");
            v = 0;
            break;
          }
          v = op == Arith::kDiv ? x / y : x % y;
          // Division is checked: -128 / -1 in Int8 is an overflow error, not a wrapped value.
          if (op == Arith::kDiv && !InRange(v, range)) {
            return Fail(kEvaluation, "Arithmetic overflow: Overflow happened on: " + std::to_string(x) + " / " + std::to_string(y));
          }
          break;
      }
      if (!Wrap(&v, range)) return Fail(kUnsupported, "UInt64 result above 2^63-1 (not supported by filters)");
      result.ints[r] = v;
    }
    *out = std::move(result);
    return true;
  }

  bool NegateStep(std::size_t at, const Instruction& in, Vec* out) {
    if (in.a < 0 || static_cast<std::size_t>(in.a) >= at) return Fail(kMalformed, "bad operand");
    const Kind kind = registers_[static_cast<std::size_t>(in.a)].kind;
    if (kind == Kind::kFloat) {
      const Vec* a = Read(at, in.a);
      if (!a) return false;
      *out = *a;
      for (double& f : out->floats) f = -f;
      return true;
    }
    const Vec* a = Operand(at, in.a, Kind::kInt);
    if (!a || in.c < 0 || in.c > 7) return a ? Fail(kMalformed, "bad range") : false;
    *out = New(Kind::kInt);
    out->valid = a->valid;
    for (std::size_t r = 0; r < rows_; r++) {
      if (!a->valid[r]) continue;
      // Wrapping, as DataFusion: -(-128) in Int8 is -128.
      int64_t v = static_cast<int64_t>(0ULL - static_cast<uint64_t>(a->ints[r]));
      if (!Wrap(&v, static_cast<IntRange>(in.c))) return Fail(kEvaluation, "negation of an unsigned value");
      out->ints[r] = v;
    }
    return true;
  }

  bool CastIntStep(std::size_t at, const Instruction& in, Vec* out) {
    if (in.a < 0 || static_cast<std::size_t>(in.a) >= at || in.c < 0 || in.c > 7) return Fail(kMalformed, "bad cast");
    const Vec* operand = Read(at, in.a);
    if (!operand) return false;
    const Vec& a = *operand;
    const auto range = static_cast<IntRange>(in.c);
    *out = New(Kind::kInt);
    out->valid = a.valid;
    for (std::size_t r = 0; r < rows_; r++) {
      if (!a.valid[r]) continue;
      int64_t v;
      if (a.kind == Kind::kInt) {
        v = a.ints[r];
      } else if (a.kind == Kind::kFloat) {
        const double t = std::trunc(a.floats[r]);
        // 2^63 is the first double above the int64 range.
        if (!(t >= -9223372036854775808.0 && t < 9223372036854775808.0)) {
          return Fail(kEvaluation, "Cast error: Can't cast value " + std::to_string(a.floats[r]) + " to type " + RangeName(range));
        }
        v = static_cast<int64_t>(t);
      } else {
        return Fail(kMalformed, "cast of a non-number to an integer");
      }
      if (!InRange(v, range)) return Fail(kEvaluation, "Cast error: Can't cast value " + std::to_string(v) + " to type " + RangeName(range));
      out->ints[r] = v;
    }
    return true;
  }

  // Decodes one UTF-8 code point at s[i] (invalid bytes stand for themselves), advancing i.
  static uint32_t NextCodePoint(std::string_view s, std::size_t* i) {
    const auto c = static_cast<uint8_t>(s[*i]);
    const int length = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (*i + static_cast<std::size_t>(length) > s.size()) { ++*i; return c; }
    uint32_t cp = length == 1 ? c : length == 2 ? (c & 0x1F) : length == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < length; k++) cp = (cp << 6) | (static_cast<uint8_t>(s[*i + static_cast<std::size_t>(k)]) & 0x3F);
    *i += static_cast<std::size_t>(length);
    return cp;
  }

  static void AppendCodePoint(uint32_t cp, std::string* out) {
    if (cp < 0x80) { out->push_back(static_cast<char>(cp)); return; }
    if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    }
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }

  // Simple case mappings of ASCII, Latin-1, Greek and Cyrillic letters (the documented subset).
  static uint32_t MapCase(uint32_t cp, bool upper) {
    if (upper) {
      if (cp >= 'a' && cp <= 'z') return cp - 32;
      if (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7) return cp - 32;
      if (cp >= 0x3B1 && cp <= 0x3C9 && cp != 0x3C2) return cp - 32;
      if (cp >= 0x430 && cp <= 0x44F) return cp - 32;
      if (cp >= 0x450 && cp <= 0x45F) return cp - 80;
    } else {
      if (cp >= 'A' && cp <= 'Z') return cp + 32;
      if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 32;
      if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 32;
      if (cp >= 0x410 && cp <= 0x42F) return cp + 32;
      if (cp >= 0x400 && cp <= 0x40F) return cp + 80;
    }
    return cp;
  }

  static std::string ChangeCase(std::string_view s, bool upper) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) AppendCodePoint(MapCase(NextCodePoint(s, &i), upper), &out);
    return out;
  }

  bool CaseStep(std::size_t at, const Instruction& in, Vec* out) {
    const Vec* a = Operand(at, in.a, Kind::kString);
    if (!a) return false;
    Vec result = New(Kind::kString);
    result.valid = a->valid;
    result.owned.resize(rows_);
    for (std::size_t r = 0; r < rows_; r++) {
      if (!a->valid[r]) continue;
      result.owned[r] = ChangeCase(a->strings[r], in.op == Op::kUpper);
      result.strings[r] = result.owned[r];
    }
    *out = std::move(result);
    return true;
  }

  // LIKE with % (any run of characters), _ (one character) and \ escaping the next character.
  static bool Like(std::string_view text, std::string_view pattern) {
    std::vector<uint32_t> t, p;
    std::vector<bool> literal;
    for (std::size_t i = 0; i < text.size();) t.push_back(NextCodePoint(text, &i));
    for (std::size_t i = 0; i < pattern.size();) {
      uint32_t cp = NextCodePoint(pattern, &i);
      bool escaped = false;
      if (cp == '\\' && i < pattern.size()) {
        cp = NextCodePoint(pattern, &i);
        escaped = true;
      }
      p.push_back(cp);
      literal.push_back(escaped);
    }
    // Greedy matching with backtracking to the last %: linear in practice, O(n*m) at worst.
    std::size_t ti = 0, pi = 0, star = SIZE_MAX, mark = 0;
    while (ti < t.size()) {
      if (pi < p.size() && !literal[pi] && p[pi] == '%') { star = pi++; mark = ti; continue; }
      if (pi < p.size() && ((!literal[pi] && p[pi] == '_') || p[pi] == t[ti])) { pi++; ti++; continue; }
      if (star == SIZE_MAX) return false;
      pi = star + 1;
      ti = ++mark;
    }
    while (pi < p.size() && !literal[pi] && p[pi] == '%') pi++;
    return pi == p.size();
  }

  // A pattern whose only wildcard is %: its literal pieces, matched on bytes (UTF-8 keeps code points whole).
  struct PercentPattern {
    std::vector<std::string_view> pieces;  // split at every %
  };

  static bool OnlyPercent(std::string_view pattern) { return pattern.find_first_of("_\\") == std::string_view::npos; }

  // Pieces in order: the first anchored at the start, the last at the end, the middle ones found leftmost.
  static bool MatchPercent(std::string_view text, const PercentPattern& p) {
    const auto& pieces = p.pieces;
    if (pieces.size() == 1) return text == pieces[0];
    if (text.size() < pieces.front().size() || text.substr(0, pieces.front().size()) != pieces.front()) return false;
    std::size_t at = pieces.front().size();
    const std::string_view last = pieces.back();
    if (text.size() - at < last.size() || text.substr(text.size() - last.size()) != last) return false;
    const std::size_t end = text.size() - last.size();
    for (std::size_t i = 1; i + 1 < pieces.size(); i++) {
      if (pieces[i].empty()) continue;
      const std::size_t found = text.substr(0, end).find(pieces[i], at);
      if (found == std::string_view::npos) return false;
      at = found + pieces[i].size();
    }
    return true;
  }

  bool LikeStep(std::size_t at, const Instruction& in, Vec* out) {
    const Vec* a = Operand(at, in.a, Kind::kString);
    if (!a) return false;
    if (in.b < 0 || static_cast<std::size_t>(in.b) >= program_.strings.size()) return Fail(kMalformed, "bad pattern constant");
    const bool fold = in.c == 1;
    const std::string pattern = fold ? ChangeCase(program_.strings[static_cast<std::size_t>(in.b)], false) : program_.strings[static_cast<std::size_t>(in.b)];
    Vec result = New(Kind::kBool);
    result.valid = a->valid;
    if (!fold && OnlyPercent(pattern)) {
      PercentPattern percent;
      std::string_view rest(pattern);
      for (std::size_t cut; (cut = rest.find('%')) != std::string_view::npos; rest.remove_prefix(cut + 1)) percent.pieces.push_back(rest.substr(0, cut));
      percent.pieces.push_back(rest);
      for (std::size_t r = 0; r < rows_; r++) {
        if (a->valid[r]) result.bools[r] = MatchPercent(a->strings[r], percent);
      }
      *out = std::move(result);
      return true;
    }
    for (std::size_t r = 0; r < rows_; r++) {
      if (!a->valid[r]) continue;
      result.bools[r] = fold ? Like(ChangeCase(a->strings[r], false), pattern) : Like(a->strings[r], pattern);
    }
    *out = std::move(result);
    return true;
  }

  const FilterProgram& program_;
  const std::vector<FilterColumn>& columns_;
  const std::size_t rows_;
  std::vector<Vec> registers_;
  // Leaves declared but not yet filled (see Declare).
  std::vector<uint8_t> pending_;
  std::vector<std::size_t> last_use_;
  Failure failure_{FilterResult::Failure::kNone, ""};
};

}  // namespace

double SplitHash(const uint8_t* bytes, std::size_t length, int64_t seed) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (std::size_t i = 0; i < length; i++) h = (h ^ bytes[i]) * 0x100000001b3ULL;
  h ^= static_cast<uint64_t>(seed);
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

FilterResult EvaluateFilter(const FilterProgram& program, const std::vector<FilterColumn>& columns, std::size_t rows) {
  FilterResult fused;
  if (FusedFilter(program, columns, rows, &fused)) return fused;
  return Evaluator(program, columns, rows).Run();
}

ColumnResult EvaluateColumn(const FilterProgram& program, const std::vector<FilterColumn>& columns, std::size_t rows, ColumnType type) {
  return Evaluator(program, columns, rows).Values(type);
}

}  // namespace flightcache::core
