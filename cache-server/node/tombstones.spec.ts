import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../../client/src/flight/errors.js';
import { Tombstones } from './tombstones.js';

test('tombstones record each put once and list them sorted', () => {
  const tombstones = new Tombstones();
  assert.deepEqual(tombstones.record(JSON.stringify({ puts: ['b#0f', 'a#12'] })), { recorded: 2, total: 2 });
  assert.deepEqual(tombstones.record(JSON.stringify({ puts: ['a#12', 'a#9'] })), { recorded: 1, total: 3 });
  assert.deepEqual(tombstones.list(), ['a#12', 'a#9', 'b#0f']);
});

test('a tombstone body that is not {"puts": ["dataset#nonce", ...]} is INVALID_ARGUMENT and records nothing', () => {
  const tombstones = new Tombstones();
  for (const body of ['', 'null', '{}', '{"puts": []}', '{"puts": ["no-nonce"]}', '{"puts": ["a#XYZ"]}', '{"puts": ["#12"]}', '{"puts": [1]}', '{"puts": "a#12"}']) {
    assert.throws(() => tombstones.record(body), {
      code: Code.INVALID_ARGUMENT,
      message: 'tombstone needs a JSON body {"puts": ["dataset#nonce", ...]} naming at least one put',
    }, body);
  }
  assert.deepEqual(tombstones.list(), []);
});
