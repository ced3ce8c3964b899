/**
 * tiktoken encodings in the native core (native/src/core/bpe_encoder.h): the ranks and special
 * tokens of the encoding file the `tiktoken` package ships, encoded in C++ with the pre-tokenizer
 * regex written out by hand. Encodings with GPT-2's regex (gpt2, r50k_base, p50k_base, p50k_edit) or
 * cl100k_base's open here; o200k_base stays on tiktoken's WebAssembly build (text-tokenizer.ts).
 */
import { createRequire } from 'node:module';
import { bpeEncode, bpeOpen, type BpeEncoderHandle, type BpePattern } from '../../native/lib/addon.js';
import type { EncodedBatch, Utf8Documents } from './text-tokenizer.js';

const require = createRequire(import.meta.url);

/** The pre-tokenizer regexes the native encoder implements, as tiktoken's encoding files write them. */
const PATTERNS: ReadonlyMap<string, BpePattern> = new Map([
  ["'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+", 'gpt2'],
  ["(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+", 'cl100k'],
]);

/** An encoding file of the `tiktoken` package. */
interface EncodingFile {
  readonly pat_str: string;
  readonly special_tokens: Record<string, number>;
  /** Lines of "<label> <first rank> <base64 token> <base64 token> ...", ranks counting up. */
  readonly bpe_ranks: string;
}

/** Tokens as bpeOpen takes them: bytes back to back, each one's length and id. */
function packTokens(tokens: ReadonlyArray<readonly [Uint8Array, number]>): [Uint8Array, Int32Array, Int32Array] {
  const bytes = new Uint8Array(tokens.reduce((sum, [t]) => sum + t.length, 0));
  const lengths = new Int32Array(tokens.length);
  const ranks = new Int32Array(tokens.length);
  let at = 0;
  tokens.forEach(([token, rank], i) => {
    bytes.set(token, at);
    at += token.length;
    lengths[i] = token.length;
    ranks[i] = rank;
  });
  return [bytes, lengths, ranks];
}

function ranksOf(file: EncodingFile): Array<[Uint8Array, number]> {
  const tokens: Array<[Uint8Array, number]> = [];
  for (const line of file.bpe_ranks.split('\n')) {
    if (line === '') continue;
    const parts = line.split(' ');
    const first = Number(parts[1]);
    for (let i = 2; i < parts.length; i++) tokens.push([Buffer.from(parts[i]!, 'base64'), first + i - 2]);
  }
  return tokens;
}

/** A native encoder of one tiktoken encoding. */
export interface NativeTiktoken {
  /** The id of `<|endoftext|>`. */
  readonly eos: number;
  encode(docs: Utf8Documents, specialTokens: boolean): EncodedBatch;
}

/** The native encoder of tiktoken encoding `name`, or undefined when the native core lacks its pre-tokenizer. */
export function openNativeTiktoken(name: string): NativeTiktoken | undefined {
  const file = require(`tiktoken/encoders/${name}.json`) as EncodingFile;
  const pattern = PATTERNS.get(file.pat_str);
  if (pattern === undefined) return undefined;
  const specials = Object.entries(file.special_tokens).map(([text, id]): [Uint8Array, number] => [Buffer.from(text, 'utf8'), id]);
  const encoder: BpeEncoderHandle = bpeOpen(pattern, ...packTokens(ranksOf(file)), ...packTokens(specials));
  const eos = file.special_tokens['<|endoftext|>'];
  if (eos === undefined) throw new Error(`tiktoken encoding ${name} has no <|endoftext|>`);
  return { eos, encode: (docs, specialTokens) => bpeEncode(encoder, docs.data, docs.offsets, specialTokens) };
}
