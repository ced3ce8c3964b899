/**
 * One tokenizer, as each tokenize worker holds it: a Hugging Face tokenizer.json through the
 * `tokenizers` package (Hugging Face's Rust library as a Node addon, the same code as Python's
 * `tokenizers`), or a tiktoken encoding: in the native core for the encodings whose pre-tokenizer it
 * has (tokenize-bpe.ts), else through the `tiktoken` package (tiktoken's Rust core in WebAssembly);
 * both with the encodings' ranks the package ships. Why: docs/tokenize.md.
 */
import { isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';
import type { Tokenizer as HfTokenizer } from 'tokenizers';
import type { Tiktoken } from 'tiktoken';
import { openNativeTiktoken } from './tokenize-bpe.js';
import type { TokenizerSource } from './tokenize-options.js';

// Both packages are CommonJS with native or WASM parts: loaded with require.
const require = createRequire(import.meta.url);

/** Documents' ids, concatenated, with offsets[i]..offsets[i+1] the ids of document i. */
export interface EncodedBatch {
  readonly ids: Int32Array;
  readonly offsets: Int32Array;
}

/** Documents as UTF-8: document i is data[offsets[i]..offsets[i+1]]. */
export interface Utf8Documents {
  readonly data: Uint8Array;
  readonly offsets: Int32Array;
}

/** What the loader needs of a tokenizer. */
export interface TextTokenizer {
  /** The id that ends each packed document; undefined when the tokenizer defines none. */
  readonly eos: number | undefined;
  /** The id padded rows are filled with. */
  readonly pad: number;
  encode(docs: Utf8Documents): Promise<EncodedBatch>;
  close(): void;
}

/** End-of-sequence tokens looked for in a tokenizer.json, in this order ([SEP] ends BERT's documents). */
const EOS_TOKENS = ['<|endoftext|>', '</s>', '<eos>', '<|end_of_text|>', '[SEP]'];
const PAD_TOKENS = ['[PAD]', '<pad>', '<|padding|>'];

// Bytes that are not UTF-8 decode to U+FFFD, as Arrow's string columns decode.
const decoder = new TextDecoder();

/** The documents as strings. */
function decodeAll({ data, offsets }: Utf8Documents): string[] {
  return Array.from({ length: offsets.length - 1 }, (_, i) => decoder.decode(data.subarray(offsets[i]!, offsets[i + 1]!)));
}

function concat(docs: ArrayLike<number>[]): EncodedBatch {
  const offsets = new Int32Array(docs.length + 1);
  for (let i = 0; i < docs.length; i++) offsets[i + 1] = offsets[i]! + docs[i]!.length;
  const ids = new Int32Array(offsets[docs.length]!);
  docs.forEach((doc, i) => ids.set(doc, offsets[i]!));
  return { ids, offsets };
}

function hfTokenizer(path: string, specialTokens: boolean): TextTokenizer {
  const { Tokenizer } = require('tokenizers') as typeof import('tokenizers');
  const tok: HfTokenizer = Tokenizer.fromFile(path);
  // Rows are cut and padded by the loader's layout, not by a padding or truncation the file sets.
  tok.disablePadding();
  tok.disableTruncation();
  const idOf = (tokens: readonly string[]): number | undefined => tokens.map((t) => tok.tokenToId(t)).find((id): id is number => id !== null && id !== undefined);
  const eos = idOf(EOS_TOKENS);
  return {
    eos,
    pad: idOf(PAD_TOKENS) ?? eos ?? 0,
    async encode(docs) {
      const encodings = await tok.encodeBatch(decodeAll(docs), { addSpecialTokens: specialTokens });
      return concat(encodings.map((e) => e.getIds()));
    },
    close() {},
  };
}

/** `texts` as UTF-8 documents. */
export function utf8Documents(texts: readonly string[]): Utf8Documents {
  const encoder = new TextEncoder();
  const parts = texts.map((text) => encoder.encode(text));
  const offsets = new Int32Array(parts.length + 1);
  parts.forEach((part, i) => (offsets[i + 1] = offsets[i]! + part.length));
  const data = new Uint8Array(offsets[parts.length]!);
  parts.forEach((part, i) => data.set(part, offsets[i]!));
  return { data, offsets };
}

/** Valid UTF-8 for the native encoder: bytes that are not UTF-8 become U+FFFD, as they do when each document is decoded. */
function wellFormed(docs: Utf8Documents): Utf8Documents {
  const { data, offsets } = docs;
  for (let i = 0; i + 1 < offsets.length; i++) {
    if (!isUtf8(data.subarray(offsets[i]!, offsets[i + 1]!))) return utf8Documents(decodeAll(docs));
  }
  return docs;
}

function tiktokenTokenizer(name: string, specialTokens: boolean): TextTokenizer {
  const native = openNativeTiktoken(name);
  if (native) {
    return {
      eos: native.eos,
      pad: native.eos,
      encode: async (docs) => native.encode(wellFormed(docs), specialTokens),
      close() {},
    };
  }
  const { get_encoding } = require('tiktoken') as typeof import('tiktoken');
  const enc: Tiktoken = get_encoding(name as Parameters<typeof get_encoding>[0]);
  const eos = enc.encode_single_token(new TextEncoder().encode('<|endoftext|>'));
  return {
    eos,
    pad: eos,
    async encode(docs) {
      return concat(decodeAll(docs).map((t) => (specialTokens ? enc.encode(t, 'all') : enc.encode_ordinary(t))));
    },
    close: () => enc.free(),
  };
}

/** Opens the tokenizer `source` names (a local tokenizer.json or a tiktoken encoding). */
export function openTokenizer(source: TokenizerSource, specialTokens: boolean): TextTokenizer {
  return 'tokenizer' in source ? hfTokenizer(source.tokenizer, specialTokens) : tiktokenTokenizer(source.tiktoken, specialTokens);
}
