import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, test } from 'node:test';
import fc from 'fast-check';
import type { Tiktoken } from 'tiktoken';
import { bpeEncode, bpeOpen } from '../../native/lib/addon.js';
import { openTokenizer, utf8Documents } from './text-tokenizer.js';
import { openNativeTiktoken, type NativeTiktoken } from './tokenize-bpe.js';

// The reference: tiktoken's own Rust core (the npm package's WebAssembly build) with the same ranks.
const { get_encoding } = createRequire(import.meta.url)('tiktoken') as typeof import('tiktoken');
const references = new Map<string, Tiktoken>();
const natives = new Map<string, NativeTiktoken>();

after(() => {
  for (const reference of references.values()) reference.free();
});

type Native = 'gpt2' | 'p50k_edit' | 'cl100k_base';

function tiktokenIds(name: Native, text: string, specialTokens: boolean): number[] {
  if (!references.has(name)) references.set(name, get_encoding(name));
  const enc = references.get(name)!;
  return [...(specialTokens ? enc.encode(text, 'all') : enc.encode_ordinary(text))];
}

function nativeIds(name: Native, texts: readonly string[], specialTokens: boolean): number[][] {
  if (!natives.has(name)) natives.set(name, openNativeTiktoken(name)!);
  const { ids, offsets } = natives.get(name)!.encode(utf8Documents(texts), specialTokens);
  return texts.map((_, i) => [...ids.subarray(offsets[i]!, offsets[i + 1]!)]);
}

// Pieces that meet every branch of the pre-tokenizers: contractions in any case and apostrophes,
// letter, digit and other runs in several scripts, each kind of white space and line break, and
// special-token text.
const pieces = fc.constantFrom(
  "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'RE", "'Ll", "'ſ", 'ſ', "'", "''", 'don', '12345', '(', ')\n', '!\r\n', ' \n ', '\t\n', 'The', 'naïve', 'é', 'e\u0301', 'ﬁ', 'Ⅻ', '½', '٣', '東京', 'ß', 'Σ',
  '0', '42', '1,000', ' ', '  ', '   ', '\t', '\n', '\r\n', '\n\n', '\u00a0', '\u3000', '\u2028', '\u0085', '\u180e', '\u200b', '!', '...', '--',
  '(c)', '@', '👩🏽\u200d💻', '🇫🇷', '\u0000', '\u0007', '\ufffd', '<|endoftext|>', '<|fim_prefix|>', '<|endoftext', '<|', 'ॐ', 'مرحبا',
);
const texts = fc.oneof(
  fc.array(pieces, { maxLength: 24 }).map((parts) => parts.join('')),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

for (const name of ['gpt2', 'p50k_edit', 'cl100k_base'] as const) {
  for (const specialTokens of [true, false]) {
    test(`${name} in the native core gives tiktoken's ids for any text (special tokens ${specialTokens ? 'as tokens' : 'as text'})`, () => {
      fc.assert(
        fc.property(fc.array(texts, { minLength: 1, maxLength: 8 }), (docs) => {
          assert.deepEqual(nativeIds(name, docs, specialTokens), docs.map((text) => tiktokenIds(name, text, specialTokens)));
        }),
        { numRuns: 300 },
      );
    });
  }
}

for (const name of ['gpt2', 'cl100k_base'] as const) {
  test(`every code point is classed as tiktoken classes it: letters, digits, spaces and others around it (${name})`, () => {
    // Contexts where a letter, digit, space or other character splits or joins differently, for each
    // code point of the Basic Multilingual Plane and the supplementary planes' letters and digits.
    const points: number[] = [];
    for (let cp = 0; cp < 0x30000; cp++) if (cp < 0xd800 || cp > 0xdfff) points.push(cp);
    const docs = points.map((cp) => {
      const c = String.fromCodePoint(cp);
      return `é${c}1 ${c}${c}!${c}'s${c}\n${c} ${c}  ${c}x`;
    });
    const got = nativeIds(name, docs, true);
    const wrong = points.filter((_, i) => got[i]!.join(',') !== tiktokenIds(name, docs[i]!, true).join(','));
    assert.deepEqual(wrong.map((cp) => cp.toString(16)), []);
  });
}

test('bytes that are not UTF-8 are U+FFFD to the native tokenizer, as a decoded Arrow string has them', async () => {
  const tokenizer = openTokenizer({ tiktoken: 'gpt2' }, true);
  // The second pair splits "é" (c3 a9) between two documents: the bytes together are UTF-8, each document's are not.
  const data = new Uint8Array([0x61, 0xff, 0x62, 0x20, 0xc3, 0x28, 0xe2, 0x82, 0x20, 0x63, 0x78, 0xc3, 0xa9, 0x79]);
  const bounds = [0, 3, 10, 12, 14];
  const { ids, offsets } = await tokenizer.encode({ data, offsets: new Int32Array(bounds) });
  const decoded = bounds.slice(1).map((end, i) => new TextDecoder().decode(data.subarray(bounds[i], end)));
  assert.deepEqual(decoded.map((_, i) => [...ids.subarray(offsets[i]!, offsets[i + 1]!)]), decoded.map((text) => tiktokenIds('gpt2', text, true)));
  tokenizer.close();
});

test('an encoding whose pre-tokenizer the native core lacks (o200k_base) does not open natively', () => {
  assert.equal(openNativeTiktoken('o200k_base'), undefined);
});

test('bpeOpen and bpeEncode refuse bad arguments with TypeError or RangeError naming them', () => {
  const one = new Int32Array([1]);
  assert.throws(() => bpeOpen('gpt2', new Uint8Array([1, 2]), one, new Int32Array([0]), new Uint8Array(0), new Int32Array(0), new Int32Array(0)), {
    name: 'RangeError',
    message: 'bpeOpen(pattern, tokens, lengths, ranks, specials, specialLengths, specialRanks): the lengths of tokens do not cover their bytes',
  });
  assert.throws(() => bpeOpen('gpt2', new Uint8Array([1]), one, new Int32Array([0]), new Uint8Array(0), new Int32Array(0), new Int32Array(0)), {
    name: 'RangeError',
    message: 'bpeOpen(pattern, tokens, lengths, ranks, specials, specialLengths, specialRanks): not every single byte is a token',
  });
  assert.throws(() => bpeOpen('o200k' as never, new Uint8Array(0), new Int32Array(0), new Int32Array(0), new Uint8Array(0), new Int32Array(0), new Int32Array(0)), {
    name: 'TypeError',
    message: 'bpeOpen(pattern, tokens, lengths, ranks, specials, specialLengths, specialRanks): pattern must be "gpt2" or "cl100k"',
  });
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  const encoder = bpeOpen('gpt2', bytes, new Int32Array(256).fill(1), Int32Array.from({ length: 256 }, (_, i) => i), new Uint8Array(0), new Int32Array(0), new Int32Array(0));
  assert.deepEqual(bpeEncode(encoder, new Uint8Array([104, 105]), new Int32Array([0, 1, 2]), true), { ids: new Int32Array([104, 105]), offsets: new Int32Array([0, 1, 2]) });
  assert.throws(() => bpeEncode(encoder, new Uint8Array([104, 105]), new Int32Array([0, 3]), true), {
    name: 'RangeError',
    message: "bpeEncode(encoder, text, offsets, specialTokens): offsets must rise from 0 to at most the text's length; offsets[1] is 3",
  });
  assert.throws(() => bpeEncode({} as never, new Uint8Array(0), new Int32Array([0]), true), {
    name: 'TypeError',
    message: 'bpeEncode(encoder, text, offsets, specialTokens): encoder must be a handle from bpeOpen, got object',
  });
});
