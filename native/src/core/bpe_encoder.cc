#include "core/bpe_encoder.h"

#include <algorithm>
#include <array>
#include <limits>

namespace flightcache::core {
namespace {

struct CodePointRange {
  char32_t first;
  char32_t last;
};

#include "core/unicode_classes.inc"

constexpr char32_t kCodePoints = 0x110000;
constexpr std::uint32_t kNoRank = std::numeric_limits<std::uint32_t>::max();

// Two stages: a block of 256 classes per high part of the code point, equal blocks shared.
class ClassTable {
 public:
  ClassTable() {
    std::vector<CharClass> flat(kCodePoints, CharClass::kOther);
    auto mark = [&flat](const CodePointRange* ranges, std::size_t count, CharClass c) {
      for (std::size_t i = 0; i < count; ++i) std::fill(flat.begin() + ranges[i].first, flat.begin() + ranges[i].last + 1, c);
    };
    mark(kLetterRanges, std::size(kLetterRanges), CharClass::kLetter);
    mark(kNumberRanges, std::size(kNumberRanges), CharClass::kNumber);
    mark(kSpaceRanges, std::size(kSpaceRanges), CharClass::kSpace);
    for (char32_t high = 0; high < kCodePoints >> 8; ++high) {
      const auto block = flat.begin() + (high << 8);
      std::size_t found = blocks_.size() / 256;
      for (std::size_t b = 0; b < blocks_.size() / 256; ++b) {
        if (std::equal(block, block + 256, blocks_.begin() + b * 256)) {
          found = b;
          break;
        }
      }
      if (found == blocks_.size() / 256) blocks_.insert(blocks_.end(), block, block + 256);
      index_[high] = static_cast<std::uint16_t>(found);
    }
  }
  CharClass Of(char32_t cp) const { return cp < kCodePoints ? blocks_[(std::size_t{index_[cp >> 8]} << 8) | (cp & 0xFF)] : CharClass::kOther; }

