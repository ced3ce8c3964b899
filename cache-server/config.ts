/**
 * The one config loader: `serve` settings from command-line flags, falling back to FLIGHTCACHE_*
 * environment variables (what a Kubernetes manifest sets), then to defaults. Invalid values fail with
 * INVALID_ARGUMENT naming the setting.
 */
import { existsSync, readFileSync, statSync, statfsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { hostname, totalmem } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { Code, FlightError } from '../client/src/flight/errors.js';
import { parseSize } from './storage/size.js';
import type { Credentials } from './auth/users.js';
import { loadSigningKeys, parseSigningKeys } from './auth/signing-keys.js';
import { createTokenAuth, type TokenAuth } from './auth/token-auth.js';
import { UserDirectory } from './auth/users.js';
import type { FlightRequestLimits } from '../client/src/flight/service.js';
import { DEFAULT_MAX_STREAMS } from '../client/src/flight/http2/settings.js';
import { TlsCredentials, type TlsFiles, type TlsMaterial } from '../client/src/flight/http2/tls.js';
import { DEFAULT_EVENT_RATE_LIMIT, type EventRateLimit } from './logger.js';
import type { LeaderLease } from './cluster/leadership.js';

/**
 * Default --max-message, the largest DoPut/DoExchange FlightData: 256 MiB holds a record batch of
 * several million rows; writers split tables into batches far smaller (pyarrow: 64 Ki rows a batch
 * by default), and one bigger message is buffered whole before it can be stored.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/**
 * Default --max-request, the largest GetFlightInfo/PollFlightInfo/GetSchema command, DoAction body
 * and DoGet ticket: 4 MiB holds a resume command with ~20000 cursors, a describe action naming
 * ~50000 partitions, or a shuffled ticket naming ~250000 batches. Handshake, ListFlights and
 * ListActions take 1/64 of it (64 KiB): a payload, a name prefix, nothing.
 */
export const DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/** Share of the available memory --memory defaults to: the rest is the process's own (heap, sockets, buffers). */
export const DEFAULT_MEMORY_SHARE = 0.8;

/** A cgroup limit at or above this (cgroup v1 writes 2^63 rounded to pages for "none") is no limit. */
const NO_CGROUP_LIMIT = 2 ** 62;

/** Reads a file, or undefined when it cannot be read. */
function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The memory limit of this process's cgroup in bytes (v2 memory.max, else v1 memory.limit_in_bytes),
 * or undefined when there is none. Looks in the cgroup /proc/self/cgroup names, then at the root
 * of the mount (what a container with its own cgroup namespace sees).
 */
export function cgroupMemoryLimit(root = '/sys/fs/cgroup', procCgroup = '/proc/self/cgroup'): number | undefined {
  const lines = (readOptional(procCgroup) ?? '').split('\n');
  const v2Path = lines.find((line) => line.startsWith('0::'))?.slice(3) ?? '/';
  const v1Path = lines.map((line) => line.split(':')).find((parts) => parts[1]?.split(',').includes('memory'))?.[2] ?? '/';
  const candidates = [join(root, v2Path, 'memory.max'), join(root, 'memory.max'), join(root, 'memory', v1Path, 'memory.limit_in_bytes'), join(root, 'memory', 'memory.limit_in_bytes')];
  for (const path of candidates) {
    const text = readOptional(path)?.trim();
    if (text === undefined) continue;
    const bytes = Number(text);
    return text === 'max' || !Number.isSafeInteger(bytes) || bytes >= NO_CGROUP_LIMIT ? undefined : bytes;
  }
  return undefined;
}

/** The default --memory: DEFAULT_MEMORY_SHARE of the cgroup limit or of physical memory, whichever is smaller. */
export function defaultMemoryBytes(cgroupLimit = cgroupMemoryLimit(), physical = totalmem()): number {
  return Math.floor(DEFAULT_MEMORY_SHARE * Math.min(cgroupLimit ?? Infinity, physical));
}

/** The largest message the gRPC framing accepts (2 GiB - 1). */
const MAX_FRAME_MESSAGE_BYTES = 2 ** 31 - 1;

/** The request limits of a serving process, each naming the setting that raises it. */
export function requestLimits(maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES, maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES): FlightRequestLimits {
  return {
    data: { bytes: maxMessageBytes, raisedBy: '--max-message (FLIGHTCACHE_MAX_MESSAGE)' },
    control: { bytes: maxRequestBytes, raisedBy: '--max-request (FLIGHTCACHE_MAX_REQUEST)' },
  };
}

/** Settings of a serving node. */
export interface ServeConfig {
  host: string;
  port: number;
  memoryBytes: number;
  httpPort: number | undefined;
  credentials: Credentials | undefined;
  /** A credentials file: users with password hashes and scopes. */
  credentialsFile: string | undefined;
  /** Token signing keys (--auth-key-file; FLIGHTCACHE_AUTH_KEY holds a key itself, for supervised shards). */
  authKeys: Buffer[] | undefined;
  /** Where the ops HTTP server listens, when not on --host (then it needs no token). */
  httpHost: string | undefined;
  advertiseHost: string | undefined;
  /** The dataset path [RANK, WORLD] reads when the node holds several. */
  defaultDataset: string | undefined;
  /** Request message limits (--max-message, --max-request). */
  requestLimits: FlightRequestLimits;
  /** Calls one connection may have open at once (--max-streams). */
  maxStreams: number;
  /** Directory of shared-memory storage and the same-host socket; undefined: private memory (`off`). */
  shmDir: string | undefined;
  /** The same-host socket path (default: derived from shmDir and the port). */
  shmSocket: string | undefined;
  /** The disk tier's directory (--spill-dir): datasets spill there instead of a put failing; undefined: no disk tier. */
  spillDir: string | undefined;
  /** Serve TLS from these files (--tls-cert, --tls-key; with --tls-ca, mTLS); absent: plaintext. */
  tls: TlsFiles | undefined;
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
  /** The Lease a coordinator must hold to serve (--leader-lease): active/standby coordinators; undefined: always active. */
  leaderLease: LeaderLease | undefined;
}

/** Default --leader-lease-duration: a standby serves within 5 s of the leader's loss (lease + lease/5 + taking over). */
export const DEFAULT_LEADER_LEASE_SECONDS = 3;

/**
 * The Lease of --leader-lease NAME, in --leader-namespace (else $POD_NAMESPACE, else default), held as
 * --leader-identity (else $POD_NAME, else host name and a random suffix) for --leader-lease-duration
 * whole seconds, through --kubeconfig (else the Kubernetes client's default: $KUBECONFIG, ~/.kube/config, in-cluster).
 */
function leaderLease(get: (flag: string, envName: string) => string | undefined, env: NodeJS.ProcessEnv): LeaderLease | undefined {
  const name = get('leader-lease', 'FLIGHTCACHE_LEADER_LEASE');
  const duration = get('leader-lease-duration', 'FLIGHTCACHE_LEADER_LEASE_DURATION');
  const kubeconfig = get('kubeconfig', 'FLIGHTCACHE_KUBECONFIG');
  if (name === undefined) {
    const stray = [duration && '--leader-lease-duration', kubeconfig && '--kubeconfig', get('leader-namespace', 'FLIGHTCACHE_LEADER_NAMESPACE') && '--leader-namespace', get('leader-identity', 'FLIGHTCACHE_LEADER_IDENTITY') && '--leader-identity'].filter(Boolean);
    if (stray.length > 0) throw new FlightError(Code.INVALID_ARGUMENT, `${stray.join(', ')} ${stray.length === 1 ? 'needs' : 'need'} --leader-lease NAME (FLIGHTCACHE_LEADER_LEASE)`);
    return undefined;
  }
  const ms = duration === undefined ? DEFAULT_LEADER_LEASE_SECONDS * 1000 : parseDuration(duration, '--leader-lease-duration');
  if (ms < 1000 || ms % 1000 !== 0) throw new FlightError(Code.INVALID_ARGUMENT, `--leader-lease-duration must be whole seconds, at least 1s, got "${duration}"`);
  const nonEmpty = (value: string | undefined): string | undefined => (value === '' ? undefined : value);
  return {
    name,
    namespace: get('leader-namespace', 'FLIGHTCACHE_LEADER_NAMESPACE') ?? nonEmpty(env.POD_NAMESPACE) ?? 'default',
    identity: get('leader-identity', 'FLIGHTCACHE_LEADER_IDENTITY') ?? nonEmpty(env.POD_NAME) ?? `${hostname()}_${randomUUID()}`,
    leaseSeconds: ms / 1000,
    ...(kubeconfig === undefined ? {} : { kubeconfig }),
  };
}

/** The levels --log-level accepts (pino's), most to least severe. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The log level from --log-level, else FLIGHTCACHE_LOG_LEVEL, else info. */
export function loadLogLevel(flags: Flags, env: NodeJS.ProcessEnv = process.env): string {
  const level = setting(flags, env, 'log-level', 'FLIGHTCACHE_LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new FlightError(Code.INVALID_ARGUMENT, `--log-level (FLIGHTCACHE_LOG_LEVEL) must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
  }
  return level;
}

/**
 * The event-line rate limit from --log-rate-limit (FLIGHTCACHE_LOG_RATE_LIMIT) as `LINES/INTERVAL`
 * (`5/10s`: at most 5 identical event lines each 10 s), `off` for none; default DEFAULT_EVENT_RATE_LIMIT.
 */
export function loadEventRateLimit(flags: Flags, env: NodeJS.ProcessEnv = process.env): EventRateLimit | undefined {
  const text = setting(flags, env, 'log-rate-limit', 'FLIGHTCACHE_LOG_RATE_LIMIT');
  if (text === undefined) return DEFAULT_EVENT_RATE_LIMIT;
  if (text.trim().toLowerCase() === 'off') return undefined;
  const [lines, interval, extra] = text.split('/');
  const problem = `--log-rate-limit (FLIGHTCACHE_LOG_RATE_LIMIT) must be LINES/INTERVAL such as 5/10s, or off, got "${text}"`;
  if (lines === undefined || interval === undefined || extra !== undefined) throw new FlightError(Code.INVALID_ARGUMENT, problem);
  const intervalMs = parseDuration(interval, '--log-rate-limit');
  if (!/^\d+$/.test(lines) || Number(lines) < 1 || intervalMs === 0) throw new FlightError(Code.INVALID_ARGUMENT, problem);
  return { lines: Number(lines), intervalMs };
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

/** Parses a size setting that must lie within [min, max] bytes. */
function parseBoundedSize(value: string, setting: string, min: number, max: number): number {
  const bytes = parseSize(value);
  if (bytes < min || bytes > max) {
    throw new FlightError(Code.INVALID_ARGUMENT, `${setting} must be between ${min} and ${max} bytes, got "${value}" (${bytes} bytes)`);
  }
  return bytes;
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
    leaderLease: leaderLease(get, env),
  };
}

/** The authentication a serving process runs with (its users, its keys), or undefined when it has no users: open. */
export function loadAuth(config: ServeConfig, keys = config.authKeys): TokenAuth | undefined {
  if (!config.credentials && config.credentialsFile === undefined) return undefined;
  const users =
    config.credentialsFile === undefined ? new UserDirectory(config.credentials) : UserDirectory.fromFile(config.credentials, config.credentialsFile);
  return createTokenAuth(users, keys);
}

/** The signing keys of a key file, else of a key given in the environment, else undefined. */
function authKeys(file: string | undefined, key: string | undefined): Buffer[] | undefined {
  if (file !== undefined) return loadSigningKeys(file);
  return key === undefined || key === '' ? undefined : parseSigningKeys(key, 'FLIGHTCACHE_AUTH_KEY');
}

/** The TLS files of --tls-cert, --tls-key and --tls-ca (FLIGHTCACHE_TLS_CERT/KEY/CA); undefined when none is given. */
function tlsFiles(cert: string | undefined, key: string | undefined, ca: string | undefined): TlsFiles | undefined {
  if (cert === undefined && key === undefined && ca === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    throw new FlightError(Code.INVALID_ARGUMENT, '--tls-cert and --tls-key (FLIGHTCACHE_TLS_CERT, FLIGHTCACHE_TLS_KEY) must be given together; --tls-ca needs both');
  }
  return { cert, key, ...(ca === undefined ? {} : { ca }) };
}

/** The TLS credentials a serving process runs with (files read now, reloaded by its server), or undefined: plaintext. */
export function loadTls(config: ServeConfig): TlsCredentials | undefined {
  return config.tls && new TlsCredentials(config.tls);
}

/**
 * The TLS material of a client from --tls-ca (roots; default the system's), --tls-cert and --tls-key
 * (a client certificate, for mTLS) or FLIGHTCACHE_TLS_CA/CERT/KEY; undefined when none is given.
 */
export function loadClientTls(flags: Flags, env: NodeJS.ProcessEnv = process.env): TlsMaterial | undefined {
  const get = (flag: string, envName: string): string | undefined => setting(flags, env, flag, envName);
  const [ca, cert, key] = [get('tls-ca', 'FLIGHTCACHE_TLS_CA'), get('tls-cert', 'FLIGHTCACHE_TLS_CERT'), get('tls-key', 'FLIGHTCACHE_TLS_KEY')];
  if ((cert === undefined) !== (key === undefined)) {
    throw new FlightError(Code.INVALID_ARGUMENT, '--tls-cert and --tls-key (FLIGHTCACHE_TLS_CERT, FLIGHTCACHE_TLS_KEY) must be given together');
  }
  if (ca === undefined && cert === undefined) return undefined;
  const read = (path: string, name: string): Buffer => {
    const text = readOptional(path);
    if (text === undefined) throw new FlightError(Code.INVALID_ARGUMENT, `${name} ${path} cannot be read`);
    return Buffer.from(text);
  };
  return {
    ...(ca === undefined ? {} : { ca: read(ca, '--tls-ca') }),
    ...(cert === undefined || key === undefined ? {} : { cert: read(cert, '--tls-cert'), key: read(key, '--tls-key') }),
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
  const maxMessage = get('max-message', 'FLIGHTCACHE_MAX_MESSAGE');
  const maxRequest = get('max-request', 'FLIGHTCACHE_MAX_REQUEST');
  const maxStreams = get('max-streams', 'FLIGHTCACHE_MAX_STREAMS');
  const memoryBytes = memory === undefined ? defaultMemoryBytes() : parseSize(memory);
  return {
    host: get('host', 'FLIGHTCACHE_HOST') ?? '127.0.0.1',
    port: parsePort(get('port', 'FLIGHTCACHE_PORT') ?? '8815', '--port'),
    memoryBytes,
    httpPort: httpPort === undefined ? undefined : parsePort(httpPort, '--http-port'),
    credentials: user !== undefined && password !== undefined ? { user, password } : undefined,
    credentialsFile: get('credentials-file', 'FLIGHTCACHE_CREDENTIALS_FILE'),
    authKeys: authKeys(get('auth-key-file', 'FLIGHTCACHE_AUTH_KEY_FILE'), env.FLIGHTCACHE_AUTH_KEY),
    httpHost: get('http-host', 'FLIGHTCACHE_HTTP_HOST'),
    advertiseHost: get('advertise-host', 'FLIGHTCACHE_ADVERTISE_HOST'),
    defaultDataset: get('default-dataset', 'FLIGHTCACHE_DEFAULT_DATASET'),
    requestLimits: requestLimits(
      maxMessage === undefined ? undefined : parseBoundedSize(maxMessage, '--max-message', 64 * 1024, MAX_FRAME_MESSAGE_BYTES),
      // At least 64 KiB, so that Handshake keeps 1 KiB.
      maxRequest === undefined ? undefined : parseBoundedSize(maxRequest, '--max-request', 64 * 1024, MAX_FRAME_MESSAGE_BYTES),
    ),
    maxStreams: maxStreams === undefined ? DEFAULT_MAX_STREAMS : parseCount(maxStreams, '--max-streams', 65_535),
    shmDir: parseShmDir(get('shm-dir', 'FLIGHTCACHE_SHM_DIR'), memoryBytes),
    shmSocket: get('shm-socket', 'FLIGHTCACHE_SHM_SOCKET'),
    spillDir: parseSpillDir(get('spill-dir', 'FLIGHTCACHE_SPILL_DIR')),
    tls: tlsFiles(get('tls-cert', 'FLIGHTCACHE_TLS_CERT'), get('tls-key', 'FLIGHTCACHE_TLS_KEY'), get('tls-ca', 'FLIGHTCACHE_TLS_CA')),
  };
}

/** An existing directory, as an absolute path. */
function parseSpillDir(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!isAbsolute(value) || !existsSync(value) || !statSync(value).isDirectory()) {
    throw new FlightError(Code.INVALID_ARGUMENT, `--spill-dir must be the absolute path of an existing directory, got "${value}"`);
  }
  return value;
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
