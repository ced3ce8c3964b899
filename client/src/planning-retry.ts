/**
 * Retry of planning calls on UNAVAILABLE: a standby coordinator (or a new leader still taking over)
 * refuses them so, and a Service in front of the coordinators moves to the new leader within
 * seconds. Only calls that change nothing are retried, and only when the connection failed or was
 * lost (isConnectionFailure) or the server said it does not serve (NOT_SERVING_KEY): a server's own
 * UNAVAILABLE about its data (no live copy of a partition), or a TLS refusal, is its answer. The same address is called again, with
 * exponential backoff, until the retry window or the call's own deadline runs out.
 */
import { Code, FlightError } from './flight/errors.js';
import type { CallOptions } from './flight/grpc/method.js';
import { isConnectionFailure } from './flight/grpc/status.js';

/** How long planning calls are retried on UNAVAILABLE by default (ms): a Lease takeover takes under 5 s. */
export const DEFAULT_PLANNING_RETRY_MS = 15_000;

/** Actions that only read, so that running one twice is harmless: the ones retried on UNAVAILABLE. */
export const RETRY_SAFE_ACTIONS: ReadonlySet<string> = new Set(['stats', 'health', 'describe', 'tombstones']);

/** Trailer metadata key of an UNAVAILABLE from a coordinator that does not serve (now): its value says why (standby, taking-over, lost, learning). */
export const NOT_SERVING_KEY = 'flightcache-not-serving';

/** Whether a call that failed with `err` before its first response may be made again. */
export function retryable(err: unknown): boolean {
  return isConnectionFailure(err) || (err instanceof FlightError && err.code === Code.UNAVAILABLE && err.metadata[NOT_SERVING_KEY] !== undefined);
}

/** First pause between attempts and the most it grows to (ms). */
const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 1000;

/** Resolves after `ms`, or rejects when `signal` aborts first. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new FlightError(Code.CANCELLED, 'call cancelled'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Streams the responses of `attempt`, calling it again while it fails with UNAVAILABLE before its
 * first response, for at most `retryMs` (0: once) and within the call's `timeoutMs` (each attempt
 * gets what is left of it); the last error is thrown, as is any error after the first response.
 */
export async function* retryUnavailable<T>(retryMs: number, options: CallOptions, attempt: (options: CallOptions) => AsyncIterable<T>): AsyncIterable<T> {
  const started = Date.now();
  const deadline = options.timeoutMs === undefined ? undefined : started + options.timeoutMs;
  for (let backoff = FIRST_BACKOFF_MS; ; backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)) {
    const left = deadline === undefined ? undefined : deadline - Date.now();
    let answered = false;
    try {
      for await (const response of attempt(left === undefined ? options : { ...options, timeoutMs: Math.max(left, 1) })) {
        answered = true;
        yield response;
      }
      return;
    } catch (err) {
      const now = Date.now();
      if (answered || !retryable(err) || options.signal?.aborted || now + backoff - started > retryMs || (deadline !== undefined && now + backoff >= deadline)) throw err;
      await pause(backoff, options.signal);
    }
  }
}
