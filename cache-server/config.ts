/**
 * The one config loader: `serve` settings from command-line flags, falling back to FLIGHTCACHE_*
 * environment variables (what a Kubernetes manifest sets), then to defaults. Invalid values fail with
 * INVALID_ARGUMENT naming the setting.
 */
import { Code, FlightError } from './flight/errors.js';
import { parseSize } from './storage/size.js';
import type { Credentials } from './auth/token-auth.js';

/** Settings of a serving node. */
export interface ServeConfig {
  host: string;
  port: number;
  memoryBytes: number;
  httpPort: number | undefined;
  credentials: Credentials | undefined;
  advertiseHost: string | undefined;
  /** The dataset path [RANK, WORLD] reads when the node holds several. */
  defaultDataset: string | undefined;
}

/** Raw flag values as parsed from the command line. */
export type Flags = Record<string, string | boolean | undefined>;

/** Parses a TCP port (0 = any free port). */
export function parsePort(value: string, setting: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new FlightError(Code.INVALID_ARGUMENT, `${setting} must be a port number 0-65535, got "${value}"`);
  }
  return port;
}

/** Loads the serve settings from flags and environment. */
export function loadServeConfig(flags: Flags, env: NodeJS.ProcessEnv = process.env): ServeConfig {
  const get = (flag: string, envName: string): string | undefined => {
    const value = flags[flag];
    if (typeof value === 'string') return value;
    return env[envName] === '' ? undefined : env[envName];
  };
  const user = get('user', 'FLIGHTCACHE_USER');
  const password = get('password', 'FLIGHTCACHE_PASSWORD');
  if ((user === undefined) !== (password === undefined)) {
    throw new FlightError(Code.INVALID_ARGUMENT, '--user and --password must be given together');
  }
  const memory = get('memory', 'FLIGHTCACHE_MEMORY');
  const httpPort = get('http-port', 'FLIGHTCACHE_HTTP_PORT');
  return {
    host: get('host', 'FLIGHTCACHE_HOST') ?? '127.0.0.1',
    port: parsePort(get('port', 'FLIGHTCACHE_PORT') ?? '8815', '--port'),
    memoryBytes: memory === undefined ? Infinity : parseSize(memory),
    httpPort: httpPort === undefined ? undefined : parsePort(httpPort, '--http-port'),
    credentials: user !== undefined && password !== undefined ? { user, password } : undefined,
    advertiseHost: get('advertise-host', 'FLIGHTCACHE_ADVERTISE_HOST'),
    defaultDataset: get('default-dataset', 'FLIGHTCACHE_DEFAULT_DATASET'),
  };
}
