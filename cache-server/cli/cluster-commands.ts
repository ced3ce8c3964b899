/**
 * The cluster roles on the command line: `serve --shards N` (a coordinator plus N local shard
 * processes), `coordinator` and `shard` (one role each, for real clusters).
 */
import { defaultMemoryBytes, loadAuth, loadEventRateLimit, loadClusterConfig, loadLogLevel, loadServeConfig, loadTls, type Flags } from '../config.js';
import { parseSigningKeys, randomSigningKey } from '../auth/signing-keys.js';
import { createLogger, type Logger } from '../logger.js';
import { startCoordinator, type CoordinatorOptions } from '../cluster/coordinator.js';
import { startShard } from '../cluster/shard.js';
import { LocalShards, exitWithSupervisor } from '../cluster/local-shards.js';
import { closeOnSignals, readyLine, serveOptions } from './process-lifecycle.js';
import type { Command } from './main.js';

export const clusterOptions = {
  ...serveOptions,
  shards: { type: 'string' },
  replicas: { type: 'string' },
  'shard-list': { type: 'string' },
  'shard-dns': { type: 'string' },
  coordinator: { type: 'string' },
  id: { type: 'string' },
  'partition-size': { type: 'string' },
  'replace-after': { type: 'string' },
  'leader-lease': { type: 'string' },
  'leader-namespace': { type: 'string' },
  'leader-identity': { type: 'string' },
  'leader-lease-duration': { type: 'string' },
  kubeconfig: { type: 'string' },
} as const;

/**
 * The coordinator's options from the command line; `memoryBytes` overrides --memory for its staging
 * and `authKeys` the configured signing keys.
 */
function coordinatorOptions(flags: Flags, logger: Logger, memoryBytes?: number, authKeys?: Buffer[]): CoordinatorOptions {
  const config = loadServeConfig(flags);
  const cluster = loadClusterConfig(flags);
  const auth = loadAuth(config, authKeys ?? config.authKeys);
  const tls = loadTls(config);
  return {
    host: config.host,
    port: config.port,
    memoryBytes: memoryBytes ?? config.memoryBytes,
    replicas: cluster.replicas,
    requestLimits: config.requestLimits,
    maxStreams: config.maxStreams,
    logger,
    ...(config.httpPort !== undefined ? { httpPort: config.httpPort } : {}),
    ...(config.httpHost !== undefined ? { httpHost: config.httpHost } : {}),
    ...(auth ? { auth } : {}),
    ...(tls ? { tls } : {}),
    ...(config.advertiseHost !== undefined ? { advertiseHost: config.advertiseHost } : {}),
    ...(config.defaultDataset !== undefined ? { defaultDataset: config.defaultDataset } : {}),
    ...(cluster.shardList !== undefined ? { shardList: cluster.shardList } : {}),
    ...(cluster.shardDns !== undefined ? { shardDns: cluster.shardDns } : {}),
    ...(cluster.partitionBytes !== undefined ? { maxPartitionBytes: cluster.partitionBytes } : {}),
    ...(cluster.replaceAfterMs !== undefined ? { replaceAfterMs: cluster.replaceAfterMs } : {}),
    ...(cluster.leaderLease !== undefined ? { leaderLease: cluster.leaderLease } : {}),
  };
}

/** Runs a coordinator with N local shard processes; the ready line comes once every shard is live. */
export async function serveCluster(flags: Flags, shards: number): Promise<void> {
  const config = loadServeConfig(flags);
  const logger = createLogger('flightcache-coordinator', loadLogLevel(flags), loadEventRateLimit(flags));
  const given = typeof flags.memory === 'string' ? flags.memory : process.env.FLIGHTCACHE_MEMORY || undefined;
  // --memory is per process; without it the processes on this host share the default between them.
  const share = given === undefined ? Math.floor(defaultMemoryBytes() / (shards + 1)) : undefined;
  const memory = given ?? String(share);
  // Every process must sign with the same key: without a key file the shards get a fresh one in their environment.
  const authKey = config.authKeys === undefined && (config.credentials || config.credentialsFile !== undefined) ? randomSigningKey() : undefined;
  const keys = authKey === undefined ? undefined : parseSigningKeys(authKey, 'the generated signing key');
  const coordinator = await startCoordinator(coordinatorOptions(flags, logger, share, keys));
  // Limit, auth and TLS file flags reach the shards as flags (the shards present the same certificate
  // as servers and, to each other and the coordinator, as clients); the environment variables reach
  // them by inheritance.
  const passed = ['log-rate-limit', 'max-message', 'max-request', 'max-streams', 'credentials-file', 'auth-key-file', 'tls-cert', 'tls-key', 'tls-ca'];
  const limitFlags = passed.flatMap((flag) => (typeof flags[flag] === 'string' ? [`--${flag}`, flags[flag]] : []));
  const local = new LocalShards({
    count: shards,
    host: config.host,
    state: coordinator.state,
    logger,
    logLevel: logger.level,
    flags: limitFlags,
    memory,
    shmDir: config.shmDir ?? 'off',
    ...(config.spillDir !== undefined ? { spillDir: config.spillDir } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    ...(authKey ? { authKey } : {}),
  });
  closeOnSignals({ close: async () => Promise.all([local.close(), coordinator.close()]).then(() => undefined) });
  await local.start();
  process.stdout.write(readyLine(coordinator.url) + '\n');
}

export const coordinatorCommand: Command = {
  options: clusterOptions,
  async run(_positionals, flags) {
    const options = coordinatorOptions(flags, createLogger('flightcache-coordinator', loadLogLevel(flags), loadEventRateLimit(flags)));
    // A leader that lost the Lease exits, so that its supervisor restarts it as a fresh standby.
    const coordinator = await startCoordinator({ ...options, onLeadershipLost: () => process.exit(1) });
    closeOnSignals(coordinator);
    process.stdout.write(readyLine(coordinator.url) + '\n');
  },
};

export const shardCommand: Command = {
  options: clusterOptions,
  async run(_positionals, flags) {
    const config = loadServeConfig(flags);
    const cluster = loadClusterConfig(flags);
    const auth = loadAuth(config);
    const tls = loadTls(config);
    const shard = await startShard({
      host: config.host,
      port: config.port,
      memoryBytes: config.memoryBytes,
      requestLimits: config.requestLimits,
      maxStreams: config.maxStreams,
      logger: createLogger(`flightcache-shard${cluster.id ? `-${cluster.id}` : ''}`, loadLogLevel(flags), loadEventRateLimit(flags)),
      ...(config.httpPort !== undefined ? { httpPort: config.httpPort } : {}),
      ...(config.httpHost !== undefined ? { httpHost: config.httpHost } : {}),
      ...(auth ? { auth } : {}),
      ...(tls ? { tls } : {}),
      ...(config.advertiseHost !== undefined ? { advertiseHost: config.advertiseHost } : {}),
      ...(cluster.coordinator !== undefined ? { coordinator: cluster.coordinator } : {}),
      ...(cluster.id !== undefined ? { id: cluster.id } : {}),
      ...(config.shmDir !== undefined ? { shmDir: config.shmDir } : {}),
      ...(config.shmSocket !== undefined ? { shmSocket: config.shmSocket } : {}),
      ...(config.spillDir !== undefined ? { spillDir: config.spillDir } : {}),
    });
    closeOnSignals(shard);
    exitWithSupervisor(() => shard.close());
    process.stdout.write(readyLine(shard.url) + '\n');
  },
};
