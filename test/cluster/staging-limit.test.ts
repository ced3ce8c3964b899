/**
 * The coordinator stages each put in memory before placing it: staging is bounded by --memory like a
 * node's store, so a put larger than that is refused, and the cluster keeps serving exact data.
 */
import { test } from 'node:test';
import { startCoordinator } from '../../cache-server/cluster/coordinator.js';
import { startCacheNode } from '../../cache-server/node/cache-node.js';
import { Code } from '../../client/src/flight/errors.js';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { assertServesExactly, putReference, referenceMessages, referenceTable } from '../helpers/exact-data.js';
import { rejectsWith } from '../helpers/flight.js';
import { clusterStats, waitFor } from './cluster-helpers.js';

test('a put larger than the coordinator staging limit is RESOURCE_EXHAUSTED naming --memory; the cluster still serves exact data', async () => {
  const shard = await startCacheNode({ port: 0 });
  const coordinator = await startCoordinator({ port: 0, replicas: 1, shardList: shard.url, memoryBytes: 1024 * 1024 });
  const client = new FlightClient(coordinator.url);
  try {
    await waitFor('the shard live', async () => ((await clusterStats(client)).members.some((m) => m.live) ? true : undefined));
    const reference = referenceMessages(referenceTable(1000));
    await putReference(coordinator.url, 'reference', reference);
    const big = referenceMessages(referenceTable(100_000));
    await rejectsWith(
      client.doPutRaw(pathDescriptor('big'), big),
      Code.RESOURCE_EXHAUSTED,
      /^memory limit exceeded: need \d+ bytes, \d+ of 1048576 in use \(raise it with --memory \/ FLIGHTCACHE_MEMORY\)$/,
    );
    await rejectsWith(client.getFlightInfo(pathDescriptor('big')), Code.NOT_FOUND, /big/);
    await assertServesExactly(coordinator.url, 'reference', reference);
  } finally {
    client.close();
    await coordinator.close();
    await shard.close();
  }
});
