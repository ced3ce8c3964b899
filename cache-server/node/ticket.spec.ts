import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeTicket, encodeTicket, type TicketRequest } from './ticket.js';
import { Code, FlightError } from '../../client/src/flight/errors.js';

const share = fc
  .record({ world: fc.integer({ min: 1, max: 1024 }), rank: fc.nat(), position: fc.maxSafeNat(), options: fc.nat(0xffffffff), batches: fc.maxSafeNat(), rows: fc.maxSafeNat() })
  .map((s) => ({ ...s, rank: s.rank % s.world }));
const runs = fc.array(
  fc.tuple(fc.nat(1 << 20), fc.integer({ min: 1, max: 1000 })).map(([from, length]) => ({ from, to: from + length })),
  { maxLength: 8 },
);
/** Ticket requests as GetFlightInfo issues them: batch runs always come with a share, and a skip only with runs. */
const tickets: fc.Arbitrary<TicketRequest> = fc
  .record(
    {
      dataset: fc.string({ minLength: 1, unit: 'binary' }),
      global: fc.string({ minLength: 1 }),
      offset: fc.maxSafeNat(),
      ranged: fc.record({ runs, share, skip: fc.option(fc.integer({ min: 1, max: 1 << 20 }), { nil: undefined }) }),
      columns: fc.uniqueArray(fc.nat(200), { minLength: 1, maxLength: 20 }),
      shuffle: fc.record({ seed: fc.maxSafeNat(), epoch: fc.maxSafeNat() }, { noNullPrototype: true }),
      batchRows: fc.integer({ min: 1, max: 1 << 24 }),
      queried: fc.record(
        { query: fc.oneof(fc.record({ sql: fc.string() }, { noNullPrototype: true }), fc.record({ filter: fc.string() }, { noNullPrototype: true })), queryLimit: fc.nat() },
        { requiredKeys: ['query'] },
      ),
    },
    { requiredKeys: ['dataset'] },
  )
  .map(({ ranged, queried, ...rest }) => ({
    ...rest,
    ...(ranged ? { runs: ranged.runs, share: ranged.share, ...(ranged.skip ? { skip: ranged.skip } : {}) } : {}),
    ...(queried ?? {}),
  }));

/** A ticket of this JSON body. */
const raw = (body: unknown): Uint8Array => Buffer.from(JSON.stringify(body));
const ranged = { v: 2, dataset: 'a', b: [[0, 3]], share: { w: 2, r: 1, p: 0, o: 0, n: 7, m: 70 } };

test('a ticket decodes to exactly what was encoded', () => {
  fc.assert(
    fc.property(tickets, (ticket) => {
      assert.deepEqual(decodeTicket(encodeTicket(ticket)), ticket);
    }),
  );
});

test('the wire form is version 2 JSON with short field names', () => {
  const ticket: TicketRequest = {
    dataset: 'd.p1',
    global: 'd',
    offset: 3,
    runs: [
      { from: 0, to: 2 },
      { from: 4, to: 5 },
    ],
    skip: 6,
    share: { world: 2, rank: 1, position: 4, options: 9, batches: 7, rows: 70 },
    columns: [2, 0],
    shuffle: { seed: 7, epoch: 1 },
    batchRows: 100,
  };
  assert.deepEqual(JSON.parse(Buffer.from(encodeTicket(ticket)).toString()), {
    v: 2,
    dataset: 'd.p1',
    g: 'd',
    o: 3,
    b: [
      [0, 2],
      [4, 5],
    ],
    k: 6,
    share: { w: 2, r: 1, p: 4, o: 9, n: 7, m: 70 },
    c: [2, 0],
    s: [7, 1],
    br: 100,
  });
  assert.deepEqual(JSON.parse(Buffer.from(encodeTicket({ dataset: 'd' })).toString()), { v: 2, dataset: 'd' });
});