 private:
  std::array<std::uint16_t, (kCodePoints >> 8)> index_{};
  std::vector<CharClass> blocks_;
};

const ClassTable& Classes() {
  static const ClassTable table;
  return table;
}

// ASCII classes, the common case, without the table.
constexpr std::array<CharClass, 128> AsciiClasses() {
  std::array<CharClass, 128> out{};
  for (int c = 0; c < 128; ++c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) out[c] = CharClass::kLetter;
    else if (c >= '0' && c <= '9') out[c] = CharClass::kNumber;
    else if (c == ' ' || (c >= 0x09 && c <= 0x0D)) out[c] = CharClass::kSpace;
    else out[c] = CharClass::kOther;
  }
  return out;
}
constexpr std::array<CharClass, 128> kAscii = AsciiClasses();

// The character at `text[at]`: its class and byte length. A byte that does not start a valid
// UTF-8 sequence is one character of class kOther.
struct Char {
  CharClass cls;
  std::size_t length;
};

Char CharAt(std::string_view text, std::size_t at) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data()) + at;
  const std::size_t left = text.size() - at;
  const unsigned char b0 = s[0];
  if (b0 < 0x80) return {kAscii[b0], 1};
  auto cont = [&](std::size_t i) { return i < left && (s[i] & 0xC0) == 0x80; };
  char32_t cp;
  std::size_t length;
  if (b0 >= 0xC2 && b0 <= 0xDF && cont(1)) {
    cp = ((b0 & 0x1Fu) << 6) | (s[1] & 0x3Fu);
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF && cont(1) && cont(2)) {
    cp = ((b0 & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
    length = 3;
    if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return {CharClass::kOther, 1};
  } else if (b0 >= 0xF0 && b0 <= 0xF4 && cont(1) && cont(2) && cont(3)) {
    cp = ((b0 & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
    length = 4;
    if (cp < 0x10000 || cp >= kCodePoints) return {CharClass::kOther, 1};
  } else {
    return {CharClass::kOther, 1};
  }
  return {Classes().Of(cp), length};
}

// The end of the run of characters of class `cls` that starts at `at`.
std::size_t RunEnd(std::string_view text, std::size_t at, CharClass cls) {
  while (at < text.size()) {
    const Char c = CharAt(text, at);
    if (c.cls != cls) break;
    at += c.length;
  }
  return at;
}

// The length of the contraction ('s 't 're 've 'm 'll 'd) at `at`, or 0; `any_case` as (?i:...)
// matches it, where "'S" and "'ſ" (long s, which folds to s) count too.
std::size_t ContractionAt(std::string_view text, std::size_t at, bool any_case) {
  if (text[at] != '\'' || at + 1 >= text.size()) return 0;
  auto is = [&](std::size_t i, char lower) { return i < text.size() && (text[i] == lower || (any_case && text[i] == lower - 'a' + 'A')); };
  const std::size_t next = at + 1;
  if (is(next, 's') || is(next, 't') || is(next, 'm') || is(next, 'd')) return 2;
  if (any_case && text.compare(next, 2, "\xc5\xbf") == 0) return 3;
  if ((is(next, 'r') && is(next + 1, 'e')) || (is(next, 'v') && is(next + 1, 'e')) || (is(next, 'l') && is(next + 1, 'l'))) return 3;
  return 0;
}

// The end of the run of space characters that starts at `at`, and where its last character starts.
struct SpaceRun {
  std::size_t end;
  std::size_t last;
};

SpaceRun SpacesFrom(std::string_view text, std::size_t at) {
  SpaceRun run{at, at};
  while (run.end < text.size()) {
    const Char c = CharAt(text, run.end);
    if (c.cls != CharClass::kSpace) break;
    run.last = run.end;
    run.end += c.length;
  }
  return run;
}

// "\s+(?!\S)|\s+" over the spaces at `at`: all of them at the end of the text, else all but the
// last, which starts the next piece; a single space before a non-space is a piece of its own.
std::size_t TrailingSpacesEnd(std::string_view text, std::size_t at) {
  const SpaceRun run = SpacesFrom(text, at);
  if (run.end == text.size()) return run.end;
  return run.last > at ? run.last : run.end;
}

// The end of GPT-2's regex match at `at` (leftmost-first alternation, as fancy-regex matches it):
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
std::size_t Gpt2PieceEnd(std::string_view text, std::size_t at) {
  if (const std::size_t n = ContractionAt(text, at, false)) return at + n;
  const Char first = CharAt(text, at);
  if (first.cls != CharClass::kSpace) return RunEnd(text, at + first.length, first.cls);
  if (text[at] == ' ' && at + 1 < text.size()) {
    // " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": a space then one run of a non-space class.
    const Char next = CharAt(text, at + 1);
    if (next.cls != CharClass::kSpace) return RunEnd(text, at + 1 + next.length, next.cls);
  }
  return TrailingSpacesEnd(text, at);
}

bool IsLineBreak(char c) { return c == '\r' || c == '\n'; }

// The end of the run of \r and \n at `at`.
std::size_t LineBreaksEnd(std::string_view text, std::size_t at) {
  while (at < text.size() && IsLineBreak(text[at])) ++at;
  return at;
}

// The end of cl100k_base's regex match at `at`:
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
std::size_t Cl100kPieceEnd(std::string_view text, std::size_t at) {
  if (const std::size_t n = ContractionAt(text, at, true)) return at + n;
  const Char first = CharAt(text, at);
  if (first.cls == CharClass::kLetter) return RunEnd(text, at + first.length, CharClass::kLetter);
  const std::size_t second = at + first.length;
  const bool before_letter = second < text.size() && CharAt(text, second).cls == CharClass::kLetter;
  if (first.cls != CharClass::kNumber && !IsLineBreak(text[at]) && before_letter) return RunEnd(text, second, CharClass::kLetter);
  if (first.cls == CharClass::kNumber) {
    std::size_t end = second;
    for (int digits = 1; digits < 3 && end < text.size(); ++digits) {
      const Char c = CharAt(text, end);
      if (c.cls != CharClass::kNumber) break;
      end += c.length;
    }
    return end;
  }
  if (first.cls == CharClass::kOther) return LineBreaksEnd(text, RunEnd(text, second, CharClass::kOther));
  if (text[at] == ' ' && second < text.size()) {
    const Char next = CharAt(text, second);
    if (next.cls == CharClass::kOther) return LineBreaksEnd(text, RunEnd(text, second + next.length, CharClass::kOther));
  }
  // "\s*[\r\n]+": the spaces up to and including the run's last line break, when it has one.
  const SpaceRun run = SpacesFrom(text, at);
  for (std::size_t i = run.end; i > at; --i) {
    if (IsLineBreak(text[i - 1])) return i;
  }
  return TrailingSpacesEnd(text, at);
}

std::uint64_t Hash(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : bytes) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return h ^ (h >> 29);
}

}  // namespace

CharClass ClassOf(char32_t cp) { return Classes().Of(cp); }

std::unique_ptr<BpeEncoder> BpeEncoder::Create(Pattern pattern, const std::vector<TokenRank>& ranks, const std::vector<TokenRank>& specials,
                                               std::string* error) {
  std::unique_ptr<BpeEncoder> encoder(new BpeEncoder());
  encoder->pattern_ = pattern;
  std::size_t capacity = 16;
  while (capacity < ranks.size() * 2) capacity <<= 1;
  encoder->slots_.assign(capacity, Slot{0, 0, -1});
  encoder->mask_ = capacity - 1;
  encoder->pair_ranks_.assign(1 << 16, -1);
  std::size_t total = 0;
  for (const TokenRank& t : ranks) total += t.bytes.size();
  encoder->bytes_.reserve(total);
  std::array<bool, 256> single{};
  for (const TokenRank& t : ranks) {
    if (t.bytes.empty() || t.rank < 0 || t.rank == std::numeric_limits<std::int32_t>::max()) {
      *error = "a token is empty or its rank is out of range";
      return nullptr;
    }
    if (!encoder->Insert(t.bytes, t.rank)) {
      *error = "a token's bytes are given twice (rank " + std::to_string(t.rank) + ")";
      return nullptr;
    }
    if (t.bytes.size() == 1) single[static_cast<unsigned char>(t.bytes[0])] = true;
    if (t.bytes.size() == 2) encoder->pair_ranks_[(static_cast<unsigned char>(t.bytes[0]) << 8) | static_cast<unsigned char>(t.bytes[1])] = t.rank;
  }
  if (!std::all_of(single.begin(), single.end(), [](bool b) { return b; })) {
    *error = "not every single byte is a token";
    return nullptr;
  }
  for (const TokenRank& s : specials) {
    if (s.bytes.empty()) {
      *error = "a special token is empty";
      return nullptr;
    }
    encoder->specials_.emplace_back(std::string(s.bytes), s.rank);
  }
  return encoder;
}

bool BpeEncoder::Insert(std::string_view bytes, std::int32_t rank) {
  for (std::size_t i = Hash(bytes) & mask_;; i = (i + 1) & mask_) {
    Slot& slot = slots_[i];
    if (slot.rank < 0) {
      slot = Slot{static_cast<std::uint32_t>(bytes_.size()), static_cast<std::uint32_t>(bytes.size()), rank};
      bytes_.append(bytes);
      return true;
    }
    if (std::string_view(bytes_).substr(slot.offset, slot.length) == bytes) return false;
  }
}

std::int32_t BpeEncoder::Find(std::string_view bytes) const {
  for (std::size_t i = Hash(bytes) & mask_;; i = (i + 1) & mask_) {
    const Slot& slot = slots_[i];
    if (slot.rank < 0) return -1;
    if (slot.length == bytes.size() && std::string_view(bytes_).substr(slot.offset, slot.length) == bytes) return slot.rank;
  }
}

// tiktoken's _byte_pair_merge: merge the adjacent parts whose joined bytes have the lowest rank
// (leftmost first) until no joined pair is a token; each part left is one id.
void BpeEncoder::EncodePiece(std::string_view piece, std::vector<std::int32_t>& out) const {
  struct Part {
    std::size_t start;
    std::uint32_t rank;
  };
  std::vector<Part> parts;
  parts.reserve(piece.size() + 1);
  auto as_rank = [](std::int32_t r) { return r < 0 ? kNoRank : static_cast<std::uint32_t>(r); };
  for (std::size_t i = 0; i + 1 < piece.size(); ++i) {
    parts.push_back({i, as_rank(pair_ranks_[(static_cast<unsigned char>(piece[i]) << 8) | static_cast<unsigned char>(piece[i + 1])])});
  }
  parts.push_back({piece.size() - 1, kNoRank});
  parts.push_back({piece.size(), kNoRank});
  auto rank_after_merge = [&](std::size_t i) {
    return i + 3 < parts.size() ? as_rank(Find(piece.substr(parts[i].start, parts[i + 3].start - parts[i].start))) : kNoRank;
  };
  for (;;) {
    std::uint32_t min_rank = kNoRank;
    std::size_t at = 0;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      if (parts[i].rank < min_rank) {
        min_rank = parts[i].rank;
        at = i;
      }
    }
    if (min_rank == kNoRank) break;
    if (at > 0) parts[at - 1].rank = rank_after_merge(at - 1);
    parts[at].rank = rank_after_merge(at);
    parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(at) + 1);
  }
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) out.push_back(Find(piece.substr(parts[i].start, parts[i + 1].start - parts[i].start)));
}

