import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Int32, Table, Utf8, tableToIPC, vectorFromArray } from 'apache-arrow';
import { readIpcMessages } from '../../../client/src/flight/protocol/ipc-message.js';
import { bindQuery, parseQueryText } from './plan.js';

const schema = readIpcMessages(
  tableToIPC(new Table({ n: vectorFromArray([1, 2], new Int32()), s: vectorFromArray(['a', 'b'], new Utf8()) }), 'stream'),
).schema;
const programOf = (filter: string) => bindQuery(parseQueryText({ filter }), schema).filter!.program;

test('an IN list of 1,000 values reads its column once and loads each constant once', () => {
  const values = Array.from({ length: 1000 }, (_, i) => i % 500);
  const program = programOf(`n IN (${values.join(', ')})`);
  const ops = Array.from({ length: program.code.length / 4 }, (_, i) => program.code[4 * i]!);
  assert.equal(ops.filter((op) => op === 1).length, 1, 'one column read');
  assert.equal(program.ints.length, 500, 'each distinct constant once');
  // One column read, 500 constants, 500 distinct comparisons, and the ORs joining the 1,000 items.
  assert.equal(ops.length, 1 + 500 + 500 + 999);
});

test('a subexpression written twice is computed once', () => {
  const once = programOf("lower(s) = 'a'");
  const twice = programOf("lower(s) = 'a' OR lower(s) = 'a'");
  assert.equal(twice.code.length, once.code.length + 4, 'only the OR is added');
  assert.deepEqual(twice.columns, [{ index: 1, path: [] }]);
});
