/**
 * A cluster shard: a cache node that can copy partitions from its peers (`fetch`) and, when given a
 * coordinator, registers with it and re-registers every few seconds (so a restarted coordinator
 * relearns it). Liveness itself is the coordinator's probing.
 */
import { startCacheNode, type CacheNode, type CacheNodeOptions } from '../node/cache-node.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { PeerClients } from './peer-clients.js';

/** How to start a shard. */
export interface ShardOptions extends Omit<CacheNodeOptions, 'peer'> {
  /** The coordinator to register with (grpc://host:port or grpc+tls://host:port). */
  coordinator?: string;
  /** Member id; default: the shard's location. */
  id?: string;
  registerEveryMs?: number;
}

/** Starts a shard; resolves once it accepts calls. */
export async function startShard(options: ShardOptions): Promise<CacheNode> {
  const logger: Logger = options.logger ?? silentLogger;
  const auth = options.auth;
  const peers = new PeerClients(auth && (() => auth.clusterToken()), options.tls);
  const node = await startCacheNode({ ...options, peer: (location) => peers.get(location) });
  const id = options.id ?? node.url;
  let timer: NodeJS.Timeout | undefined;
  if (options.coordinator) {
    const coordinator = options.coordinator;
    const register = (): void => {
      peers
        .get(coordinator)
        .then((client) => client.action('register', JSON.stringify({ id, location: node.url, pid: process.pid }), { timeoutMs: 2000 }))
        .catch((err: unknown) => logger.warn({ coordinator, err: err instanceof Error ? err.message : String(err) }, 'registration failed; retrying'));
    };
    register();
    timer = setInterval(register, options.registerEveryMs ?? 3000);
    timer.unref();
  }
  return {
    ...node,
    async close() {
      if (timer) clearInterval(timer);
      peers.close();
      await node.close();
    },
  };
}
