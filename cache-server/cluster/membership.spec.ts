import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Membership, type Member, type MemberEvent, type MemberState, type MembershipOptions } from './membership.js';

/** A membership on a hand-driven clock, recording every change as "event id previous->state". */
function harness(probe: MembershipOptions['probe'], options: Partial<MembershipOptions> = {}) {
  const clock = { now: 1000 };
  const membership = new Membership({ probe, now: () => clock.now, ...options });
  const events: string[] = [];
  membership.onChange((member: Member, previous: MemberState | undefined, event: MemberEvent) => {
    events.push(`${event} ${member.id} ${previous ?? '-'}->${member.state}`);
  });
  return { clock, membership, events };
}

/** A promise with its resolve/reject exposed. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void } {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const never = (): Promise<void> => new Promise<void>(() => undefined);

test('a new member starts down and is up after its first answer', async () => {
  const { clock, membership, events } = harness(async () => undefined);
  membership.upsert({ id: 'a', location: 'grpc://h:1', source: 'static' });
  assert.deepEqual(membership.list(), [{ id: 'a', location: 'grpc://h:1', source: 'static', state: 'down', since: 1000 }]);
  assert.deepEqual(membership.up(), []);
  clock.now = 1500;
  await membership.probeAll();
  assert.deepEqual(membership.get('a'), { id: 'a', location: 'grpc://h:1', source: 'static', state: 'up', since: 1500, lastSeen: 1500 });
  assert.deepEqual(events, ['added a -->down', 'state a down->up']);
});

test('a member is down after two failed probes in a row and up again on the next answer', async () => {
  let healthy = true;
  const { clock, membership, events } = harness(async () => {
    if (!healthy) throw new Error('connection refused');
  });
  membership.upsert({ id: 'a', location: 'grpc://h:1', source: 'static' });
  await membership.probeAll();
  healthy = false;
  clock.now = 1500;
  await membership.probeAll();
  assert.equal(membership.get('a')?.state, 'up');
  clock.now = 2000;
  await membership.probeAll();
  assert.deepEqual(membership.get('a'), { id: 'a', location: 'grpc://h:1', source: 'static', state: 'down', since: 2000, lastSeen: 1000 });
  healthy = true;
  clock.now = 2500;
  await membership.probeAll();
  assert.deepEqual(membership.get('a'), { id: 'a', location: 'grpc://h:1', source: 'static', state: 'up', since: 2500, lastSeen: 2500 });
  assert.deepEqual(events, ['added a -->down', 'state a down->up', 'state a up->down', 'state a down->up']);
});

test('a success between failures resets the failure count', async () => {
  const answers = [true, false, true, false, true];
  const { membership, events } = harness(async () => {
    if (!answers.shift()) throw new Error('unhealthy');
  });
  membership.upsert({ id: 'a', location: 'grpc://h:1', source: 'static' });
  for (let i = 0; i < 5; i++) await membership.probeAll();
  assert.equal(membership.get('a')?.state, 'up');
  assert.deepEqual(events, ['added a -->down', 'state a down->up']);
});

test('a member is down after silenceToDownMs without an answer even below the failure count', async () => {
  let healthy = true;
  const { clock, membership, events } = harness(
    async () => {
      if (!healthy) throw new Error('unhealthy');
    },
    { failuresToDown: 100 },
  );
  membership.upsert({ id: 'a', location: 'grpc://h:1', source: 'static' });
  await membership.probeAll();
  healthy = false;
  clock.now = 2999;
  await membership.probeAll();
  assert.equal(membership.get('a')?.state, 'up');
  clock.now = 3000;
  await membership.probeAll();
  assert.deepEqual(events, ['added a -->down', 'state a down->up', 'state a up->down']);
  assert.equal(membership.get('a')?.since, 3000);
});

test('with stallMs, time this process spent stalled between rounds is not counted as a member\'s silence', async () => {
  let healthy = true;
  const { clock, membership, events } = harness(
    async () => {
      if (!healthy) throw new Error('unhealthy');
    },
    { failuresToDown: 100, intervalMs: 500, stallMs: 500 },
  );
  membership.upsert({ id: 'a', location: 'grpc://h:1', source: 'static' });
  await membership.probeAll();
  healthy = false;
  // The next round comes 5 s late (a blocked event loop): the member is not judged by that gap.
  clock.now = 6500;
  await membership.probeAll();
  assert.equal(membership.get('a')?.state, 'up');
  // Rounds on time again: 2 s of real silence after the stall marks it down.
  clock.now = 7000;
  await membership.probeAll();
  clock.now = 7500;
  await membership.probeAll();
  assert.equal(membership.get('a')?.state, 'up');
  clock.now = 8000;
  await membership.probeAll();
  clock.now = 8500;
  await membership.probeAll();
  assert.deepEqual(events, ['added a -->down', 'state a down->up', 'state a up->down']);
});

test('a probe that throws synchronously counts as a failure', async () => {
  let healthy = true;
  const { membership, events } = harness(
    () => {
      if (!healthy) throw new Error('no client');
      return Promise.resolve();
    },
    { failuresToDown: 1 },
  );
  membership.upsert({ id: 'a', location: 'grpc://h:1', source: 'static' });
  await membership.probeAll();
  healthy = false;
  await membership.probeAll();
  assert.deepEqual(events, ['added a -->down', 'state a down->up', 'state a up->down']);
});

test('a probe that hangs is aborted at probeTimeoutMs and counts as a failure', async () => {
  const signals: AbortSignal[] = [];
  let hang = false;
  const { membership, events } = harness(
    (_member, signal) => {
      signals.push(signal);
      if (!hang) return Promise.resolve();
      return new Promise<void>((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    },
    { probeTimeoutMs: 5, failuresToDown: 1 },
  );
  membership.upsert({ id: 'a', location: 'grpc://h:1', source: 'static' });
  await membership.probeAll();
  hang = true;
  await membership.probeAll();
  assert.equal(signals.length, 2);
  assert.equal(signals[0]!.aborted, false);
  assert.equal(signals[1]!.aborted, true);
  assert.equal((signals[1]!.reason as Error).message, 'health probe timed out after 5 ms');
  assert.deepEqual(events, ['added a -->down', 'state a down->up', 'state a up->down']);
});

test('a member whose probe ignores the abort is not probed again, and goes down by silence', async () => {
  let calls = 0;
  let hang = false;
  const { clock, membership, events } = harness(
    () => {
      calls++;
      return hang ? never() : Promise.resolve();
    },
    { probeTimeoutMs: 5 },
  );
  membership.upsert({ id: 'a', location: 'grpc://h:1', source: 'static' });
  await membership.probeAll();
  hang = true;
  await membership.probeAll();
  assert.equal(membership.get('a')?.state, 'up');
  clock.now = 3000;
  await membership.probeAll();
  assert.equal(calls, 2);
  assert.deepEqual(events, ['added a -->down', 'state a down->up', 'state a up->down']);
});

test('a member is never probed twice concurrently, while different members are probed at once', async () => {
  const pending = new Map<string, ReturnType<typeof deferred>>();
  let calls = 0;
  const { membership } = harness((member) => {
    calls++;
    assert.equal(pending.has(member.id), false, `${member.id} probed while its probe is pending`);
    const answer = deferred();
    pending.set(member.id, answer);
    return answer.promise;
  });
  membership.upsert({ id: 'a', location: 'grpc://h:1', source: 'static' });
  membership.upsert({ id: 'b', location: 'grpc://h:2', source: 'static' });
  const first = membership.probeAll();
  assert.deepEqual([...pending.keys()].sort(), ['a', 'b']);
  const second = membership.probeAll();
  assert.equal(calls, 2);
  for (const answer of pending.values()) answer.resolve();
  await Promise.all([first, second]);
  pending.clear();
  const third = membership.probeAll();
  assert.equal(calls, 4);
  for (const answer of pending.values()) answer.resolve();
  await third;
  assert.deepEqual(membership.up().map((member) => member.id), ['a', 'b']);
});

test('upsert with up starts a member up, and updates keep the state but change location and source', () => {
  const { clock, membership, events } = harness(never);
  membership.upsert({ id: 'a', location: 'grpc://h:1', source: 'registered' }, true);
  clock.now = 2000;
  membership.upsert({ id: 'a', location: 'grpc://h:9', source: 'static' });
  assert.deepEqual(membership.get('a'), { id: 'a', location: 'grpc://h:9', source: 'static', state: 'up', since: 1000 });
  membership.upsert({ id: 'b', location: 'grpc://h:2', source: 'registered' });
  membership.upsert({ id: 'b', location: 'grpc://h:2', source: 'registered' }, true);
  assert.deepEqual(membership.get('b'), { id: 'b', location: 'grpc://h:2', source: 'registered', state: 'up', since: 2000 });
  assert.deepEqual(events, ['added a -->up', 'added b -->down', 'state b down->up']);
});

test('replaceSource removes members of that source not listed, adds new ones and leaves other sources alone', async () => {
  const { membership, events } = harness(async () => undefined);
  membership.upsert({ id: 's', location: 'grpc://s:1', source: 'static' });
  membership.replaceSource('dns', [
    { id: 'grpc://10.0.0.1:1', location: 'grpc://10.0.0.1:1' },
    { id: 'grpc://10.0.0.2:1', location: 'grpc://10.0.0.2:1' },
  ]);
  await membership.probeAll();
  events.length = 0;
  membership.replaceSource('dns', [
    { id: 'grpc://10.0.0.2:1', location: 'grpc://10.0.0.2:1' },
    { id: 'grpc://10.0.0.3:1', location: 'grpc://10.0.0.3:1' },
    { id: 's', location: 'grpc://elsewhere:1' },
  ]);
  assert.deepEqual(
    membership.list().map((member) => [member.id, member.source, member.state, member.location]),
    [
      ['grpc://10.0.0.2:1', 'dns', 'up', 'grpc://10.0.0.2:1'],
      ['grpc://10.0.0.3:1', 'dns', 'down', 'grpc://10.0.0.3:1'],
      ['s', 'static', 'up', 'grpc://s:1'],
    ],
  );
  assert.deepEqual(events, ['removed grpc://10.0.0.1:1 up->up', 'added grpc://10.0.0.3:1 -->down']);
  membership.replaceSource('dns', []);
  assert.deepEqual(membership.list().map((member) => member.id), ['s']);
});

test('remove reports the last snapshot, unknown ids are ignored and unsubscribed listeners hear nothing', () => {
  const { membership, events } = harness(never);
  const late: string[] = [];
  const unsubscribe = membership.onChange((member, _previous, event) => late.push(`${event} ${member.id}`));
  membership.upsert({ id: 'a', location: 'grpc://h:1', source: 'static' });
  unsubscribe();
  membership.remove('a');
  membership.remove('zzz');
  assert.equal(membership.get('a'), undefined);
  assert.deepEqual(events, ['added a -->down', 'removed a down->down']);
  assert.deepEqual(late, ['added a']);
});

test('a listener that throws is logged and does not stop the others', () => {
  const lines: string[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(line) });
  const { membership, events } = harness(never, { logger });
  membership.onChange(() => {
    throw new Error('listener bug');
  });
  membership.upsert({ id: 'a', location: 'grpc://h:1', source: 'static' });
  assert.deepEqual(events, ['added a -->down']);
  assert.equal(lines.length, 1);
  const logged = JSON.parse(lines[0]!) as { msg: string; member: string; err: { message: string } };
  assert.deepEqual([logged.msg, logged.member, logged.err.message], ['membership listener failed', 'a', 'listener bug']);
});

test('start probes at once and then on its timer until stop', async () => {
  let calls = 0;
  const { membership } = harness(
    async () => {
      calls++;
    },
    { intervalMs: 1 },
  );
  membership.upsert({ id: 'a', location: 'grpc://h:1', source: 'static' });
  membership.start();
  assert.equal(calls, 1);
  while (calls < 3) await new Promise((resolve) => setTimeout(resolve, 1));
  membership.stop();
  const probed = calls;
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(calls, probed);
  assert.equal(membership.get('a')?.state, 'up');
});

test('stop aborts pending probes and ignores their outcome', async () => {
  const signals: AbortSignal[] = [];
  const { membership, events } = harness((_member, signal) => {
    signals.push(signal);
    return new Promise<void>((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
  }, { failuresToDown: 1 });
  membership.upsert({ id: 'a', location: 'grpc://h:1', source: 'static' }, true);
  membership.start();
  membership.stop();
  assert.equal(signals.length, 1);
  assert.equal(signals[0]!.aborted, true);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(membership.get('a')?.state, 'up');
  assert.deepEqual(events, ['added a -->up']);
});
