/**
 * The `tokenize` option of a load: which text column, which tokenizer (a Hugging Face tokenizer.json
 * or a tiktoken encoding) and what rows to make of each document's ids.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';

/** The tiktoken encodings the `tiktoken` package ships. */
export const TIKTOKEN_ENCODINGS = ['gpt2', 'r50k_base', 'p50k_base', 'p50k_edit', 'cl100k_base', 'o200k_base'] as const;
export type TiktokenEncodingName = (typeof TIKTOKEN_ENCODINGS)[number];

/** Where the tokenizer comes from: exactly one of the two. */
export type TokenizerSource = { readonly tokenizer: string } | { readonly tiktoken: TiktokenEncodingName };

/**
 * Rows made of the ids: `pack` joins documents (each ending with the end-of-sequence token) and cuts
 * rows of exactly maxLength; `truncate` keeps one row per document, cut at maxLength, `pad` pads it
 * to maxLength; `none` keeps each document's ids whole.
 */
export type TokenizeLayout = 'pack' | 'truncate' | 'pad' | 'none';

/** A validated `tokenize` option. */
export type TokenizeOptions = TokenizerSource & {
  readonly column: string;
  readonly maxLength: number;
  readonly layout: TokenizeLayout;
  /** Add the special tokens the tokenizer defines (post-processor; tiktoken: special-token text). */
  readonly specialTokens: boolean;
};

/** The largest row length accepted: a row of int32 ids stays far below a message limit. */
export const MAX_LENGTH_LIMIT = 1 << 20;

const USAGE =
  '"tokenize" must be {"column": "text", "tokenizer": "tokenizer.json path or s3:// URL" | "tiktoken": "cl100k_base", "max_length": L, "pack"?: true | "truncate"?: true, "pad"?: true, "special_tokens"?: true}';

function invalid(what: string): FlightError {
  return new FlightError(Code.INVALID_ARGUMENT, `${USAGE}; ${what}`);
}

/** Checks a load's `tokenize` option; INVALID_ARGUMENT naming what is wrong. */
export function parseTokenizeOptions(value: unknown): TokenizeOptions {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('it is not an object');
  const known = new Set(['column', 'tokenizer', 'tiktoken', 'max_length', 'pack', 'truncate', 'pad', 'special_tokens']);
  const unknown = Object.keys(value).find((k) => !known.has(k));
  if (unknown !== undefined) throw invalid(`unknown key "${unknown}"`);
  const { column, tokenizer, tiktoken, max_length: maxLength, pack = false, truncate = false, pad = false, special_tokens: specialTokens = true } = value as Record<string, unknown>;
  if (typeof column !== 'string' || column === '') throw invalid('"column" names the text column');
  if ((tokenizer === undefined) === (tiktoken === undefined)) throw invalid('give exactly one of "tokenizer" and "tiktoken"');
  if (tokenizer !== undefined && (typeof tokenizer !== 'string' || tokenizer === '')) throw invalid('"tokenizer" is a tokenizer.json path or s3:// URL');
  if (tiktoken !== undefined && !TIKTOKEN_ENCODINGS.includes(tiktoken as TiktokenEncodingName)) {
    throw invalid(`unknown tiktoken encoding ${JSON.stringify(tiktoken)} (known: ${TIKTOKEN_ENCODINGS.join(', ')})`);
  }
  if (typeof maxLength !== 'number' || !Number.isInteger(maxLength) || maxLength < 1 || maxLength > MAX_LENGTH_LIMIT) {
    throw invalid(`"max_length" must be an integer from 1 to ${MAX_LENGTH_LIMIT}`);
  }
  for (const [key, flag] of [['pack', pack], ['truncate', truncate], ['pad', pad], ['special_tokens', specialTokens]] as const) {
    if (typeof flag !== 'boolean') throw invalid(`"${key}" must be true or false`);
  }
  if (pack && (truncate || pad)) throw invalid('"pack" makes rows of exactly max_length: it takes no "truncate" or "pad"');
  if (pad && !truncate) throw invalid('"pad" needs "truncate" (a document longer than max_length fits no padded row)');
  const layout: TokenizeLayout = pack ? 'pack' : pad ? 'pad' : truncate ? 'truncate' : 'none';
  const source: TokenizerSource = tokenizer !== undefined ? { tokenizer: tokenizer as string } : { tiktoken: tiktoken as TiktokenEncodingName };
  return { ...source, column, maxLength, layout, specialTokens: specialTokens as boolean };
}

/** The JSON form of `options` that parseTokenizeOptions reads back (a coordinator passes it to its shards). */
export function tokenizeBody(options: TokenizeOptions): Record<string, unknown> {
  return {
    column: options.column,
    ...('tokenizer' in options ? { tokenizer: options.tokenizer } : { tiktoken: options.tiktoken }),
    max_length: options.maxLength,
    pack: options.layout === 'pack',
    truncate: options.layout === 'truncate' || options.layout === 'pad',
    pad: options.layout === 'pad',
    special_tokens: options.specialTokens,
  };
}
