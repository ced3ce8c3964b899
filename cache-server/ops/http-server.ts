/**
 * The HTTP ops endpoints of a node: /healthz (process alive), /readyz (accepting Flight calls),
 * /metrics (Prometheus text), /stats (JSON). Kubernetes probes and scrapers use these. With an
 * `authorize` check, /metrics and /stats (which name datasets) need `authorization: Bearer TOKEN`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { NodeStats } from '../node/node-actions.js';

/** What the ops server reads from its node. */
export interface OpsSource {
  ready(): boolean;
  stats(): NodeStats;
  /** Extra lines for /readyz (a coordinator lists its members). */
  describe?(): string;
  /** Throws a FlightError unless the authorization header (from host:port `peer`) may read /metrics and /stats. */
  authorize?(authorization: string | undefined, peer: string): void;
}

/** The HTTP answer to a refused authorization: 429 while rate-limited, else 401. */
function refusal(err: unknown): [number, string] {
  const error = FlightError.from(err);
  return [error.code === Code.RESOURCE_EXHAUSTED ? 429 : 401, `${error.codeName}: ${error.message}\n`];
}

/** Renders node statistics in the Prometheus text exposition format. */
export function renderMetrics(stats: NodeStats): string {
  const lines: string[] = [];
  const gauge = (name: string, help: string, samples: Array<[string, number]>): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  const label = (name: string): string => `{dataset="${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"}`;
  gauge('flightcache_datasets', 'Datasets held by this node.', [['', stats.datasets.length]]);
  gauge('flightcache_dataset_rows', 'Rows per dataset.', stats.datasets.map((d) => [label(d.name), d.rows]));
  gauge('flightcache_dataset_bytes', 'Arrow body bytes per dataset.', stats.datasets.map((d) => [label(d.name), d.bytes]));
  gauge('flightcache_memory_used_bytes', 'Bytes charged to the memory limit.', [['', stats.memory.usedBytes]]);
  if (stats.memory.limitBytes !== null) {
    gauge('flightcache_memory_limit_bytes', 'The memory limit.', [['', stats.memory.limitBytes]]);
  }
  gauge('flightcache_native_live_bytes', 'Native bytes not yet freed.', [['', stats.memory.nativeLiveBytes]]);
  gauge('flightcache_process_resident_bytes', 'Resident set size of the process.', [['', stats.memory.rssBytes]]);
  if (stats.sameHost) {
    gauge('flightcache_shm_bytes', 'Stored bytes in shared memory.', [['', stats.sameHost.shmBytes]]);
    gauge('flightcache_shm_held_bytes', 'Bytes of dropped datasets that same-host readers still hold.', [['', stats.sameHost.heldBytes]]);
    gauge('flightcache_same_host_connections', 'Open same-host reader connections.', [['', stats.sameHost.connections]]);
  }
  return lines.join('\n') + '\n';
}

/** Starts the ops HTTP server; resolves with its port. */
export async function startOpsServer(
  source: OpsSource,
  host: string,
  port: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, 'text/plain', 'method not allowed\n');
    if ((path === '/metrics' || path === '/stats') && source.authorize) {
      try {
        source.authorize(req.headers.authorization, `${req.socket.remoteAddress}:${req.socket.remotePort}`);
      } catch (err) {
        const [status, body] = refusal(err);
        res.setHeader('www-authenticate', 'Bearer');
        return send(status, 'text/plain', body);
      }
    }
    switch (path) {
      case '/healthz':
        return send(200, 'text/plain', 'ok\n');
      case '/readyz': {
        const detail = source.describe ? `${source.describe()}\n` : '';
        return source.ready() ? send(200, 'text/plain', `ready\n${detail}`) : send(503, 'text/plain', `not ready\n${detail}`);
      }
      case '/metrics':
        return send(200, 'text/plain; version=0.0.4', renderMetrics(source.stats()));
      case '/stats':
        return send(200, 'application/json', JSON.stringify(source.stats()) + '\n');
      default:
        return send(404, 'text/plain', 'not found: try /healthz, /readyz, /metrics, /stats\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
