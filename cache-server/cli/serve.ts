/** `flightcache serve`: runs one cache node until SIGINT/SIGTERM. */
import { loadAuth, loadEventRateLimit, loadClusterConfig, loadLogLevel, loadServeConfig, loadTls } from '../config.js';
import { clusterOptions, serveCluster } from './cluster-commands.js';
import { createLogger } from '../logger.js';
import { startCacheNode } from '../node/cache-node.js';
import type { Command } from './main.js';
import { closeOnSignals, readyLine } from './process-lifecycle.js';

export const serveCommand: Command = {
  options: clusterOptions,
  async run(_positionals, flags) {
    const shards = loadClusterConfig(flags).shards;
    if (shards !== undefined) return serveCluster(flags, shards);
    const config = loadServeConfig(flags);
    const auth = loadAuth(config);
    const tls = loadTls(config);
    const node = await startCacheNode({
      host: config.host,
      port: config.port,
      memoryBytes: config.memoryBytes,
      requestLimits: config.requestLimits,
      maxStreams: config.maxStreams,
      ...(config.httpPort !== undefined ? { httpPort: config.httpPort } : {}),
      ...(config.httpHost !== undefined ? { httpHost: config.httpHost } : {}),
      ...(auth ? { auth } : {}),
      ...(tls ? { tls } : {}),
      ...(config.advertiseHost !== undefined ? { advertiseHost: config.advertiseHost } : {}),
      ...(config.defaultDataset !== undefined ? { defaultDataset: config.defaultDataset } : {}),
      ...(config.shmDir !== undefined ? { shmDir: config.shmDir } : {}),
      ...(config.shmSocket !== undefined ? { shmSocket: config.shmSocket } : {}),
      ...(config.spillDir !== undefined ? { spillDir: config.spillDir } : {}),
      logger: createLogger('flightcache', loadLogLevel(flags), loadEventRateLimit(flags)),
    });
    closeOnSignals(node);
    process.stdout.write(readyLine(node.url) + '\n');
  },
};
