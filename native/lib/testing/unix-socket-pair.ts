/** Test support: a connected pair of Node Unix sockets, and the descriptor behind a Node socket. */
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';

/** A connected pair listening at `path`: the accepted (server) side, the client side, and a close of the listener. */
export async function unixSocketPair(path: string): Promise<{ server: Socket; client: Socket; close: () => Promise<void> }> {
  const listener = createServer();
  listener.listen(path);
  await once(listener, 'listening');
  const accepted = once(listener, 'connection');
  const client = connect(path);
  const [server] = (await accepted) as [Socket];
  await once(client, 'connect');
  return { server, client, close: () => new Promise((resolve) => listener.close(() => resolve())) };
}

/** The descriptor of a connected Node socket. */
export function descriptorOf(socket: Socket): number {
  return (socket as unknown as { _handle: { fd: number } })._handle.fd;
}
