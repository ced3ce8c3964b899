import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLUSTER_USER, TokenAuth, identityOf, type Identity } from './token-auth.js';
import { FailureLimiter } from './failure-limiter.js';
import { ALL_SCOPES } from './scopes.js';
import { hashPassword } from './passwords.js';
import { UserDirectory } from './users.js';
import { Code } from '../../client/src/flight/errors.js';
import type { CallContext } from '../../client/src/flight/grpc/method.js';

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const key = (c: string): Buffer => Buffer.from(c.repeat(32));
const alice = new UserDirectory({ user: 'alice', password: 'pw' });
const PEER = '10.0.0.7:5000';

/** Runs an interceptor on a call carrying this authorization header; returns the identity it recorded. */
function check(auth: TokenAuth, authorization: string, peer = PEER): Identity | undefined {
  const values = new Map<string, unknown>();
  void auth.interceptor()({ path: '/arrow.flight.protocol.FlightService/ListFlights', metadata: { authorization }, values, peer } as unknown as CallContext);
  return identityOf({ values });
}

test('a token issued by one process is accepted by every process with the same signing key, with its scopes', () => {
  const coordinator = new TokenAuth({ users: alice, keys: [key('a')] });
  const shard = new TokenAuth({ users: new UserDirectory(undefined), keys: [key('a')] });
  const token = coordinator.issueToken({ authorization: basic('alice', 'pw') }, PEER);
  assert.deepEqual(check(shard, `Bearer ${token}`), { user: 'alice', scopes: ALL_SCOPES });
});

test('the key is not derived from the credentials: processes with the same users but other keys refuse the token', () => {
  const token = new TokenAuth({ users: alice, keys: [key('a')] }).issueToken({ authorization: basic('alice', 'pw') }, PEER);
  assert.throws(() => check(new TokenAuth({ users: alice, keys: [key('b')] }), `Bearer ${token}`), {
    code: Code.UNAUTHENTICATED,
    message: 'invalid bearer token (signed with another key? every process needs the same --auth-key-file)',
  });
});

test('rotation: the first key signs, every key verifies', () => {
  const old = new TokenAuth({ users: alice, keys: [key('o')] }).issueToken({ authorization: basic('alice', 'pw') }, PEER);
  const rotating = new TokenAuth({ users: alice, keys: [key('n'), key('o')] });
  assert.equal(check(rotating, `Bearer ${old}`)?.user, 'alice');
  const fresh = rotating.issueToken({ authorization: basic('alice', 'pw') }, PEER);
  assert.equal(check(new TokenAuth({ users: alice, keys: [key('n')] }), `Bearer ${fresh}`)?.user, 'alice');
  assert.throws(() => check(new TokenAuth({ users: alice, keys: [key('o')] }), `Bearer ${fresh}`), { code: Code.UNAUTHENTICATED });
});

test('tampered, truncated and expired tokens are UNAUTHENTICATED', () => {
  const auth = new TokenAuth({ users: alice, keys: [key('a')] });
  const token = auth.issueToken({ authorization: basic('alice', 'pw') }, PEER);
  const [payload, signature] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ u: 'mallory', e: Date.now() + 1e6, r: ['*'], w: ['*'], a: true, n: 'x' })).toString('base64url');
  const invalid = { code: Code.UNAUTHENTICATED, message: 'invalid bearer token (signed with another key? every process needs the same --auth-key-file)' };
  assert.throws(() => check(auth, `Bearer ${forged}.${signature}`), invalid);
  assert.throws(() => check(auth, `Bearer ${payload}`), invalid);
  const expired = new TokenAuth({ users: alice, keys: [key('a')], ttlMs: -1 }).issueToken({ authorization: basic('alice', 'pw') }, PEER);
  assert.throws(() => check(auth, `Bearer ${expired}`), { code: Code.UNAUTHENTICATED, message: 'expired bearer token: call Handshake again' });
});

test('a credentials-file user gets a token with its own scopes; a wrong password or unknown user is refused alike', () => {
  const users = new UserDirectory(undefined, JSON.stringify({ users: { bob: { password: hashPassword('hunter2'), read: ['eval*'] } } }));
  const auth = new TokenAuth({ users, keys: [key('a')] });
  const token = auth.issueToken({ authorization: basic('bob', 'hunter2') }, PEER);
  assert.deepEqual(check(auth, `Bearer ${token}`), { user: 'bob', scopes: { read: ['eval*'], write: [], admin: false } });
  for (const [user, password] of [['bob', 'hunter3'], ['eve', 'hunter2']]) {
    assert.throws(() => auth.issueToken({ authorization: basic(user!, password!) }, PEER), { code: Code.UNAUTHENTICATED, message: 'wrong user or password' });
  }
});

test('failed authentications are rate-limited per client host, Basic on calls included', () => {
  let now = 1_000_000;
  const auth = new TokenAuth({ users: alice, keys: [key('a')], limiter: new FailureLimiter(3, 60_000, () => now) });
  for (let i = 0; i < 2; i++) assert.throws(() => auth.issueToken({ authorization: basic('alice', 'guess') }, '10.0.0.7:1'), { message: 'wrong user or password' });
  assert.throws(() => check(auth, basic('alice', 'guess'), '10.0.0.7:2'), { message: 'wrong user or password' });
  const limited = { code: Code.RESOURCE_EXHAUSTED, message: 'too many failed authentications from 10.0.0.7: 3 in 60 s; retry in 60 s' };
  assert.throws(() => auth.issueToken({ authorization: basic('alice', 'pw') }, '10.0.0.7:3'), limited);
  assert.equal(auth.issueToken({ authorization: basic('alice', 'pw') }, '10.0.0.8:1').split('.').length, 2);
  now += 60_001;
  assert.equal(auth.issueToken({ authorization: basic('alice', 'pw') }, '10.0.0.7:4').split('.').length, 2);
});

test('the cluster token carries every scope and is accepted by the other processes', () => {
  const coordinator = new TokenAuth({ users: alice, keys: [key('a')] });
  assert.deepEqual(check(new TokenAuth({ users: alice, keys: [key('a')] }), `Bearer ${coordinator.clusterToken()}`), { user: CLUSTER_USER, scopes: ALL_SCOPES });
  assert.equal(coordinator.clusterToken(), coordinator.clusterToken());
});
