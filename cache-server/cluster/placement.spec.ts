import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placeReplicas } from './placement.js';
import { Code } from '../../client/src/flight/errors.js';

const four = ['shard-a', 'shard-b', 'shard-c', 'shard-d'];
const keys = Array.from({ length: 10_000 }, (_, i) => `dataset/${i}`);

test('placement is deterministic and returns r distinct members', () => {
  for (const key of keys.slice(0, 200)) {
    const first = placeReplicas(key, four, 3);
    assert.deepEqual(placeReplicas(key, four, 3), first);
    assert.equal(first.length, 3);
    assert.equal(new Set(first).size, 3);
    for (const member of first) assert.ok(four.includes(member));
  }
});

test('placement does not depend on the order members are listed in', () => {
  const reversed = [...four].reverse();
  const rotated = [...four.slice(2), ...four.slice(0, 2)];
  for (const key of keys.slice(0, 200)) {
    const expected = placeReplicas(key, four, 4);
    assert.deepEqual(placeReplicas(key, reversed, 4), expected);
    assert.deepEqual(placeReplicas(key, rotated, 4), expected);
  }
});

test('fewer replicas are a prefix of more replicas', () => {
  for (const key of keys.slice(0, 200)) {
    const all = placeReplicas(key, four, 4);
    assert.deepEqual(placeReplicas(key, four, 1), all.slice(0, 1));
    assert.deepEqual(placeReplicas(key, four, 2), all.slice(0, 2));
  }
});

test('each of 4 members is first choice for 25% +- 3% of 10k keys', () => {
  const firsts = new Map<string, number>();
  for (const key of keys) {
    const [first] = placeReplicas(key, four, 1);
    firsts.set(first!, (firsts.get(first!) ?? 0) + 1);
  }
  assert.deepEqual([...firsts.keys()].sort(), four);
  for (const [member, count] of firsts) {
    assert.ok(count >= 2200 && count <= 2800, `${member} is first for ${count} of 10000 keys`);
  }
});

test('adding a fifth member moves about a fifth of the keys, all of them to the new member', () => {
  const five = [...four, 'shard-e'];
  let moved = 0;
  for (const key of keys) {
    const [before] = placeReplicas(key, four, 1);
    const [after] = placeReplicas(key, five, 1);
    if (before !== after) {
      moved++;
      assert.equal(after, 'shard-e');
    }
  }
  const fraction = moved / keys.length;
  assert.ok(fraction >= 0.15 && fraction <= 0.25, `moved fraction ${fraction}`);
});

test('duplicate member ids count once', () => {
  assert.deepEqual(placeReplicas('k', ['x', 'x', 'y'], 2).sort(), ['x', 'y']);
  assert.throws(() => placeReplicas('k', ['x', 'x'], 2), { code: Code.UNAVAILABLE });
});

test('asking for more replicas than members is UNAVAILABLE', () => {
  assert.throws(() => placeReplicas('ds/0', ['a', 'b'], 3), {
    code: Code.UNAVAILABLE,
    message: '3 replicas needed for "ds/0" but only 2 members are known',
  });
  assert.throws(() => placeReplicas('ds/0', [], 1), {
    code: Code.UNAVAILABLE,
    message: '1 replica needed for "ds/0" but only 0 members are known',
  });
});

test('a replica count below 1 or not an integer is INVALID_ARGUMENT', () => {
  assert.throws(() => placeReplicas('k', four, 0), { code: Code.INVALID_ARGUMENT, message: 'the replica count must be an integer >= 1, got 0' });
  assert.throws(() => placeReplicas('k', four, 1.5), { code: Code.INVALID_ARGUMENT, message: 'the replica count must be an integer >= 1, got 1.5' });
});
