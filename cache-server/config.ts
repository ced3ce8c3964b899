/**
 * The one config loader: `serve` settings from command-line flags, falling back to FLIGHTCACHE_*
 * environment variables (what a Kubernetes manifest sets), then to defaults. Invalid values fail with
 * INVALID_ARGUMENT naming the setting.
 */
import { statfsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
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
  /** Directory of shared-memory storage and the same-host socket; undefined: private memory (`off`). */
  shmDir: string | undefined;
  /** The same-host socket path (default: derived from shmDir and the port). */
  shmSocket: string | undefined;
}

/** Where shared-memory storage goes unless --shm-dir says otherwise: the host's tmpfs, when it is large enough. */
export const DEFAULT_SHM_DIR = '/dev/shm';

/** Without a memory limit the default /dev/shm must hold at least this (a container's usual 64 MiB would cap the node). */
export const MIN_DEFAULT_SHM_BYTES = 1024 ** 3;

/** Cluster settings of `serve --shards`, `coordinator` and `shard`. */
export interface ClusterConfig {
  /** Local shard processes `serve` runs (undefined: a single node). */
  shards: number | undefined;
  replicas: number;
  shardList: string | undefined;
  shardDns: string | undefined;
  /** The coordinator a shard registers with. */
  coordinator: string | undefined;
  /** A shard's member id. */
  id: string | undefined;
  /** Upper bound on a partition's bytes (puts through the coordinator). */
  partitionBytes: number | undefined;
  /** How long a member stays down before it is replaced, in ms (0: never; undefined: the coordinator's default). */
  replaceAfterMs: number | undefined;
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

/** A flag's value, else the environment variable's (empty means unset). */
function setting(flags: Flags, env: NodeJS.ProcessEnv, flag: string, envName: string): string | undefined {
  const value = flags[flag];
  if (typeof value === 'string') return value;
  return env[envName] === '' ? undefined : env[envName];
}

/** Parses a positive count setting. */
function parseCount(value: string, setting: string, max: number): number {
  const count = Number(value);
  if (!/^\d+$/.test(value) || count < 1 || count > max) {
    throw new FlightError(Code.INVALID_ARGUMENT, `${setting} must be an integer 1-${max}, got "${value}"`);
  }
  return count;
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a duration like `500ms`, `30s`, `2m`, `1h` (a bare number is seconds) into ms; `0` and `off` give 0. */
export function parseDuration(text: string, setting: string): number {
  const value = text.trim().toLowerCase();
  if (value === 'off') return 0;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value);
  const ms = match ? Math.round(Number(match[1]) * DURATION_UNITS_MS[match[2] ?? 's']!) : NaN;
  if (!Number.isSafeInteger(ms) || ms > 2_147_483_647) {
    throw new FlightError(Code.INVALID_ARGUMENT, `${setting} must be a duration such as 30s, 2m or 500ms (0 or off: never), got "${text}"`);
  }
  return ms;
}

/** Loads the cluster settings from flags and environment. */
export function loadClusterConfig(flags: Flags, env: NodeJS.ProcessEnv = process.env): ClusterConfig {
  const get = (flag: string, envName: string): string | undefined => setting(flags, env, flag, envName);
  const partitionSize = get('partition-size', 'FLIGHTCACHE_PARTITION_SIZE');
  const replaceAfter = get('replace-after', 'FLIGHTCACHE_REPLACE_AFTER');
  const shardsText = get('shards', 'FLIGHTCACHE_SHARDS');
  const shards = shardsText === undefined ? undefined : parseCount(shardsText, '--shards', 256);
  const replicasText = get('replicas', 'FLIGHTCACHE_REPLICAS');
  const replicas = replicasText === undefined ? Math.min(2, shards ?? 1) : parseCount(replicasText, '--replicas', 16);
  if (shards !== undefined && replicas > shards) {
    throw new FlightError(Code.INVALID_ARGUMENT, `--replicas ${replicas} needs at least that many shards, got --shards ${shards}`);
  }
  return {
    shards,
    replicas,
    shardList: get('shard-list', 'FLIGHTCACHE_SHARD_LIST'),
    shardDns: get('shard-dns', 'FLIGHTCACHE_SHARD_DNS'),
    coordinator: get('coordinator', 'FLIGHTCACHE_COORDINATOR'),
    id: get('id', 'FLIGHTCACHE_ID'),
    partitionBytes: partitionSize === undefined ? undefined : parseSize(partitionSize),
    replaceAfterMs: replaceAfter === undefined ? undefined : parseDuration(replaceAfter, '--replace-after'),
  };
}

/** Loads the serve settings from flags and environment. */
export function loadServeConfig(flags: Flags, env: NodeJS.ProcessEnv = process.env): ServeConfig {
  const get = (flag: string, envName: string): string | undefined => setting(flags, env, flag, envName);
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
    shmDir: parseShmDir(get('shm-dir', 'FLIGHTCACHE_SHM_DIR'), memory === undefined ? Infinity : parseSize(memory)),
    shmSocket: get('shm-socket', 'FLIGHTCACHE_SHM_SOCKET'),
  };
}

/** `off` (private memory), a directory, or the default (defaultShmDir). */
function parseShmDir(value: string | undefined, memoryBytes: number): string | undefined {
  if (value === undefined) return defaultShmDir(memoryBytes);
  if (value.trim().toLowerCase() === 'off') return undefined;
  if (!isAbsolute(value)) throw new FlightError(Code.INVALID_ARGUMENT, `--shm-dir must be an absolute directory path or off, got "${value}"`);
  return value;
}

/** Bytes a file system can hold, or undefined when it is not there. */
function capacityOf(directory: string): number | undefined {
  try {
    const stats = statfsSync(directory);
    return stats.blocks * stats.bsize;
  } catch {
    return undefined;
  }
}

/**
 * /dev/shm when it exists and holds the memory limit (MIN_DEFAULT_SHM_BYTES without one), else
 * undefined (private memory): a node must not fail puts at a small container tmpfs it was not told about.
 */
export function defaultShmDir(memoryBytes: number, capacity: (directory: string) => number | undefined = capacityOf): string | undefined {
  const available = capacity(DEFAULT_SHM_DIR);
  const needed = Number.isFinite(memoryBytes) ? memoryBytes : MIN_DEFAULT_SHM_BYTES;
  return available !== undefined && available >= needed ? DEFAULT_SHM_DIR : undefined;
}
