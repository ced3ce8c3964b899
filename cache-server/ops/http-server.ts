/**
 * The HTTP ops endpoints of a node: /healthz (process alive), /readyz (accepting Flight calls),
 * /metrics (Prometheus text, from ./metrics.ts), /stats (JSON), and the dashboard: the page at `/`
 * with its assets (./dashboard-assets.ts) and the /overview JSON it polls. Kubernetes probes and
 * scrapers use the first four. With an `authorize` check, /metrics, /stats and /overview (which name
 * datasets) need `authorization: Bearer TOKEN`; the page holds no data and asks for the token.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { NodeStats } from '../node/node-actions.js';
import type { ProcessMetrics } from './metrics.js';
import type { Overview } from './overview.js';
import { dashboardAsset } from './dashboard-assets.js';
import { logEvent, type Logger } from '../logger.js';

/** What the ops server reads from its node. */
export interface OpsSource {
  ready(): boolean;
  stats(): NodeStats;
  metrics: ProcessMetrics;
  /** What the dashboard page polls. */
  overview(): Promise<Overview>;
  /** Extra lines for /readyz (a coordinator lists its members). */
  describe?(): string;
  /** Gets a `refused` event for each refused authorization. */
  logger?: Logger;
  /** Throws a FlightError unless the authorization header (from host:port `peer`) may read /metrics and /stats. */
  authorize?(authorization: string | undefined, peer: string): void;
}

/** The HTTP answer to a refused authorization: 429 while rate-limited, else 401. */
function refusal(err: unknown): [number, string] {
  const error = FlightError.from(err);
  return [error.code === Code.RESOURCE_EXHAUSTED ? 429 : 401, `${error.codeName}: ${error.message}\n`];
}

/** Starts the ops HTTP server; resolves with its port. */
export async function startOpsServer(
  source: OpsSource,
  host: string,
  port: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    answer(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`${FlightError.from(err).message}\n`);
    });
  });
  const answer = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'GET') return send(405, 'text/plain', 'method not allowed\n');
    if ((path === '/metrics' || path === '/stats' || path === '/overview') && source.authorize) {
      const peer = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
      try {
        source.authorize(req.headers.authorization, peer);
      } catch (err) {
        const error = FlightError.from(err);
        if (source.logger) logEvent(source.logger, 'warn', 'refused', { code: error.codeName, method: `GET ${path}`, peer, error: error.message }, 'request refused');
        const [status, body] = refusal(error);
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
        return send(200, source.metrics.contentType, await source.metrics.render());
      case '/stats':
        return send(200, 'application/json', JSON.stringify(source.stats()) + '\n');
      case '/overview':
        return send(200, 'application/json', JSON.stringify(await source.overview()) + '\n');
      default: {
        const asset = dashboardAsset(path);
        if (asset) {
          res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
          res.end(asset.body);
          return;
        }
        return send(404, 'text/plain', 'not found: try /, /healthz, /readyz, /metrics, /stats, /overview\n');
      }
    }
  };
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
