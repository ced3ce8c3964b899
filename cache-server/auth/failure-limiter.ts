/**
 * Slows down password guessing: after `maxFailures` failed authentications from one host within
 * `windowMs`, further attempts from it fail with RESOURCE_EXHAUSTED until the oldest failure ages out.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';

/** Hosts tracked at most; past it the table starts over (an attacker spraying addresses gains little). */
const MAX_HOSTS = 10_000;

/** Failed authentications per host over a sliding window. */
export class FailureLimiter {
  readonly #failures = new Map<string, number[]>();

  constructor(
    readonly maxFailures = 5,
    readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws RESOURCE_EXHAUSTED while `host` has used up its failures. */
  check(host: string): void {
    const recent = this.#recent(host);
    if (recent.length < this.maxFailures) return;
    const retryMs = recent[0]! + this.windowMs - this.now();
    throw new FlightError(
      Code.RESOURCE_EXHAUSTED,
      `too many failed authentications from ${host}: ${recent.length} in ${this.windowMs / 1000} s; retry in ${Math.ceil(retryMs / 1000)} s`,
    );
  }

  /** Records a failed authentication from `host`. */
  fail(host: string): void {
    if (this.#failures.size >= MAX_HOSTS && !this.#failures.has(host)) this.#failures.clear();
    const recent = this.#recent(host);
    recent.push(this.now());
    this.#failures.set(host, recent);
  }

  /** The host's failures still inside the window, oldest first. */
  #recent(host: string): number[] {
    const since = this.now() - this.windowMs;
    const recent = (this.#failures.get(host) ?? []).filter((t) => t > since);
    if (recent.length === 0) this.#failures.delete(host);
    else this.#failures.set(host, recent);
    return recent;
  }
}
