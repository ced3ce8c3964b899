import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../../client/src/flight/errors.js';
import { PreparedStatements } from './prepared-statements.js';

const UNKNOWN = 'unknown prepared statement handle: it was closed, or never created on this server by this user';

test('a statement is found by its handle for its user only, until closed', () => {
  const statements = new PreparedStatements();
  const handle = statements.create('SELECT a FROM t', 'ada');
  assert.deepStrictEqual(statements.get(handle, 'ada'), { query: 'SELECT a FROM t', user: 'ada' });
  assert.throws(() => statements.get(handle, 'bob'), { code: Code.NOT_FOUND, message: UNKNOWN });
  assert.throws(() => statements.close(handle, 'bob'), { code: Code.NOT_FOUND, message: UNKNOWN });
  statements.close(handle, 'ada');
  assert.throws(() => statements.get(handle, 'ada'), { code: Code.NOT_FOUND, message: UNKNOWN });
  assert.equal(statements.size, 0);
});

test('handles are distinct and opaque', () => {
  const statements = new PreparedStatements();
  const a = new TextDecoder().decode(statements.create('SELECT a FROM t', ''));
  const b = new TextDecoder().decode(statements.create('SELECT a FROM t', ''));
  assert.match(a, /^[0-9a-f]{32}$/);
  assert.notEqual(a, b);
});

test('past the limit of open statements, creating one is RESOURCE_EXHAUSTED until one is closed', () => {
  const statements = new PreparedStatements(2);
  const first = statements.create('SELECT a FROM t', 'ada');
  statements.create('SELECT b FROM t', 'ada');
  assert.throws(() => statements.create('SELECT c FROM t', 'ada'), {
    code: Code.RESOURCE_EXHAUSTED,
    message: '2 prepared statements are open: close some (ClosePreparedStatement) before preparing more',
  });
  statements.close(first, 'ada');
  statements.create('SELECT c FROM t', 'ada');
  assert.equal(statements.size, 2);
});
