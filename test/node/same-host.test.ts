/** Same-host reads on a real node with shared-memory storage, read by the Python test reader over its Unix socket and compared with DoGet. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Float64, Int32, Table, Utf8, vectorFromArray, type RecordBatch } from 'apache-arrow';
import { startCacheNode, type CacheNode } from '../../cache-server/node/cache-node.js';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import type { NodeStats } from '../../cache-server/node/node-actions.js';
import type { Ticket } from '../../cache-server/flight/protocol/messages.js';
import { doGetBatches, readerArgs, readSameHost } from '../helpers/same-host.js';

const USER = { user: 'reader', password: 'secret' };
const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

/** Batches of (id int32, name utf8 with nulls, score float64) with these row counts, ids from `first`. */
function batches(rows: readonly number[], first = 0): RecordBatch[] {
  let next = first;
  return rows.map((count) => {
    const ids = range(count, next);
    next += count;
    return new Table({
      id: vectorFromArray(ids, new Int32()),
      name: vectorFromArray(ids.map((id) => (id % 5 === 0 ? null : `n${id}`)), new Utf8()),
      score: vectorFromArray(ids.map((id) => id / 4), new Float64()),
    }).batches[0]!;
  });
}

/** A scratch directory on the host's tmpfs. */
export function scratchShmDir(): string {
  return mkdtempSync('/dev/shm/flightcache-test-');
}

describe('a node keeping its data in shared memory', () => {
  let dir: string;
  let node: CacheNode;
  let client: FlightClient;
  let bearer: string;
  before(async () => {
    dir = scratchShmDir();
    node = await startCacheNode({ port: 0, shmDir: dir, credentials: USER });
    client = new FlightClient(node.url);
    bearer = `Bearer ${await client.handshake(USER.user, USER.password)}`;
    await client.doPut(pathDescriptor('rows'), batches([13, 1, 20, 7, 11, 16, 5, 9, 6]));
  });
  after(async () => {
    client.close();
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ticketsOf = async (descriptor: Parameters<FlightClient['getFlightInfo']>[0]): Promise<Ticket[]> =>
    (await client.getFlightInfo(descriptor)).endpoints.map((endpoint) => endpoint.ticket);
  const stats = (): Promise<NodeStats> => client.action<NodeStats>('stats');

  test('the same-host action names the socket, the instance of the health action, this host\'s boot id and the shm directory', async () => {
    const described = await client.action<Record<string, string>>('same-host');
    const health = await client.action<{ instance: string }>('health');
    assert.deepEqual(described, {
      socket: join(dir, `flightcache-${node.port}.sock`),
      instance: health.instance,
      hostId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
      shmDir: dir,
    });
    assert.equal(node.shmSocket, described.socket);
  });

  test('no segment is visible in the shm directory: only the socket is there', () => {
    assert.deepEqual(readdirSync(dir), [`flightcache-${node.port}.sock`]);
  });

  test('a plain ticket reads exactly the bytes and cursors DoGet serves, from mapped segments', async () => {
    const [ticket] = await ticketsOf(pathDescriptor('rows'));
    const expected = await doGetBatches(client, ticket!);
    const report = await readSameHost(readerArgs(node.shmSocket!, ticket!, bearer, node.url));
    assert.equal(report.error, null);
    assert.equal(report.hello?.location, node.url);
    assert.equal(report.segments, 1);
    assert.deepEqual(
      report.batches.map(({ body_sha256, cursor, rows }) => ({ body_sha256, cursor, rows })),
      expected,
    );
    assert.ok(report.batches.every((batch) => batch.equals_grpc === true && batch.sources === 1));
    assert.equal(report.grpc_batches, 9);
  });

  test('stats show the shm directory, the shm bytes and no held bytes or connections once readers left', async () => {
    const { sameHost, memory } = await stats();
    assert.deepEqual(sameHost, { shmDir: dir, socket: node.shmSocket, shmBytes: memory.usedBytes, heldBytes: 0, connections: 0 });
  });
});
