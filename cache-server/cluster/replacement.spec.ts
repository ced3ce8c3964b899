import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { silentLogger } from '../logger.js';
import type { FlightClient } from '../../client/src/flight-client.js';
import { emptyDataset, statusOf, type CatalogDataset, type CatalogPartition } from './catalog.js';
import { ClusterState } from './cluster-state.js';
import { Membership, type Member } from './membership.js';
import { PeerClients } from './peer-clients.js';
import { placeReplicas } from './placement.js';
import { MemberReplacer, overdueMembers, planReplacements, replaceOverdue } from './replacement.js';

/** A partition of `dataset` placed on `placement`, stored on `stored` (default: its placement). */
function partition(dataset: string, index: number, placement: string[], stored: string[] = placement): CatalogPartition {
  return { index, storedName: `${dataset}#p${index}.ab.b${index}-${index + 1}of9`, from: index, to: index + 1, rows: 10, bytes: 100, placement, stored: new Set(stored) };
}

/** A dataset with these partitions. */
function dataset(name: string, partitions: CatalogPartition[]): CatalogDataset {
  return { ...emptyDataset(name, new Uint8Array(), new Uint8Array()), batchRows: partitions.map(() => 10), partitions };
}

const member = (id: string, state: Member['state'], since: number): Member => ({ id, location: `grpc://${id}:1`, state, since, source: 'static' });

test('a member is overdue once it has been down or removed for the grace period, not before', () => {
  const members = [member('a', 'up', 0), member('b', 'down', 1000), member('c', 'down', 1500)];
  const gone = new Map([['d', 1200], ['e', 1800]]);
  assert.deepEqual([...overdueMembers(members, gone, 2500, 1000)].sort(), ['b', 'c', 'd']);
  assert.deepEqual([...overdueMembers(members, gone, 2499, 1000)].sort(), ['b', 'd']);
});

test('only partitions placed on the dead member move, each to the rendezvous choice among live members that do not hold it', () => {
  const d = dataset('d', [partition('d', 0, ['a', 'b']), partition('d', 1, ['c', 'a']), partition('d', 2, ['b', 'c'])]);
  const plan = planReplacements([d], new Set(['b']), ['a', 'c', 'e', 'f'], 2);
  assert.deepEqual(
    plan.moves.map((m) => [m.partition.index, m.dead, m.target]),
    [
      [0, 'b', placeReplicas(`d/${d.partitions[0]!.storedName}`, ['c', 'e', 'f'], 1)[0]],
      [2, 'b', placeReplicas(`d/${d.partitions[2]!.storedName}`, ['a', 'e', 'f'], 1)[0]],
    ],
  );
  assert.deepEqual(plan.stuck, []);
});

test('the plan does not depend on the order live members are listed in', () => {
  const d = dataset('d', Array.from({ length: 20 }, (_, i) => partition('d', i, i % 2 === 0 ? ['a', 'b'] : ['b', 'c'])));
  const targets = (live: string[]): string[] => planReplacements([d], new Set(['b']), live, 2).moves.map((m) => `${m.partition.index}:${m.target}`);
  assert.deepEqual(targets(['a', 'c', 'e', 'f', 'g']), targets(['g', 'f', 'e', 'c', 'a']));
  assert.equal(new Set(targets(['a', 'c', 'e', 'f', 'g']).map((t) => t.split(':')[1])).size > 1, true);
});

test('a member that stores a copy it is no longer placed on is not chosen as the replacement', () => {
  const d = dataset('d', [partition('d', 0, ['a', 'b'], ['a', 'b', 'c'])]);
  const plan = planReplacements([d], new Set(['b']), ['a', 'c', 'e'], 2);
  assert.deepEqual(plan.moves.map((m) => m.target), ['e']);
});

test('a partition whose only copy was on the dead member has nothing to copy from and stays put', () => {
  const d = dataset('d', [partition('d', 0, ['b']), partition('d', 1, ['a'])]);
  const plan = planReplacements([d], new Set(['b']), ['a', 'c'], 1);
  assert.deepEqual(plan.moves, []);
  assert.deepEqual(plan.stuck.map((s) => [s.partition.index, s.dead, s.reason]), [[0, 'b', 'no-live-copy']]);
});

