import assert from 'node:assert/strict';
import { test } from 'node:test';

import { conditionsOf, conditionsText, differingKeys, headlineNote, likeForLikePairs, pairsTable, type Compared } from './pairs.js';

const KEYS = ['workers', 'shuffled'];
const ours: Compared[] = [
  { name: 'fc-w0', median: 10, conditions: { workers: 0, shuffled: false } },
  { name: 'fc-w2', median: 1, conditions: { workers: 2, shuffled: false } },
  { name: 'fc-w2-shuffled', median: 0.5, conditions: { workers: 2, shuffled: true } },
];
const peers: Compared[] = [
  { name: 'pq', median: 5, conditions: { workers: 0, shuffled: false } },
  { name: 'pq-w2', median: 2, conditions: { workers: 2, shuffled: false } },
  { name: 'ray', median: 1, conditions: { workers: 'ray', shuffled: false } },
  { name: 'pq-w2-zero', median: 0, conditions: { workers: 2, shuffled: false } },
];

test('likeForLikePairs pairs each of ours only with peers run under the same workers and shuffling', () => {
  assert.deepEqual(likeForLikePairs(ours, peers, KEYS), [
    { ours: 'fc-w0', peer: 'pq', ratio: 2, conditions: { workers: 0, shuffled: false } },
    { ours: 'fc-w2', peer: 'pq-w2', ratio: 0.5, conditions: { workers: 2, shuffled: false } },
  ]);
});

test('likeForLikePairs compares only the keys asked for', () => {
  assert.deepEqual(
    likeForLikePairs([ours[2]!], peers, ['workers']).map((p) => p.peer),
    ['pq-w2'],
  );
});

test('differingKeys counts a key one side lacks as differing', () => {
  assert.deepEqual(differingKeys({ workers: 0 }, { workers: 0, shuffled: true }, KEYS), ['shuffled']);
  assert.deepEqual(differingKeys({ workers: 0, shuffled: true }, { workers: 0, shuffled: true }, KEYS), []);
});

test('headlineNote says whether a headline is like-for-like and what differs when it is not', () => {
  assert.equal(headlineNote(ours[0]!, peers[0]!, KEYS), 'like-for-like');
  assert.equal(headlineNote(ours[0]!, peers[1]!, KEYS), 'not like-for-like: workers 0 vs 2');
  assert.equal(headlineNote(ours[2]!, peers[0]!, KEYS), 'not like-for-like: workers 2 vs 0; shuffled yes vs no');
});

test('conditionsOf keeps scalar values and is null without any', () => {
  assert.deepEqual(conditionsOf({ workers: 2, shuffled: false, nested: {}, note: 'x' }), { workers: 2, shuffled: false, note: 'x' });
  assert.equal(conditionsOf({ nested: {} }), null);
  assert.equal(conditionsOf('workers 2'), null);
  assert.equal(conditionsText({ workers: 2 }, KEYS), 'workers 2, shuffled unknown');
});

test('pairsTable shows both sides, their shared conditions and the ratio', () => {
  assert.equal(
    pairsTable(likeForLikePairs(ours, peers, KEYS), KEYS, 'samples/s'),
    '| ours | peer | same conditions | ratio of median samples/s |\n| --- | --- | --- | ---: |\n' +
      '| fc-w0 | pq | workers 0, shuffled no | 2.00x |\n| fc-w2 | pq-w2 | workers 2, shuffled no | 0.50x |',
  );
});
