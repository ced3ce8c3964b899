/** The one logger of flightcache (pino). Logs go to stderr so that stdout stays for the ready line and results. */
import { pino, type Logger } from 'pino';

export type { Logger };

/** How many identical event lines (same event and reason) a logger writes per interval; the rest are counted. */
export interface EventRateLimit {
  lines: number;
  intervalMs: number;
}

/** Default event rate limit: a flood of one refusal costs at most 5 lines each 10 s. */
export const DEFAULT_EVENT_RATE_LIMIT: EventRateLimit = { lines: 5, intervalMs: 10_000 };

/** Per logger: the rate limit of its event lines and, per event and reason, the current interval. */
const limits = new WeakMap<Logger, { limit: EventRateLimit; windows: Map<string, { start: number; written: number; suppressed: number }> }>();

/**
 * Creates the process logger; level from FLIGHTCACHE_LOG_LEVEL (default info, silent under tests).
 * Its event lines are rate limited by `eventLimit` when given (the CLI passes config.ts's loadEventRateLimit).
 */
export function createLogger(name: string, level = process.env.FLIGHTCACHE_LOG_LEVEL ?? 'info', eventLimit?: EventRateLimit): Logger {
  const logger = pino({ name, level }, pino.destination(2));
  if (eventLimit) limits.set(logger, { limit: eventLimit, windows: new Map() });
  return logger;
}

/**
 * The significant events an operator greps for. Each is one JSON line whose `event` field is one of
 * these, with the fields that apply: `dataset`, `member`, `code` (a gRPC code name), `method`, `peer`.
 */
export type LogEvent =
  | 'member_added'
  | 'member_up'
  | 'member_down'
  | 'member_removed'
  | 'member_restarted'
  | 'failover'
  | 'member_replaced'
  | 'load_started'
  | 'load_done'
  | 'load_failed'
  | 'drop'
  | 'refused'
  | 'leader_serving'
  | 'leader_lost';

/**
 * The fields that make two lines of one event the same line repeated (its reason); the others (peer,
 * error text, counts, times) vary between repeats, so a flood from many connections is still one reason.
 */
const REASON_FIELDS = ['code', 'method', 'member', 'dataset'] as const;

/**
 * Logs one significant event at `level`. On a rate-limited logger, past the limit's lines per interval
 * for the same event and reason the line is counted instead of written, and the next line written for
 * that reason carries `suppressed`: how many were not.
 */
export function logEvent(logger: Logger, level: 'info' | 'warn' | 'error', event: LogEvent, fields: Record<string, unknown>, message: string): void {
  const limited = limits.get(logger);
  if (!limited || !logger.isLevelEnabled(level)) {
    logger[level]({ event, ...fields }, message);
    return;
  }
  const key = JSON.stringify([event, ...REASON_FIELDS.map((f) => fields[f] ?? null)]);
  const now = Date.now();
  let window = limited.windows.get(key);
  if (!window || now - window.start >= limited.limit.intervalMs) {
    // Windows whose interval ended and that owe no count are forgotten, so reasons do not pile up.
    for (const [k, w] of limited.windows) if (now - w.start >= limited.limit.intervalMs && w.suppressed === 0) limited.windows.delete(k);
    window = { start: now, written: 0, suppressed: window?.suppressed ?? 0 };
    limited.windows.set(key, window);
  }
  if (window.written >= limited.limit.lines) {
    window.suppressed++;
    return;
  }
  window.written++;
  const suppressed = window.suppressed;
  window.suppressed = 0;
  logger[level]({ event, ...fields, ...(suppressed > 0 ? { suppressed } : {}) }, message);
}

/** A logger that writes nothing, for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' });