test('a partition placed on a live member that has not stored it yet has nothing to copy from', () => {
  const d = dataset('d', [partition('d', 0, ['a', 'b'], ['b'])]);
  assert.deepEqual(planReplacements([d], new Set(['b']), ['a', 'c'], 2).stuck.map((s) => s.reason), ['no-live-copy']);
});

test('when every live member already holds the partition it stays on the dead member', () => {
  const d = dataset('d', [partition('d', 0, ['a', 'b'])]);
  const plan = planReplacements([d], new Set(['b']), ['a'], 2);
  assert.deepEqual(plan.moves, []);
  assert.deepEqual(plan.stuck.map((s) => [s.dead, s.reason]), [['b', 'no-spare-member']]);
});

test('two dead members of one placement get two distinct replacements, as far as spare members go', () => {
  const d = dataset('d', [partition('d', 0, ['a', 'b', 'c']), partition('d', 1, ['b', 'a', 'c'])]);
  const both = planReplacements([d], new Set(['b', 'c']), ['a', 'e', 'f'], 3);
  assert.deepEqual(both.moves.filter((m) => m.partition.index === 0).map((m) => m.dead), ['b', 'c']);
  assert.deepEqual(new Set(both.moves.filter((m) => m.partition.index === 0).map((m) => m.target)), new Set(['e', 'f']));
  const one = planReplacements([d], new Set(['b', 'c']), ['a', 'e'], 3);
  assert.deepEqual(one.moves.map((m) => [m.partition.index, m.dead, m.target]), [[0, 'b', 'e'], [1, 'b', 'e']]);
  assert.deepEqual(one.stuck.map((s) => [s.partition.index, s.dead, s.reason]), [[0, 'c', 'no-spare-member'], [1, 'c', 'no-spare-member']]);
});

test('new copies never go to a holder, a dead member or a member that is not live; only dead members are replaced, and only partitions placed on too few members topped up', () => {
  const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
  const arbitrary = fc.record({
    placements: fc.array(fc.shuffledSubarray(ids, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 12 }),
    dead: fc.subarray(ids),
    live: fc.subarray(ids),
    replicas: fc.integer({ min: 1, max: 3 }),
  });
  fc.assert(
    fc.property(arbitrary, ({ placements, dead, live, replicas }) => {
      const overdue = new Set(dead);
      const liveIds = live.filter((id) => !overdue.has(id));
      const d = dataset('d', placements.map((p, i) => partition('d', i, p)));
      const plan = planReplacements([d], overdue, liveIds, replicas);
      for (const move of plan.moves) {
        if (move.dead !== undefined) assert.equal(overdue.has(move.dead) && move.partition.placement.includes(move.dead), true);
        assert.equal(liveIds.includes(move.target) && !move.partition.placement.includes(move.target) && !move.partition.stored.has(move.target), true);
      }
      for (const p of d.partitions) {
        const moves = plan.moves.filter((m) => m.partition === p);
        assert.equal(new Set(moves.map((m) => m.target)).size, moves.length);
        const deadHere = p.placement.filter((id) => overdue.has(id)).length;
        const replaced = moves.filter((m) => m.dead !== undefined).length;
        assert.equal(replaced + plan.stuck.filter((s) => s.partition === p).length, deadHere);
        const short = Math.max(0, Math.min(replicas, liveIds.length) - p.placement.length);
        const spare = liveIds.filter((id) => !p.placement.includes(id)).length - replaced;
        const canCopy = p.placement.some((id) => liveIds.includes(id));
        assert.equal(moves.length - replaced, canCopy ? Math.min(short, spare) : 0);
      }
    }),
  );
});