void BpeEncoder::EncodeOrdinary(std::string_view text, std::vector<std::int32_t>& out) const {
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = pattern_ == Pattern::kGpt2 ? Gpt2PieceEnd(text, at) : Cl100kPieceEnd(text, at);
    const std::string_view piece = text.substr(at, end - at);
    const std::int32_t whole = piece.size() == 2 ? pair_ranks_[(static_cast<unsigned char>(piece[0]) << 8) | static_cast<unsigned char>(piece[1])] : Find(piece);
    if (whole >= 0) out.push_back(whole);
    else EncodePiece(piece, out);
    at = end;
  }
}

void BpeEncoder::Encode(std::string_view text, bool special_tokens, std::vector<std::int32_t>& out) const {
  if (!special_tokens || specials_.empty()) {
    EncodeOrdinary(text, out);
    return;
  }
  // The next occurrence of each special token at or after `at` (npos: none left).
  std::vector<std::size_t> next(specials_.size());
  for (std::size_t s = 0; s < specials_.size(); ++s) next[s] = text.find(specials_[s].first);
  for (std::size_t at = 0;;) {
    std::size_t best = specials_.size();
    for (std::size_t s = 0; s < specials_.size(); ++s) {
      if (next[s] != std::string_view::npos && next[s] < at) next[s] = text.find(specials_[s].first, at);
      if (next[s] == std::string_view::npos) continue;
      if (best == specials_.size() || next[s] < next[best] || (next[s] == next[best] && specials_[s].first.size() > specials_[best].first.size())) best = s;
    }
    if (best == specials_.size()) {
      EncodeOrdinary(text.substr(at), out);
      return;
    }
    EncodeOrdinary(text.substr(at, next[best] - at), out);
    out.push_back(specials_[best].second);
    at = next[best] + specials_[best].first.size();
  }
}

}  // namespace flightcache::core
