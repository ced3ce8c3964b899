// tiktoken's byte-pair encoding, with the encoding's pre-tokenizer regex written out by hand: GPT-2's
// (gpt2, r50k_base, p50k_base, p50k_edit) or cl100k_base's (bpe_encoder.cc spells both out).
// Ids are tiktoken's: the same leftmost-first pieces, the same merge order (lowest rank first, the
// leftmost of equal ranks), special tokens found as tiktoken finds them.
#ifndef FLIGHTCACHE_CORE_BPE_ENCODER_H_
#define FLIGHTCACHE_CORE_BPE_ENCODER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace flightcache::core {

// The pre-tokenizer's character classes: \p{L}, \p{N}, \s (White_Space), and everything else.
enum class CharClass : std::uint8_t { kOther, kLetter, kNumber, kSpace };

// The class of code point `cp` (0 to 0x10FFFF).
CharClass ClassOf(char32_t cp);

// The pre-tokenizer regexes written out.
enum class Pattern : std::uint8_t { kGpt2, kCl100k };

// One token: its bytes and its id.
struct TokenRank {
  std::string_view bytes;
  std::int32_t rank;
};

class BpeEncoder {
 public:
  // An encoder over `ranks` (each byte sequence once, ids 0 to 2^31-2) and `specials` (special-token
  // text and id) that splits text by `pattern`; null with `error` set when a token is empty, repeated
  // or a single byte is missing.
  static std::unique_ptr<BpeEncoder> Create(Pattern pattern, const std::vector<TokenRank>& ranks, const std::vector<TokenRank>& specials,
                                            std::string* error);

  // Appends the ids of UTF-8 `text` to `out`. With `special_tokens`, special-token text is its
  // special id (tiktoken `encode(text, allowed_special="all")`), else plain text (`encode_ordinary`).
  // Bytes that are not UTF-8 count as one "other" character each (callers pass valid UTF-8).
  void Encode(std::string_view text, bool special_tokens, std::vector<std::int32_t>& out) const;

 private:
  struct Slot {
    std::uint32_t offset;
    std::uint32_t length;
    std::int32_t rank;  // -1: empty slot
  };

  BpeEncoder() = default;
  bool Insert(std::string_view bytes, std::int32_t rank);
  std::int32_t Find(std::string_view bytes) const;  // -1 when absent
  void EncodeOrdinary(std::string_view text, std::vector<std::int32_t>& out) const;
  void EncodePiece(std::string_view piece, std::vector<std::int32_t>& out) const;

  Pattern pattern_ = Pattern::kGpt2;
  std::string bytes_;            // every token's bytes, back to back
  std::vector<Slot> slots_;      // open addressing, a power of two long
  std::size_t mask_ = 0;
  std::vector<std::int32_t> pair_ranks_;  // rank of each two-byte token, by (first << 8 | second)
  std::vector<std::pair<std::string, std::int32_t>> specials_;
};

}  // namespace flightcache::core

#endif  // FLIGHTCACHE_CORE_BPE_ENCODER_H_
