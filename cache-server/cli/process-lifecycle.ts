/** What every long-running command shares: its flags, the ready line, and shutdown on signals. */
import type { CacheNode } from '../node/cache-node.js';

/** Stops the node on SIGINT/SIGTERM and exits 0 once it has drained. */
export function closeOnSignals(node: Pick<CacheNode, 'close'>): void {
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
  'shm-dir': { type: 'string' },
  'shm-socket': { type: 'string' },
  'spill-dir': { type: 'string' },
  'max-message': { type: 'string' },
  'max-request': { type: 'string' },
  'max-streams': { type: 'string' },
  'credentials-file': { type: 'string' },
  'auth-key-file': { type: 'string' },
  'http-host': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
  'log-level': { type: 'string' },
  'log-rate-limit': { type: 'string' },
} as const;

