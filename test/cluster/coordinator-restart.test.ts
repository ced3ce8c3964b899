/**
 * A restarted coordinator's catalog starts empty and fills as its shards are adopted: until every
 * member is in line (or the takeover limit passes) a dataset it does not know yet may exist, so it
 * answers UNAVAILABLE marked as not serving (clients retry), never NOT_FOUND, to reads and drops
 * alike, with real processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { NOT_SERVING_KEY } from '../../client/src/planning-retry.js';
import { rejectsWith } from '../helpers/flight.js';
import { clusterStats, idBatches, startCli, waitFor } from './cluster-helpers.js';

test('a coordinator restarted while its shards are frozen answers UNAVAILABLE (retryable) for a dataset they hold, then serves it once they answer; NOT_FOUND only after', async () => {
  const shards = [await startCli(['shard', '--port', '0']), await startCli(['shard', '--port', '0'])];
  const args = ['coordinator', '--port', '0', '--replicas', '2', '--partition-size', '1KiB', '--shard-list', shards.map((s) => s.url).join(',')];
  let coordinator = await startCli(args);
  let client = new FlightClient(coordinator.url);
  const frozen = new Set<number>();
  try {
    await waitFor('two live members', async () => ((await clusterStats(client)).members.filter((m) => m.live).length === 2 ? true : undefined));
    await client.doPut(pathDescriptor('alpha'), idBatches(6, 25));
    client.close();
    await coordinator.stop();

    // Frozen shards cannot tell the new coordinator what they hold until they are resumed.
    for (const shard of shards) {
      process.kill(shard.pid, 'SIGSTOP');
      frozen.add(shard.pid);
    }
    coordinator = await startCli(args);
    client = new FlightClient(coordinator.url);
    const once = new FlightClient(coordinator.url, { retryUnavailableMs: 0 });
    const refusal = await once.getFlightInfo(pathDescriptor('alpha')).then(() => undefined, (err: unknown) => err);
    once.close();
    assert.ok(refusal instanceof FlightError, `expected a FlightError, got ${String(refusal)}`);
    assert.equal(refusal.code, Code.UNAVAILABLE, refusal.message);
    assert.equal(refusal.metadata[NOT_SERVING_KEY], 'learning');
    assert.match(
      refusal.message,
      /^unknown dataset "alpha" \(so far\): the coordinator is starting and has not yet learned what every member holds: 0 of 2 in line, waiting up to \d+\.\d s more for \S+, \S+; retry$/,
    );

    // A drop of a name it does not know yet is refused the same way: the dataset may still turn up.
    const drop = await client.action('drop', 'beta').then(() => undefined, (err: unknown) => err);
    assert.ok(drop instanceof FlightError, `expected a FlightError, got ${String(drop)}`);
    assert.deepEqual([drop.code, drop.metadata[NOT_SERVING_KEY]], [Code.UNAVAILABLE, 'learning']);
    assert.match(drop.message, /^unknown dataset "beta" \(so far\): the coordinator is starting and has not yet learned what every member holds: 0 of 2 in line, .*; retry$/);

    // The client's planning retry carries the call over the start-up once the shards answer again.
    const planned = client.getFlightInfo(pathDescriptor('alpha'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const pid of frozen) process.kill(pid, 'SIGCONT');
    frozen.clear();
    assert.equal((await planned).totalRecords, 150n);
    await waitFor('both members in line', async () => ((await clusterStats(client)).members.filter((m) => m.live).length === 2 ? true : undefined));
    await rejectsWith(client.getFlightInfo(pathDescriptor('absent')), Code.NOT_FOUND, /^unknown dataset "absent"$/);
    await rejectsWith(client.action('drop', 'beta'), Code.NOT_FOUND, /^unknown dataset "beta"$/);
  } finally {
    for (const pid of frozen) process.kill(pid, 'SIGCONT');
    client.close();
    await coordinator.stop();
    for (const shard of shards) await shard.stop();
  }
});
