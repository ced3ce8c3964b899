import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allows, describeScopes, parseScopes } from './scopes.js';
import { Code } from '../../client/src/flight/errors.js';

test('patterns cover every dataset ("*"), a prefix ("train*") or one name; the default dataset only "*"', () => {
  assert.deepEqual(['train', 'train-2', 'eval', 'trai'].map((name) => allows(['train*'], name)), [true, true, false, false]);
  assert.deepEqual(['train', 'train-2'].map((name) => allows(['train'], name)), [true, false]);
  assert.equal(allows(['*'], 'anything'), true);
  assert.equal(allows([], 'train'), false);
  assert.deepEqual([allows(['*'], undefined), allows(['train*', 'eval'], undefined)], [true, false]);
});

test('scopes parse from a credentials-file entry with defaults none and no admin, and describe themselves', () => {
  const scopes = parseScopes({ read: ['a*'] }, 'user "x"');
  assert.deepEqual(scopes, { read: ['a*'], write: [], admin: false });
  assert.equal(describeScopes({ read: ['a*', 'b'], write: [], admin: true }), 'read [a*, b], write [], admin');
  assert.throws(() => parseScopes({ write: 'train' }, 'user "x"'), {
    code: Code.INVALID_ARGUMENT,
    message: 'user "x": "write" must be a list of dataset names or patterns ("*", "prefix*")',
  });
  assert.throws(() => parseScopes({ admin: 'yes' }, 'user "x"'), { code: Code.INVALID_ARGUMENT, message: 'user "x": "admin" must be true or false' });
});
