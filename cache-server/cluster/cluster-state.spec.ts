import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { NOT_SERVING_KEY } from '../../client/src/planning-retry.js';
import { silentLogger } from '../logger.js';
import { ClusterState } from './cluster-state.js';
import { Membership } from './membership.js';
import { PeerClients } from './peer-clients.js';

/** A cluster state whose members never answer a probe (nothing here probes them). */
function stateOf(ids: readonly string[]): ClusterState {
  const membership = new Membership({ probe: () => new Promise<void>(() => undefined) });
  for (const id of ids) membership.upsert({ id, location: `grpc://127.0.0.1:1/${id}`, source: 'static' });
  return new ClusterState(membership, new PeerClients(), 2, silentLogger);
}

test('a coordinator is learning from start-up until every known member is in line, then never again', () => {
  const state = stateOf(['shard-0', 'shard-1']);
  assert.equal(state.learning(0), undefined, 'not before start-up opens');
  state.startLearning(10_000, true);
  assert.equal(state.learning(1_000), 'the coordinator is starting and has not yet learned what every member holds: 0 of 2 in line, waiting up to 9.0 s more for shard-0, shard-1');
  state.synced.add('shard-0');
  assert.equal(state.learning(2_500), 'the coordinator is starting and has not yet learned what every member holds: 1 of 2 in line, waiting up to 7.5 s more for shard-1');
  state.synced.add('shard-1');
  assert.equal(state.learning(3_000), undefined);
  state.synced.delete('shard-1');
  assert.equal(state.learning(3_100), undefined, 'a member going down after start-up does not reopen it');
});

test('a member that is never in line ends the learning at the deadline', () => {
  const state = stateOf(['shard-0']);
  state.startLearning(10_000, true);
  assert.match(state.learning(9_999) ?? '', /0 of 1 in line, waiting up to 0\.0 s more for shard-0$/);
  assert.equal(state.learning(10_000), undefined);
  assert.equal(state.learning(9_999), undefined, 'the deadline closes it for good');
});

test('with a shard list or DNS name and no member known yet it is learning; without either it is not', () => {
  const expecting = stateOf([]);
  expecting.startLearning(10_000, true);
  assert.equal(expecting.learning(4_000), 'the coordinator is starting and knows no member yet (waiting up to 6.0 s more)');
  const registrations = stateOf([]);
  registrations.startLearning(10_000, false);
  assert.equal(registrations.learning(4_000), undefined);
});

test('while learning, an unknown dataset or a partition without a live replica is a retryable UNAVAILABLE; other errors, and both after, stay as they are', () => {
  const state = stateOf(['shard-0', 'shard-1']);
  state.startLearning(Date.now() + 60_000, true);
  const unknown = state.pending(new FlightError(Code.NOT_FOUND, 'unknown dataset "a"'));
  assert.equal(unknown.code, Code.UNAVAILABLE);
  assert.equal(unknown.metadata[NOT_SERVING_KEY], 'learning');
  assert.match(unknown.message, /^unknown dataset "a" \(so far\): the coordinator is starting and has not yet learned what every member holds: 0 of 2 in line, waiting up to \d+\.\d s more for shard-0, shard-1; retry$/);
  const unplaced = state.pending(new FlightError(Code.UNAVAILABLE, 'partition 0 of dataset "a" (batches 0-0) has no live replica'));
  assert.deepEqual([unplaced.code, unplaced.metadata[NOT_SERVING_KEY]], [Code.UNAVAILABLE, 'learning']);
  assert.match(unplaced.message, /^partition 0 of dataset "a" \(batches 0-0\) has no live replica \(so far\): .*; retry$/);
  const bad = new FlightError(Code.INVALID_ARGUMENT, 'bad SQL');
  assert.equal(state.pending(bad), bad);
  const marked = new FlightError(Code.UNAVAILABLE, 'standby', { metadata: { [NOT_SERVING_KEY]: 'standby' } });
  assert.equal(state.pending(marked), marked);
  state.synced.add('shard-0');
  state.synced.add('shard-1');
  const gone = new FlightError(Code.NOT_FOUND, 'unknown dataset "a"');
  assert.equal(state.pending(gone), gone);
});
