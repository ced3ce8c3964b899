// JavaScript entry points of the byte-pair encoder (core/bpe_encoder.h): thin glue that validates.
#ifndef FLIGHTCACHE_BINDING_BPE_H_
#define FLIGHTCACHE_BINDING_BPE_H_

#include <napi.h>

namespace flightcache::binding {

// bpeOpen(pattern: "gpt2" | "cl100k", tokens: Uint8Array, lengths: Int32Array, ranks: Int32Array,
//         specials: Uint8Array, specialLengths: Int32Array, specialRanks: Int32Array): an encoder
// handle splitting text with that encoding's pre-tokenizer regex. The tokens'
// bytes lie back to back in `tokens`, token i `lengths[i]` long with id `ranks[i]`; the same for
// the special tokens. RangeError when the lengths do not add up or the ranks are unusable.
Napi::Value BpeOpen(const Napi::CallbackInfo& info);

// bpeEncode(encoder, text: Uint8Array, offsets: Int32Array, specialTokens: boolean):
// { ids: Int32Array, offsets: Int32Array } — document i is text[offsets[i]..offsets[i+1]] (UTF-8);
// its ids are ids[out.offsets[i]..out.offsets[i+1]].
Napi::Value BpeEncode(const Napi::CallbackInfo& info);

}  // namespace flightcache::binding

#endif  // FLIGHTCACHE_BINDING_BPE_H_
