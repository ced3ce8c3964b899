/** `flightcache serve`: runs one cache node until SIGINT/SIGTERM. */
import { loadServeConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { startCacheNode, type CacheNode } from '../node/cache-node.js';
import type { Command } from './main.js';

/** Stops the node on SIGINT/SIGTERM and exits 0 once it has drained. */
export function closeOnSignals(node: CacheNode): void {
  let closing = false;
  const stop = (): void => {
    if (closing) return;
    closing = true;
    node.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** The ready line tools and tests wait for. */
export function readyLine(url: string): string {
  return `flightcache ready ${url}`;
}

export const serveOptions = {
  host: { type: 'string' },
  port: { type: 'string' },
  memory: { type: 'string' },
  'http-port': { type: 'string' },
  user: { type: 'string' },
  password: { type: 'string' },
  'advertise-host': { type: 'string' },
  'default-dataset': { type: 'string' },
} as const;

export const serveCommand: Command = {
  options: serveOptions,
  async run(_positionals, flags) {
    const config = loadServeConfig(flags);
    const node = await startCacheNode({
      host: config.host,
      port: config.port,
      memoryBytes: config.memoryBytes,
      ...(config.httpPort !== undefined ? { httpPort: config.httpPort } : {}),
      ...(config.credentials ? { credentials: config.credentials } : {}),
      ...(config.advertiseHost !== undefined ? { advertiseHost: config.advertiseHost } : {}),
      ...(config.defaultDataset !== undefined ? { defaultDataset: config.defaultDataset } : {}),
      logger: createLogger('flightcache'),
    });
    closeOnSignals(node);
    process.stdout.write(readyLine(node.url) + '\n');
  },
};
