/**
 * The cluster roles on the command line: `serve --shards N` (a coordinator plus N local shard
 * processes), `coordinator` and `shard` (one role each, for real clusters).
 */
import { loadClusterConfig, loadServeConfig, type Flags } from '../config.js';
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
} as const;

/** The coordinator's options from the command line. */
function coordinatorOptions(flags: Flags, logger: Logger): CoordinatorOptions {
  const config = loadServeConfig(flags);
  const cluster = loadClusterConfig(flags);
  return {
    host: config.host,
    port: config.port,
    replicas: cluster.replicas,
    logger,
    ...(config.httpPort !== undefined ? { httpPort: config.httpPort } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    ...(config.advertiseHost !== undefined ? { advertiseHost: config.advertiseHost } : {}),
    ...(config.defaultDataset !== undefined ? { defaultDataset: config.defaultDataset } : {}),
    ...(cluster.shardList !== undefined ? { shardList: cluster.shardList } : {}),
    ...(cluster.shardDns !== undefined ? { shardDns: cluster.shardDns } : {}),
    ...(cluster.partitionBytes !== undefined ? { maxPartitionBytes: cluster.partitionBytes } : {}),
    ...(cluster.replaceAfterMs !== undefined ? { replaceAfterMs: cluster.replaceAfterMs } : {}),
  };
}

/** Runs a coordinator with N local shard processes; the ready line comes once every shard is live. */
export async function serveCluster(flags: Flags, shards: number): Promise<void> {
  const config = loadServeConfig(flags);
  const logger = createLogger('flightcache-coordinator');
  const coordinator = await startCoordinator(coordinatorOptions(flags, logger));
  const memory = typeof flags.memory === 'string' ? flags.memory : process.env.FLIGHTCACHE_MEMORY || undefined;
  const local = new LocalShards({
    count: shards,
    host: config.host,
    state: coordinator.state,
    logger,
    ...(memory ? { memory } : {}),
    shmDir: config.shmDir ?? 'off',
    ...(config.credentials ? { credentials: config.credentials } : {}),
  });
  closeOnSignals({ close: async () => Promise.all([local.close(), coordinator.close()]).then(() => undefined) });
  await local.start();
  process.stdout.write(readyLine(coordinator.url) + '\n');
}

export const coordinatorCommand: Command = {
  options: clusterOptions,
  async run(_positionals, flags) {
    const coordinator = await startCoordinator(coordinatorOptions(flags, createLogger('flightcache-coordinator')));
    closeOnSignals(coordinator);
    process.stdout.write(readyLine(coordinator.url) + '\n');
  },
};

export const shardCommand: Command = {
  options: clusterOptions,
  async run(_positionals, flags) {
    const config = loadServeConfig(flags);
    const cluster = loadClusterConfig(flags);
    const shard = await startShard({
      host: config.host,
      port: config.port,
      memoryBytes: config.memoryBytes,
      logger: createLogger(`flightcache-shard${cluster.id ? `-${cluster.id}` : ''}`),
      ...(config.httpPort !== undefined ? { httpPort: config.httpPort } : {}),
      ...(config.credentials ? { credentials: config.credentials } : {}),
      ...(config.advertiseHost !== undefined ? { advertiseHost: config.advertiseHost } : {}),
      ...(cluster.coordinator !== undefined ? { coordinator: cluster.coordinator } : {}),
      ...(cluster.id !== undefined ? { id: cluster.id } : {}),
      ...(config.shmDir !== undefined ? { shmDir: config.shmDir } : {}),
      ...(config.shmSocket !== undefined ? { shmSocket: config.shmSocket } : {}),
    });
    closeOnSignals(shard);
    exitWithSupervisor(() => shard.close());
    process.stdout.write(readyLine(shard.url) + '\n');
  },
};
