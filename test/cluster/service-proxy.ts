/**
 * A stand-in for a Kubernetes Service in front of coordinators, on loopback: it forwards each new TCP
 * connection to a ready backend (as kube-proxy routes only to ready endpoints) and closes connections
 * it has no ready backend for. As with a readiness probe's defaults, a backend becomes ready on one
 * 200 from /readyz and unready after 3 failed polls in a row (a slow answer on a loaded machine is
 * not the coordinator's loss). Connections already forwarded
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

/** Polls in a row that must fail before a ready backend is taken out (a readiness probe's failureThreshold). */
const FAILURES_TO_UNREADY = 3;

/** Whether the /readyz of the ops server on loopback `httpPort` answers 200 within 1 s (a probe's timeoutSeconds). */
export async function ready(httpPort: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${httpPort}/readyz`, { signal: AbortSignal.timeout(1000) })).status === 200;
  } catch {
    return false;
  }
}

/** Starts a proxy over `backends`, polling their readiness every `pollMs` (kube-proxy reacts to endpoint changes within about that). */
export async function startServiceProxy(backends: readonly ProxyBackend[], pollMs = 100): Promise<ServiceProxy> {
  let readyBackends: ProxyBackend[] = [];
  let polling = true;
  // Failed polls in a row per backend; a backend starts unready.
  const failures = backends.map(() => FAILURES_TO_UNREADY);
  const round = async (): Promise<void> => {
    const states = await Promise.all(backends.map((b) => ready(b.httpPort)));
    states.forEach((up, i) => (failures[i] = up ? 0 : failures[i]! + 1));
    readyBackends = backends.filter((_, i) => failures[i]! < FAILURES_TO_UNREADY);
  };
  const poll = async (): Promise<void> => {
    while (polling) {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      await round();
    }
  };
  // The proxy accepts connections once it knows which backends are ready, as a Service lists endpoints.
  await round();
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
