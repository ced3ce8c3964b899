import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { backoffMs, isTransientStatus, TransientError, withRetries } from './s3-retry.js';

const fast = { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 };

test('5xx, 429 and S3 throttling codes are transient; other 4xx are not', () => {
  assert.deepEqual([500, 502, 503, 504, 429].map((s) => isTransientStatus(s, '')), [true, true, true, true, true]);
  assert.deepEqual([isTransientStatus(400, 'RequestTimeout'), isTransientStatus(400, 'SlowDown'), isTransientStatus(400, 'InvalidArgument')], [true, true, false]);
  assert.deepEqual([403, 404, 412].map((s) => isTransientStatus(s, 'AccessDenied')), [false, false, false]);
});

test('backoff is full jitter below min(max, base * 2^attempt)', () => {
  const policy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1_000 };
  assert.deepEqual([0, 1, 2, 3, 4].map((a) => backoffMs(policy, a, () => 0.999999)), [99, 199, 399, 799, 999]);
  assert.equal(backoffMs(policy, 3, () => 0), 0);
});

test('withRetries retries transient failures until one succeeds', async () => {
  let calls = 0;
  const value = await withRetries(async () => {
    if (++calls < 3) throw new TransientError(new FlightError(Code.UNAVAILABLE, 'x: SlowDown (HTTP 503)'));
    return 'done';
  }, undefined, fast);
  assert.deepEqual([value, calls], ['done', 3]);
});

test('withRetries gives up after the policy\'s attempts naming them, and never retries other errors', async () => {
  let calls = 0;
  await assert.rejects(
    withRetries(async () => {
      calls++;
      throw new TransientError(new FlightError(Code.UNAVAILABLE, 'x: SlowDown (HTTP 503)'));
    }, undefined, fast),
    (err: unknown) => err instanceof FlightError && err.code === Code.UNAVAILABLE && err.message === 'x: SlowDown (HTTP 503) (gave up after 3 attempts)',
  );
  assert.equal(calls, 3);
  calls = 0;
  await assert.rejects(
    withRetries(async () => {
      calls++;
      throw new FlightError(Code.NOT_FOUND, 'x: NoSuchKey (HTTP 404)');
    }, undefined, fast),
    (err: unknown) => err instanceof FlightError && err.code === Code.NOT_FOUND,
  );
  assert.equal(calls, 1);
});

test('an abort during the pause between attempts ends the retries with the abort reason', async () => {
  const controller = new AbortController();
  const reason = new Error('load cancelled');
  const slow = { attempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 };
  const pending = withRetries(async () => {
    setImmediate(() => controller.abort(reason));
    throw new TransientError(new FlightError(Code.UNAVAILABLE, 'x'));
  }, controller.signal, slow);
  await assert.rejects(pending, (err: unknown) => err === reason);
});
