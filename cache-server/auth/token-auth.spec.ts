import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenAuth } from './token-auth.js';
import { Code } from '../flight/errors.js';
import type { CallContext } from '../flight/grpc/method.js';

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
/** Runs an interceptor on a call carrying this authorization header; returns the user it authenticated. */
function check(auth: TokenAuth, authorization: string): unknown {
  const values = new Map<string, unknown>();
  void auth.interceptor()({ path: '/arrow.flight.protocol.FlightService/ListFlights', metadata: { authorization }, values } as unknown as CallContext);
  return values.get('user');
}

test('a token issued by one process is accepted by every process started with the same credentials', () => {
  const coordinator = new TokenAuth({ user: 'alice', password: 'pw' });
  const shard = new TokenAuth({ user: 'alice', password: 'pw' });
  const token = coordinator.issueToken({ authorization: basic('alice', 'pw') });
  assert.equal(check(shard, `Bearer ${token}`), 'alice');
});

test('tokens of other credentials, tampered tokens and expired tokens are UNAUTHENTICATED', () => {
  const token = new TokenAuth({ user: 'alice', password: 'pw' }).issueToken({ authorization: basic('alice', 'pw') });
  assert.throws(() => check(new TokenAuth({ user: 'alice', password: 'other' }), `Bearer ${token}`), { code: Code.UNAUTHENTICATED, message: 'invalid bearer token' });
  const [payload, signature] = token.split('.');
  const forged = Buffer.from(JSON.stringify({ u: 'mallory', e: Date.now() + 1e6, n: 'x' })).toString('base64url');
  const auth = new TokenAuth({ user: 'alice', password: 'pw' });
  assert.throws(() => check(auth, `Bearer ${forged}.${signature}`), { code: Code.UNAUTHENTICATED, message: 'invalid bearer token' });
  assert.throws(() => check(auth, `Bearer ${payload}`), { code: Code.UNAUTHENTICATED, message: 'invalid bearer token' });
  const shortLived = new TokenAuth({ user: 'alice', password: 'pw' }, -1);
  const expired = shortLived.issueToken({ authorization: basic('alice', 'pw') });
  assert.throws(() => check(auth, `Bearer ${expired}`), { code: Code.UNAUTHENTICATED, message: 'expired bearer token: call Handshake again' });
});