test('a partition adopted from fewer holders than R is topped up from its live holder, though no member it is placed on is dead', () => {
  const d = dataset('d', [partition('d', 0, ['a']), partition('d', 1, ['a', 'c']), partition('d', 2, ['e'])]);
  const plan = planReplacements([d], new Set(['b']), ['a', 'c', 'e'], 2);
  assert.deepEqual(
    plan.moves.map((m) => [m.partition.index, m.dead, m.target]),
    [
      [0, undefined, placeReplicas(`d/${d.partitions[0]!.storedName}`, ['c', 'e'], 1)[0]],
      [2, undefined, placeReplicas(`d/${d.partitions[2]!.storedName}`, ['a', 'c'], 1)[0]],
    ],
  );
  assert.deepEqual(plan.stuck, []);
  // With a single live member there is no one to top up to, and with R=1 nothing is short.
  assert.deepEqual(planReplacements([d], new Set(['b']), ['a'], 2).moves, []);
  assert.deepEqual(planReplacements([d], new Set(['b']), ['a', 'c', 'e'], 1).moves, []);
});

/** A promise with its resolve exposed. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

/** Peers whose `fetch` waits for `gate` and whose actions are recorded as "location type body-name". */
class FakePeers extends PeerClients {
  readonly calls: string[] = [];
  gate: Promise<void> = Promise.resolve();

  override async get(location: string): Promise<FlightClient> {
    const action = async (type: string, body: string): Promise<unknown> => {
      const name = type === 'fetch' ? (JSON.parse(body) as { name: string; sources: string[] }) : undefined;
      this.calls.push(`${location} ${type} ${name ? `${name.name} from ${name.sources.join(',')}` : body}`);
      if (type === 'fetch') await this.gate;
      return {};
    };
    return { action } as unknown as FlightClient;
  }
}

/** A cluster state with members a, b, c up and in line, except those listed as down, on clock `now`. */
function cluster(down: string[] = [], now: () => number = Date.now): { state: ClusterState; peers: FakePeers; membership: Membership } {
  // Members answer probes while they are in line; one taken out of line (synced) stops answering.
  const membership: Membership = new Membership({
    now,
    failuresToDown: 1,
    probe: async (m: Member): Promise<void> => {
      if (!state.synced.has(m.id)) throw new Error('down');
    },
  });
  const peers = new FakePeers();
  const state: ClusterState = new ClusterState(membership, peers, 2, silentLogger);
  for (const id of ['a', 'b', 'c']) {
    membership.upsert({ id, location: `grpc://${id}:1`, source: 'static' }, !down.includes(id));
    if (!down.includes(id)) state.synced.add(id);
  }
  return { state, peers, membership };
}

test('the catalog switches to the new holder only once its copy, fetched from a live replica, is committed', async () => {
  const { state, peers } = cluster(['b']);
  const p = partition('d', 0, ['a', 'b']);
  const d = dataset('d', [p]);
  state.catalog.set(d);
  const gate = deferred();
  peers.gate = gate.promise;
  const run = replaceOverdue(state, new Set(['b']));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(peers.calls, [`grpc://c:1 fetch ${p.storedName} from grpc://a:1`]);
  assert.deepEqual([p.placement, [...p.stored]], [['a', 'b'], ['a', 'b']]);
  assert.equal(statusOf(d, state.live, 2, 3).status, 'degraded');
  gate.resolve();
  const { replaced, stuck } = await run;
  assert.deepEqual([...replaced], [['b', 1]]);
  assert.deepEqual(stuck, []);
  assert.deepEqual([p.placement, [...p.stored].sort()], [['a', 'c'], ['a', 'c']]);
  assert.equal(statusOf(d, state.live, 2, 3).status, 'healthy');
});

test('a partition adopted from one holder whose other holder stays down gets a second copy and is healthy again', async () => {
  const { state, peers } = cluster(['b']);
  const p = partition('d', 0, ['a']);
  const d = dataset('d', [p]);
  state.catalog.set(d);
  assert.equal(statusOf(d, state.live, 2, 3).status, 'degraded');
  const { replaced, toppedUp, stuck } = await replaceOverdue(state, new Set(['b']));
  assert.deepEqual([[...replaced], toppedUp, stuck], [[], 1, []]);
  assert.deepEqual(peers.calls, [`grpc://c:1 fetch ${p.storedName} from grpc://a:1`]);
  assert.deepEqual([p.placement, [...p.stored].sort()], [['a', 'c'], ['a', 'c']]);
  assert.equal(statusOf(d, state.live, 2, 3).status, 'healthy');
});

