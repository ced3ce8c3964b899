import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeTicket, encodeTicket } from './ticket.js';
import { Code, FlightError } from '../flight/errors.js';

test('a ticket decodes to the dataset it was issued for', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1 }), (dataset) => {
      assert.deepEqual(decodeTicket(encodeTicket({ dataset })), { dataset });
    }),
  );
});

test('arbitrary bytes are rejected with INVALID_ARGUMENT, never another error', () => {
  fc.assert(
    fc.property(fc.uint8Array(), (bytes) => {
      try {
        decodeTicket(bytes);
      } catch (err) {
        assert.ok(err instanceof FlightError);
        assert.equal(err.code, Code.INVALID_ARGUMENT);
      }
    }),
  );
});

test('a bare dataset name is a malformed ticket that says where tickets come from', () => {
  assert.throws(() => decodeTicket(Buffer.from('flights')), {
    code: Code.INVALID_ARGUMENT,
    message: 'malformed ticket (7 bytes): not a flightcache ticket; get tickets from GetFlightInfo',
  });
});

test('a ticket of another version is rejected naming both versions', () => {
  assert.throws(() => decodeTicket(Buffer.from('{"v":2,"dataset":"a"}')), {
    code: Code.INVALID_ARGUMENT,
    message: 'unsupported ticket version 2 (this node issues version 1)',
  });
});

test('a ranged ticket decodes to its dataset, range and share', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1 }), fc.nat(1000), fc.nat(1000), fc.nat(100), fc.integer({ min: 1, max: 64 }), (dataset, a, b, p, world) => {
      const range = { from: Math.min(a, b), to: Math.max(a, b) };
      const share = { world, rank: p % world, position: p, batches: range.to + 3, rows: 5 };
      assert.deepEqual(decodeTicket(encodeTicket({ dataset, range, share })), { dataset, range, share });
    }),
  );
});

test('a range that runs backwards is rejected', () => {
  assert.throws(() => decodeTicket(Buffer.from('{"v":1,"dataset":"a","range":{"from":3,"to":2}}')), {
    code: Code.INVALID_ARGUMENT,
    message: 'malformed ticket: "range" must be {"from":F,"to":T} with 0 <= F <= T',
  });
});

test('a ticket with columns decodes to the same column indices in the same order', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.nat(200), { minLength: 1, maxLength: 20 }), (columns) => {
      assert.deepEqual(decodeTicket(encodeTicket({ dataset: 'd', columns })), { dataset: 'd', columns });
    }),
  );
});

test('column lists that are empty, repeat an index or hold non-indices are rejected', () => {
  for (const c of ['[]', '[1,1]', '[-1]', '["a"]', '2']) {
    assert.throws(() => decodeTicket(Buffer.from(`{"v":1,"dataset":"a","c":${c}}`)), {
      code: Code.INVALID_ARGUMENT,
      message: 'malformed ticket: "c" must list distinct column indices',
    });
  }
});
