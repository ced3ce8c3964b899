/**
 * A small HTTP proxy the S3 tests put in front of moto: it forwards every request as it came (the
 * Host header too, so SigV4 signatures still match), counts the requests and the response bytes per
 * object, and can fail the next requests (503 SlowDown, or a connection reset) or run a hook before
 * forwarding one.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One forwarded or failed request. */
export interface ProxiedRequest {
  readonly method: string;
  /** The path without the query. */
  readonly path: string;
  readonly range: string | undefined;
  /** Response body bytes sent back (0 for a failed one). */
  bytes: number;
  readonly failed: boolean;
}

/** How the next requests fail. */
export type Fault = 'slowdown' | 'reset';

/** A running proxy. */
export interface S3Proxy {
  readonly url: string;
  readonly requests: ProxiedRequest[];
  /** Fails the next `count` requests with `fault`. */
  fail(count: number, fault: Fault): void;
  /** Runs `hook` (awaited) before forwarding the first request that `match` accepts. */
  before(match: (request: IncomingMessage) => boolean, hook: () => Promise<void>): void;
  close(): Promise<void>;
}

const SLOW_DOWN = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';

/** Starts a proxy on loopback in front of `target` (an http:// URL). */
export async function startS3Proxy(target: string): Promise<S3Proxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  let faults: { count: number; fault: Fault } = { count: 0, fault: 'slowdown' };
  const hooks: Array<{ match: (request: IncomingMessage) => boolean; hook: () => Promise<void> }> = [];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const entry: ProxiedRequest = { method: req.method ?? 'GET', path, range: req.headers.range, bytes: 0, failed: faults.count > 0 };
    requests.push(entry);
    if (faults.count > 0) {
      faults.count--;
      if (faults.fault === 'reset') {
        req.socket.destroy();
        return;
      }
      res.writeHead(503, { 'content-type': 'application/xml' }).end(SLOW_DOWN);
      return;
    }
    const at = hooks.findIndex((h) => h.match(req));
    const hook = at >= 0 ? hooks.splice(at, 1)[0]!.hook() : Promise.resolve();
    // A hook that fails answers 500, which the test then sees in the load's error.
    void hook.then(() => {
      const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.on('data', (data: Buffer) => {
          entry.bytes += data.length;
        });
        answer.pipe(res);
      });
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    }, (err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    fail: (count, fault) => {
      faults = { count, fault };
    },
    before: (match, hook) => {
      hooks.push({ match, hook });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