test('arbitrary bytes and JSON are rejected with INVALID_ARGUMENT, never another error', () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array(), fc.json().map((json) => Buffer.from(json))), (bytes) => {
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
  assert.throws(() => decodeTicket(raw({ v: 1, dataset: 'a' })), {
    code: Code.INVALID_ARGUMENT,
    message: 'unsupported ticket version 1 (this node issues version 2)',
  });
  assert.throws(() => decodeTicket(raw({ dataset: 'a' })), {
    code: Code.INVALID_ARGUMENT,
    message: 'unsupported ticket version undefined (this node issues version 2)',
  });
});

test('malformed fields are rejected with a message naming the field', () => {
  const cases: Array<[unknown, string]> = [
    [[1], 'expected a JSON object'],
    ['a', 'expected a JSON object'],
    [{ v: 2 }, '"dataset" must be a non-empty string'],
    [{ v: 2, dataset: '' }, '"dataset" must be a non-empty string'],
    [{ v: 2, dataset: 'a', g: '' }, '"g" must be a dataset name'],
    [{ v: 2, dataset: 'a', g: 1 }, '"g" must be a dataset name'],
    [{ v: 2, dataset: 'a', o: -1 }, '"o" must be a batch index'],
    [{ v: 2, dataset: 'a', o: 0.5 }, '"o" must be a batch index'],
    [{ ...ranged, b: [[3, 3]] }, '"b" must list runs [from, to) with from < to'],
    [{ ...ranged, b: [[3, 2]] }, '"b" must list runs [from, to) with from < to'],
    [{ ...ranged, b: [[1]] }, '"b" must list runs [from, to) with from < to'],
    [{ ...ranged, b: [[-1, 2]] }, '"b" must list runs [from, to) with from < to'],
    [{ ...ranged, b: { from: 0, to: 1 } }, '"b" must list runs [from, to) with from < to'],
    [{ ...ranged, share: undefined }, 'a ticket with batch runs needs a valid "share"'],
    [{ ...ranged, share: { ...ranged.share, r: 2 } }, 'a ticket with batch runs needs a valid "share"'],
    [{ ...ranged, share: { ...ranged.share, w: 0, r: 0 } }, 'a ticket with batch runs needs a valid "share"'],
    [{ ...ranged, share: { ...ranged.share, o: undefined } }, 'a ticket with batch runs needs a valid "share"'],
    [{ ...ranged, share: { ...ranged.share, m: -1 } }, 'a ticket with batch runs needs a valid "share"'],
    [{ v: 2, dataset: 'a', k: 3 }, '"k" must be a row count, with batch runs'],
    [{ ...ranged, k: -3 }, '"k" must be a row count, with batch runs'],
    [{ ...ranged, s: [1] }, '"s" must be [seed, epoch]'],
    [{ ...ranged, s: [1, -1] }, '"s" must be [seed, epoch]'],
    [{ ...ranged, s: { seed: 1, epoch: 0 } }, '"s" must be [seed, epoch]'],
    [{ ...ranged, br: 0 }, '"br" must be a positive row count'],
    [{ ...ranged, br: 1.5 }, '"br" must be a positive row count'],
  ];
  for (const [body, why] of cases) {
    assert.throws(() => decodeTicket(raw(body)), { code: Code.INVALID_ARGUMENT, message: `malformed ticket: ${why}; get tickets from GetFlightInfo` }, JSON.stringify(body));
  }
});

test('a query other than {"sql": text} or {"filter": text} is a malformed ticket', () => {
  for (const q of [{}, { sql: 1 }, { sql: 'a', filter: 'b' }, 'SELECT 1', { where: 'a' }]) {
    assert.throws(() => decodeTicket(raw({ v: 2, dataset: 'a', q })), (e: FlightError) =>
      e.code === Code.INVALID_ARGUMENT && e.message === 'malformed ticket: "q" must be {"sql": text} or {"filter": text}; get tickets from GetFlightInfo');
  }
});

test('column lists that are empty, repeat an index or hold non-indices are rejected', () => {
  for (const c of ['[]', '[1,1]', '[-1]', '["a"]', '2']) {
    assert.throws(() => decodeTicket(Buffer.from(`{"v":2,"dataset":"a","c":${c}}`)), {
      code: Code.INVALID_ARGUMENT,
      message: 'malformed ticket: "c" must list distinct column indices; get tickets from GetFlightInfo',
    });
  }
});
