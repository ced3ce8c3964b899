/**
 * A stand-in for a Kubernetes Service in front of coordinators, on loopback: it forwards each new TCP
 * connection to a backend whose /readyz answered 200 at its last poll (as kube-proxy routes only to
 * ready endpoints) and closes connections it has no ready backend for. Connections already forwarded
 * stay on their backend until it closes them.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** A backend: its gRPC port and its ops HTTP port (for /readyz). */
export interface ProxyBackend {
  grpcPort: number;
  httpPort: number;
}

/** A running proxy. */
export interface ServiceProxy {
  /** grpc://127.0.0.1:PORT */
  readonly url: string;
  close(): Promise<void>;
}

/** Whether a backend's /readyz answers 200 within 500 ms. */
async function ready(backend: ProxyBackend): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${backend.httpPort}/readyz`, { signal: AbortSignal.timeout(500) })).status === 200;
  } catch {
    return false;
  }
}

/** Starts a proxy over `backends`, polling their readiness every `pollMs` (kube-proxy reacts to endpoint changes within about that). */
export async function startServiceProxy(backends: readonly ProxyBackend[], pollMs = 100): Promise<ServiceProxy> {
  let readyBackends: ProxyBackend[] = [];
  let polling = true;
  const poll = async (): Promise<void> => {
    while (polling) {
      const states = await Promise.all(backends.map(ready));
      readyBackends = backends.filter((_, i) => states[i]);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  };
  const poller = poll();
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    const backend = readyBackends[0];
    if (!backend) {
      client.destroy();
      return;
    }
    const upstream = connect(backend.grpcPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    client.pipe(upstream).pipe(client);
    // Either side failing ends both, as a broken connection through a Service does.
    client.once('error', () => upstream.destroy()).once('close', () => upstream.destroy());
    upstream.once('error', () => client.destroy()).once('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `grpc://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      polling = false;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await poller;
    },
  };
}
