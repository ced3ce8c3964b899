import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FlightError } from '../../../client/src/flight/errors.js';
import { parseQueryText } from './plan.js';

const TOKENS = ['SELECT', '*', 'FROM', 't', 'WHERE', 'a', '(', ')', ',', "'x'", '1', '1e999', 'AND', 'OR', 'NOT', 'IN', 'LIKE', 'JOIN', 'ON', 'GROUP', 'BY', 'LIMIT', '::', 'CAST', 'AS', 'INT', '--', '/*', ';', '$1', '?', 'TABLESAMPLE', 'BERNOULLI', 'REPEATABLE', 'OVER', 'WITH', '"q"', '.', '[', ']'];

test('arbitrary text and token soups as "sql" or "filter" parse or fail with a FlightError, and the parser keeps working', () => {
  const text = fc.oneof(fc.string({ maxLength: 200 }), fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }).map((t) => t.join(' ')));
  fc.assert(
    fc.property(text, fc.boolean(), (input, asSql) => {
      try {
        parseQueryText(asSql ? { sql: input } : { filter: input });
      } catch (error) {
        assert.ok(error instanceof FlightError, `${JSON.stringify(input)} threw ${String(error)}`);
      }
    }),
    { numRuns: 5000 },
  );
  assert.equal(parseQueryText({ sql: 'SELECT a FROM t WHERE a > 1 LIMIT 2' }).limit, 2);
});
