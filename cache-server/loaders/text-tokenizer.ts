/**
 * One tokenizer, as each tokenize worker holds it: a Hugging Face tokenizer.json through the
 * `tokenizers` package (Hugging Face's Rust library as a Node addon, the same code as Python's
 * `tokenizers`), or a tiktoken encoding through the `tiktoken` package (tiktoken's Rust core in
 * WebAssembly, with the encodings' ranks it ships). Why these two: docs/tokenize.md.
 */
import { createRequire } from 'node:module';
import type { Tokenizer as HfTokenizer } from 'tokenizers';
import type { Tiktoken } from 'tiktoken';
import type { TokenizerSource } from './tokenize-options.js';

// Both packages are CommonJS with native or WASM parts: loaded with require.
const require = createRequire(import.meta.url);

/** Documents' ids, concatenated, with offsets[i]..offsets[i+1] the ids of document i. */
export interface EncodedBatch {
  readonly ids: Int32Array;
  readonly offsets: Int32Array;
}

/** What the loader needs of a tokenizer. */
export interface TextTokenizer {
  /** The id that ends each packed document; undefined when the tokenizer defines none. */
  readonly eos: number | undefined;
  /** The id padded rows are filled with. */
  readonly pad: number;
  encode(texts: readonly string[]): Promise<EncodedBatch>;
  close(): void;
}

/** End-of-sequence tokens looked for in a tokenizer.json, in this order ([SEP] ends BERT's documents). */
const EOS_TOKENS = ['<|endoftext|>', '</s>', '<eos>', '<|end_of_text|>', '[SEP]'];
const PAD_TOKENS = ['[PAD]', '<pad>', '<|padding|>'];

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
    async encode(texts) {
      const encodings = await tok.encodeBatch([...texts], { addSpecialTokens: specialTokens });
      return concat(encodings.map((e) => e.getIds()));
    },
    close() {},
  };
}

function tiktokenTokenizer(name: string, specialTokens: boolean): TextTokenizer {
  const { get_encoding } = require('tiktoken') as typeof import('tiktoken');
  const enc: Tiktoken = get_encoding(name as Parameters<typeof get_encoding>[0]);
  const eos = enc.encode_single_token(new TextEncoder().encode('<|endoftext|>'));
  return {
    eos,
    pad: eos,
    async encode(texts) {
      return concat(texts.map((t) => (specialTokens ? enc.encode(t, 'all') : enc.encode_ordinary(t))));
    },
    close: () => enc.free(),
  };
}

/** Opens the tokenizer `source` names (a local tokenizer.json or a tiktoken encoding). */
export function openTokenizer(source: TokenizerSource, specialTokens: boolean): TextTokenizer {
  return 'tokenizer' in source ? hfTokenizer(source.tokenizer, specialTokens) : tiktokenTokenizer(source.tiktoken, specialTokens);
}
