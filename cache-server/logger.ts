/** The one logger of flightcache (pino). Logs go to stderr so that stdout stays for the ready line and results. */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Creates the process logger; level from FLIGHTCACHE_LOG_LEVEL (default info, silent under tests). */
export function createLogger(name: string, level = process.env.FLIGHTCACHE_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level }, pino.destination(2));
}

/** A logger that writes nothing, for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' });
