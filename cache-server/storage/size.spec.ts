import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { parseSize } from './size.js';

const EXPONENTS = { k: 1, m: 2, g: 3, t: 4 } as const;

function invalidSize(text: string): { code: Code; message: string } {
  return {
    code: Code.INVALID_ARGUMENT,
    message:
      `invalid size ${JSON.stringify(text)}: expected a number with an optional unit K, M, G or T ` +
      `(powers of 1024, optionally followed by B or iB), e.g. 4GiB, 512MB, 1g or 1073741824`,
  };
}

describe('parseSize', () => {
  it('reads the documented examples as powers of 1024', () => {
    assert.equal(parseSize('4GiB'), 4 * 2 ** 30);
    assert.equal(parseSize('512MB'), 512 * 2 ** 20);
    assert.equal(parseSize('1g'), 2 ** 30);
    assert.equal(parseSize('1073741824'), 1073741824);
    assert.equal(parseSize('2T'), 2 * 2 ** 40);
    assert.equal(parseSize('64kib'), 65536);
    assert.equal(parseSize('100B'), 100);
  });

  it('allows surrounding spaces and a space before the unit', () => {
    assert.equal(parseSize(' 4 GiB '), 4 * 2 ** 30);
  });

  it('rounds fractional sizes down to whole bytes', () => {
    assert.equal(parseSize('1.5g'), 1610612736);
    assert.equal(parseSize('0.3K'), 307);
  });

  it('rejects garbage with INVALID_ARGUMENT naming the input and the accepted units', () => {
    for (const text of ['', 'abc', '-1', '4 GiBs', '4iB', '1e9', '4X', '4 G B', '0x10', '.5G']) {
      assert.throws(() => parseSize(text), (err) => {
        assert.ok(err instanceof FlightError);
        assert.deepEqual({ code: err.code, message: err.message }, invalidSize(text));
        return true;
      });
    }
  });

  it('rejects sizes beyond 2^53-1 bytes', () => {
    assert.throws(() => parseSize('9000000T'), { code: Code.INVALID_ARGUMENT, message: 'invalid size "9000000T": more than 2^53-1 bytes' });
  });

  it('multiplies any whole number by 1024 to the power of its unit, whatever the case and suffix', () => {
    const unit = fc.tuple(fc.constantFrom('k', 'm', 'g', 't'), fc.constantFrom('', 'b', 'ib'), fc.boolean());
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8191 }), unit, (n, [letter, suffix, upper]) => {
        const text = `${n}${upper ? (letter + suffix).toUpperCase() : letter + suffix}`;
        assert.equal(parseSize(text), n * 1024 ** EXPONENTS[letter]);
      }),
    );
  });

  it('reads any safe integer without a unit as bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => {
        assert.equal(parseSize(String(n)), n);
        assert.equal(parseSize(`${n}B`), n);
      }),
    );
  });

  it('rejects any text that does not start with a digit', () => {
    fc.assert(
      fc.property(fc.string().filter((s) => !/^\s*\d/.test(s)), (text) => {
        assert.throws(() => parseSize(text), { code: Code.INVALID_ARGUMENT });
      }),
    );
  });
});
