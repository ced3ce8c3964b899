import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code, FlightError } from './flight/errors.js';
import type { CallOptions } from './flight/grpc/method.js';
import { connectionFailure } from './flight/grpc/status.js';
import { NOT_SERVING_KEY, retryUnavailable, retryable } from './planning-retry.js';

const standby = (): FlightError => new FlightError(Code.UNAVAILABLE, 'standby', { metadata: { [NOT_SERVING_KEY]: 'standby' } });
const refused = (): FlightError => connectionFailure('connection refused', new Error('ECONNREFUSED'));

/** Drains `items`, returning its responses or the error it ended with. */
async function outcome<T>(items: AsyncIterable<T>): Promise<{ responses: T[]; error?: unknown }> {
  const responses: T[] = [];
  try {
    for await (const item of items) responses.push(item);
    return { responses };
  } catch (error) {
    return { responses, error };
  }
}

/** An attempt that fails with the given errors in turn, then answers `answer`; it records the options of each try. */
function scripted(errors: FlightError[], answer: string[], seen: CallOptions[]): (options: CallOptions) => AsyncIterable<string> {
  return async function* (options) {
    seen.push(options);
    const error = errors.shift();
    if (error) throw error;
    yield* answer;
  };
}

test('an UNAVAILABLE from a server not serving, or from a failed connection, is retryable; a server\'s own UNAVAILABLE, a TLS refusal and other codes are not', () => {
  const tls = new FlightError(Code.UNAVAILABLE, 'TLS connection failed', { cause: new Error('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED') });
  assert.deepEqual(
    [standby(), refused(), new FlightError(Code.UNAVAILABLE, 'no live copy of partition 3'), tls, new FlightError(Code.NOT_FOUND, 'x', { metadata: { [NOT_SERVING_KEY]: 'standby' } }), new Error('x')].map(retryable),
    [true, true, false, false, false, false],
  );
});

test('a call refused by a standby and a broken connection is made again until it answers', async () => {
  const seen: CallOptions[] = [];
  const started = Date.now();
  assert.deepEqual(await outcome(retryUnavailable(5000, {}, scripted([standby(), refused(), standby()], ['a', 'b'], seen))), { responses: ['a', 'b'] });
  assert.equal(seen.length, 4);
  // Backoff 50, 100, 200 ms.
  assert.ok(Date.now() - started >= 350, `retried after ${Date.now() - started} ms`);
});

test('a server\'s own UNAVAILABLE, and a failure after the first response, end the call at once', async () => {
  const own = new FlightError(Code.UNAVAILABLE, 'no live copy');
  const seen: CallOptions[] = [];
  assert.deepEqual(await outcome(retryUnavailable(5000, {}, scripted([own], [], seen))), { responses: [], error: own });
  assert.equal(seen.length, 1);
  const broken = standby();
  const midway = async function* (): AsyncIterable<string> {
    yield 'first';
    throw broken;
  };
  assert.deepEqual(await outcome(retryUnavailable(5000, {}, midway)), { responses: ['first'], error: broken });
});

test('retries stop at the retry window, and each attempt gets what is left of the call\'s deadline', async () => {
  const seen: CallOptions[] = [];
  const errors = Array.from({ length: 100 }, standby);
  const started = Date.now();
  const { error } = await outcome(retryUnavailable(300, {}, scripted(errors, [], seen)));
  assert.equal((error as FlightError).message, 'standby');
  // 50 + 100 ms of backoff fit in 300 ms; the next 200 would not.
  assert.equal(seen.length, 3);
  assert.ok(Date.now() - started < 1000);
  const timed: CallOptions[] = [];
  await outcome(retryUnavailable(60_000, { timeoutMs: 400 }, scripted(Array.from({ length: 100 }, standby), [], timed)));
  assert.equal(timed[0]!.timeoutMs, 400);
  assert.ok(timed.every((o, i) => i === 0 || o.timeoutMs! < timed[i - 1]!.timeoutMs!), JSON.stringify(timed));
  // Attempts at 0, 50, 150 and 350 ms; the next would start at 750, past the 400 ms deadline (one fewer on a stalled machine).
  assert.ok(timed.length === 4 || timed.length === 3, `${timed.length} attempts`);
  assert.equal((await outcome(retryUnavailable(0, {}, scripted([standby()], ['a'], [])))).responses.length, 0);
});
