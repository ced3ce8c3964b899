import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { parseLoadRequest } from './load-request.js';
import { parseTokenizeOptions, tokenizeBody } from './tokenize-options.js';

const rejects = (value: unknown, message: RegExp): void =>
  assert.throws(() => parseTokenizeOptions(value), (err: unknown) => err instanceof FlightError && err.code === Code.INVALID_ARGUMENT && message.test(err.message));

test('parseTokenizeOptions reads the layout from pack, truncate and pad; special tokens default on', () => {
  assert.deepEqual(parseTokenizeOptions({ column: 'text', tiktoken: 'cl100k_base', max_length: 8 }), { tiktoken: 'cl100k_base', column: 'text', maxLength: 8, layout: 'none', specialTokens: true });
  assert.equal(parseTokenizeOptions({ column: 't', tokenizer: '/x.json', max_length: 8, pack: true }).layout, 'pack');
  assert.equal(parseTokenizeOptions({ column: 't', tokenizer: '/x.json', max_length: 8, truncate: true }).layout, 'truncate');
  assert.equal(parseTokenizeOptions({ column: 't', tokenizer: '/x.json', max_length: 8, truncate: true, pad: true, special_tokens: false }).layout, 'pad');
});

test('tokenizeBody is what parseTokenizeOptions reads back, for every layout', () => {
  for (const flags of [{ pack: true }, { truncate: true }, { truncate: true, pad: true }, {}]) {
    const options = parseTokenizeOptions({ column: 'text', tokenizer: '/t.json', max_length: 32, special_tokens: false, ...flags });
    assert.deepEqual(parseTokenizeOptions(tokenizeBody(options)), options);
  }
});

test('parseTokenizeOptions rejects bad options with what is wrong', () => {
  rejects('x', /it is not an object$/);
  rejects({ column: 'text', tiktoken: 'gpt2', max_length: 8, packed: true }, /unknown key "packed"$/);
  rejects({ tiktoken: 'gpt2', max_length: 8 }, /"column" names the text column$/);
  rejects({ column: 'text', max_length: 8 }, /give exactly one of "tokenizer" and "tiktoken"$/);
  rejects({ column: 'text', tokenizer: '/a', tiktoken: 'gpt2', max_length: 8 }, /give exactly one of "tokenizer" and "tiktoken"$/);
  rejects({ column: 'text', tiktoken: 'cl99k', max_length: 8 }, /unknown tiktoken encoding "cl99k" \(known: gpt2, r50k_base, p50k_base, p50k_edit, cl100k_base, o200k_base\)$/);
  rejects({ column: 'text', tiktoken: 'gpt2', max_length: 1.5 }, /"max_length" must be an integer from 1 to 1048576$/);
  rejects({ column: 'text', tiktoken: 'gpt2', max_length: 8, pack: 'yes' }, /"pack" must be true or false$/);
  rejects({ column: 'text', tiktoken: 'gpt2', max_length: 8, pack: true, truncate: true }, /"pack" makes rows of exactly max_length: it takes no "truncate" or "pad"$/);
  rejects({ column: 'text', tiktoken: 'gpt2', max_length: 8, pad: true }, /"pad" needs "truncate"/);
});

test('a load request carries tokenize; packing keeps no other column', () => {
  const tokenize = { column: 'text', tiktoken: 'gpt2', max_length: 8, pack: true };
  assert.deepEqual(parseLoadRequest(JSON.stringify({ name: 'n', source: '/d', options: { columns: ['text'], tokenize } })).tokenize, parseTokenizeOptions(tokenize));
  assert.throws(
    () => parseLoadRequest(JSON.stringify({ name: 'n', source: '/d', options: { columns: ['text', 'label'], tokenize } })),
    { code: Code.INVALID_ARGUMENT, message: 'packed rows hold several documents: "columns" can name only the text column "text" with "pack"' },
  );
});
