/**
 * Bounded retries with exponential backoff for S3 requests: transient failures (HTTP 5xx, 429,
 * throttling codes, connections reset or refused mid-request) are tried again after a jittered,
 * doubling pause; when the attempts run out the error says how many were made.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';

/** How often and how patiently a request is retried. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** The policy of every S3 request: 5 attempts, pauses of up to 0.1, 0.2, 0.4, 0.8 s (AWS SDK "standard" mode's shape). */
export const S3_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 2_000 };

/** A failure worth another attempt; `withRetries` rethrows its error when the attempts run out. */
export class TransientError extends Error {
  constructor(readonly error: FlightError) {
    super(error.message);
    this.name = 'TransientError';
  }
}

/** S3 error codes that say "try again" (besides any 5xx or 429 status). */
const THROTTLING = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestTimeout', 'RequestTimeTooSkewed', 'InternalError', 'ServiceUnavailable']);

/** True when an S3 error response (status and `<Code>`) is transient. */
export function isTransientStatus(status: number, code: string): boolean {
  return status >= 500 || status === 429 || THROTTLING.has(code);
}

/** Full-jitter backoff: a random pause below min(max, base * 2^attempt). */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt));
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener('abort', abort);
      resolve();
    }
    function abort(): void {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener('abort', abort, { once: true });
  });

/** Runs `attempt` until it succeeds, throws a non-transient error, or `policy.attempts` transient failures: then UNAVAILABLE naming the count. */
export async function withRetries<T>(attempt: () => Promise<T>, signal?: AbortSignal, policy: RetryPolicy = S3_RETRY): Promise<T> {
  for (let made = 1; ; made++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof TransientError)) throw err;
      if (made >= policy.attempts) {
        const code = err.error.code === Code.UNKNOWN ? Code.UNAVAILABLE : err.error.code;
        throw new FlightError(code, `${err.error.message} (gave up after ${made} attempts)`);
      }
      await sleep(backoffMs(policy, made - 1), signal);
    }
  }
}