/**
 * Replaces down member `b` while partition `p` of dataset `d` (placed on `placement`) is being
 * copied, runs `meanwhile` with the copy held, then lets it finish.
 */
async function duringCopy(placement: string[], meanwhile: (context: { state: ClusterState; membership: Membership; p: CatalogPartition }) => void) {
  const { state, peers, membership } = cluster(['b']);
  const p = partition('d', 0, placement);
  state.catalog.set(dataset('d', [p]));
  const gate = deferred();
  peers.gate = gate.promise;
  const run = replaceOverdue(state, new Set(['b']));
  await new Promise((resolve) => setImmediate(resolve));
  meanwhile({ state, membership, p });
  gate.resolve();
  return { outcome: await run, peers, p };
}

test('a top-up copy made while a returning holder was claimed is dropped again', async () => {
  const { outcome, peers, p } = await duringCopy(['a'], ({ p }) => {
    p.placement = ['a', 'e'];
    p.stored.add('e');
  });
  assert.equal(outcome.toppedUp, 0);
  assert.deepEqual(peers.calls, [`grpc://c:1 fetch ${p.storedName} from grpc://a:1`, `grpc://c:1 drop ${p.storedName}`]);
  assert.deepEqual([p.placement, [...p.stored].sort()], [['a', 'e'], ['a', 'e']]);
});

test('a copy made while the dead member came back is dropped again and the placement kept', async () => {
  const { outcome, peers, p } = await duringCopy(['a', 'b'], ({ membership }) => {
    membership.upsert({ id: 'b', location: 'grpc://b:1', source: 'static' }, true);
  });
  assert.deepEqual([...outcome.replaced], []);
  assert.deepEqual(peers.calls, [`grpc://c:1 fetch ${p.storedName} from grpc://a:1`, `grpc://c:1 drop ${p.storedName}`]);
  assert.deepEqual([p.placement, [...p.stored]], [['a', 'b'], ['a', 'b']]);
});

test('a copy made while its dataset was dropped is dropped again', async () => {
  const { outcome, peers, p } = await duringCopy(['a', 'b'], ({ state }) => {
    state.catalog.drop('d');
  });
  assert.deepEqual([...outcome.replaced], []);
  assert.deepEqual(peers.calls.at(-1), `grpc://c:1 drop ${p.storedName}`);
});

test('the replacer re-replicates a down member once it has been down for the grace period', async () => {
  const clock = { now: 10_000 };
  const { state, peers, membership } = cluster([], () => clock.now);
  const p = partition('d', 0, ['a', 'b']);
  state.catalog.set(dataset('d', [p]));
  let runs = 0;
  const replacer = new MemberReplacer(state, { afterMs: 1000, now: () => clock.now, exclusive: async (job) => (runs++, job()) });
  replacer.start();
  try {
    clock.now = 20_000;
    state.synced.delete('b');
    await membership.probeAll();
    assert.equal(membership.get('b')!.state, 'down');
    clock.now = 20_999;
    await replacer.check();
    assert.deepEqual([runs, p.placement], [0, ['a', 'b']]);
    clock.now = 21_000;
    await replacer.check();
    assert.deepEqual([runs, p.placement, peers.calls], [1, ['a', 'c'], [`grpc://c:1 fetch ${p.storedName} from grpc://a:1`]]);
  } finally {
    replacer.stop();
  }
});

test('a member removed from the membership is replaced after the grace period and then forgotten', async () => {
  const clock = { now: 10_000 };
  const { state, membership } = cluster([], () => clock.now);
  const p = partition('d', 0, ['b', 'a']);
  state.catalog.set(dataset('d', [p]));
  let runs = 0;
  const replacer = new MemberReplacer(state, { afterMs: 1000, now: () => clock.now, exclusive: async (job) => (runs++, job()) });
  replacer.start();
  try {
    membership.remove('b');
    state.synced.delete('b');
    clock.now = 10_999;
    await replacer.check();
    assert.deepEqual([runs, p.placement], [0, ['b', 'a']]);
    clock.now = 11_000;
    await replacer.check();
    assert.deepEqual([runs, p.placement], [1, ['c', 'a']]);
    await replacer.check();
    assert.equal(runs, 1);
  } finally {
    replacer.stop();
  }
});
