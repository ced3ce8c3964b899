// Tests of the byte-pair encoder alone (core/bpe_encoder.h) over a small vocabulary: the pieces of
// GPT-2's and cl100k_base's pre-tokenizers, tiktoken's merge order, special tokens, bytes that are not UTF-8 and the
// character classes; built and run (under the sanitizers) by native/lib/core.spec.ts.
#include <cstdio>
#include <string>
#include <vector>

#include "core/bpe_encoder.h"
#include "check.h"

using flightcache::core::BpeEncoder;
using flightcache::core::CharClass;
using flightcache::core::ClassOf;
using flightcache::core::Pattern;
using flightcache::core::TokenRank;
using flightcache::test::Check;

namespace {

// Every byte is a token whose id is its value; then the merged tokens below.
const std::vector<std::pair<std::string, int>> kMerged = {{"ab", 256}, {"abc", 257}, {" y", 258}, {"'s", 259}, {"it", 260}, {"  ", 261}, {"bc", 262}, {"123", 263}, {"45", 264}, {"'S", 265}, {"(ab", 266}};

std::unique_ptr<BpeEncoder> Encoder(Pattern pattern = Pattern::kGpt2) {
  static std::string bytes(256, '\0');
  for (int b = 0; b < 256; ++b) bytes[b] = static_cast<char>(b);
  std::vector<TokenRank> ranks;
  for (int b = 0; b < 256; ++b) ranks.push_back({std::string_view(bytes).substr(b, 1), b});
  for (const auto& [text, id] : kMerged) ranks.push_back({text, id});
  std::string error;
  auto encoder = BpeEncoder::Create(pattern, ranks, {{"<|e|>", 300}}, &error);
  Check(encoder != nullptr && error.empty(), "the test vocabulary opens");
  return encoder;
}

std::vector<std::int32_t> Ids(const BpeEncoder& encoder, std::string_view text, bool special = true) {
  std::vector<std::int32_t> out;
  encoder.Encode(text, special, out);
  return out;
}

void TestPiecesAndMerges() {
  const auto encoder = Encoder();
  Check(Ids(*encoder, "abc") == std::vector<std::int32_t>{257}, "a piece that is a token is that token");
  // "abcbc": ab(256) merges before bc(262); then ab+c is "abc"(257), ranked before the last bc.
  Check(Ids(*encoder, "abcbc") == std::vector<std::int32_t>{257, 262}, "the lowest-ranked pair merges first, again after each merge");
  Check(Ids(*encoder, "abab") == std::vector<std::int32_t>{256, 256}, "equal ranks merge leftmost first");
  Check(Ids(*encoder, "x  y") == std::vector<std::int32_t>{'x', ' ', 258}, "a space run leaves its last space to the next word");
  Check(Ids(*encoder, "x   ") == std::vector<std::int32_t>{'x', 261, ' '}, "spaces at the end stay one piece");
  Check(Ids(*encoder, "x\n y") == std::vector<std::int32_t>{'x', '\n', 258}, "a newline before ' y' is a piece of its own");
  Check(Ids(*encoder, "it's") == std::vector<std::int32_t>{260, 259}, "a contraction is a piece");
  Check(Ids(*encoder, "!'s") == std::vector<std::int32_t>{'!', '\'', 's'}, "an apostrophe inside a punctuation run is no contraction");
  Check(Ids(*encoder, "a1!").size() == 3, "letters, digits and others are separate pieces");
  Check(Ids(*encoder, "").empty(), "empty text has no ids");
}

void TestCl100kPieces() {
  const auto gpt2 = Encoder();
  const auto cl100k = Encoder(Pattern::kCl100k);
  Check(Ids(*cl100k, "12345") == std::vector<std::int32_t>{263, 264}, "cl100k: digits go in threes");
  Check(Ids(*gpt2, "12345") == std::vector<std::int32_t>{'1', '2', '3', 264}, "gpt2: a digit run is one piece, merged as a whole");
  Check(Ids(*cl100k, "'S") == std::vector<std::int32_t>{265}, "cl100k: contractions in any case");
  Check(Ids(*gpt2, "'S") == std::vector<std::int32_t>{'\'', 'S'}, "gpt2: contractions in lower case only");
  Check(Ids(*cl100k, "(ab") == std::vector<std::int32_t>{266}, "cl100k: one other character joins the letters after it");
  Check(Ids(*cl100k, "x\n\n y") == std::vector<std::int32_t>{'x', '\n', '\n', 258}, "cl100k: spaces up to the last line break are a piece");
  Check(Ids(*cl100k, "!!\n\nab") == std::vector<std::int32_t>{'!', '!', '\n', '\n', 256}, "cl100k: line breaks join the punctuation before them");
}

void TestSpecialTokens() {
  const auto encoder = Encoder();
  Check(Ids(*encoder, "a<|e|>b<|e|>") == std::vector<std::int32_t>{'a', 300, 'b', 300}, "special-token text is its id");
  Check(Ids(*encoder, "a<|e|>b", false) == std::vector<std::int32_t>{'a', '<', '|', 'e', '|', '>', 'b'}, "without special tokens it is text");
}

void TestBytesThatAreNotUtf8() {
  const auto encoder = Encoder();
  Check(Ids(*encoder, "\xff\xfe y") == std::vector<std::int32_t>{0xff, 0xfe, 258}, "stray bytes are one run of other characters");
  Check(Ids(*encoder, "a\xe2\x82") == std::vector<std::int32_t>{'a', 0xe2, 0x82}, "a sequence cut at the end is read within the text");
  Check(Ids(*encoder, "\xed\xa0\x80") == std::vector<std::int32_t>{0xed, 0xa0, 0x80}, "an encoded surrogate is three other characters");
}

void TestClasses() {
  Check(ClassOf(U'a') == CharClass::kLetter && ClassOf(0x4E00) == CharClass::kLetter, "letters");
  Check(ClassOf(U'7') == CharClass::kNumber && ClassOf(0x0663) == CharClass::kNumber && ClassOf(0x216B) == CharClass::kNumber, "numbers");
  Check(ClassOf(0x3000) == CharClass::kSpace && ClassOf(0x85) == CharClass::kSpace && ClassOf(0x200B) == CharClass::kOther, "White_Space");
  Check(ClassOf(0x088E) == CharClass::kLetter && ClassOf(0x088F) == CharClass::kOther && ClassOf(0x10940) == CharClass::kOther,
        "letters new in Unicode 17 are not letters in 16.0");
  Check(ClassOf(0x10FFFF) == CharClass::kOther && ClassOf(0x110000) == CharClass::kOther, "the last code point and beyond");
}

void TestCreateErrors() {
  std::string error;
  Check(BpeEncoder::Create(Pattern::kGpt2, {{"a", 0}}, {}, &error) == nullptr && error == "not every single byte is a token", "a missing byte is refused");
  std::vector<TokenRank> twice;
  static std::string bytes(256, '\0');
  for (int b = 0; b < 256; ++b) bytes[b] = static_cast<char>(b);
  for (int b = 0; b < 256; ++b) twice.push_back({std::string_view(bytes).substr(b, 1), b});
  twice.push_back({"a", 999});
  Check(BpeEncoder::Create(Pattern::kGpt2, twice, {}, &error) == nullptr && error == "a token's bytes are given twice (rank 999)", "a repeated token is refused");
}

}  // namespace

int main() {
  TestPiecesAndMerges();
  TestCl100kPieces();
  TestSpecialTokens();
  TestBytesThatAreNotUtf8();
  TestClasses();
  TestCreateErrors();
  if (flightcache::test::failures > 0) return 1;
  std::printf("bpe tests passed\n");
  return 0;
}
