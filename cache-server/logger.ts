/** The one logger of flightcache (pino). Logs go to stderr so that stdout stays for the ready line and results. */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Creates the process logger; level from FLIGHTCACHE_LOG_LEVEL (default info, silent under tests). */
export function createLogger(name: string, level = process.env.FLIGHTCACHE_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level }, pino.destination(2));
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
  | 'refused';

/** Logs one significant event at `level`. */
export function logEvent(logger: Logger, level: 'info' | 'warn' | 'error', event: LogEvent, fields: Record<string, unknown>, message: string): void {
  logger[level]({ event, ...fields }, message);
}

/** A logger that writes nothing, for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' });
