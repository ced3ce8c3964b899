/**
 * Tokens across a cluster: issued by the coordinator, checked by the shards with the shared cluster
 * key against the dataset a partition belongs to. A token for one dataset reads it exactly from the
 * shards and cannot read another's partitions, even with their tickets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCoordinator } from '../../cache-server/cluster/coordinator.js';
import { startShard } from '../../cache-server/cluster/shard.js';
import { createTokenAuth } from '../../cache-server/auth/token-auth.js';
import { hashPassword } from '../../cache-server/auth/passwords.js';
import { randomSigningKey } from '../../cache-server/auth/signing-keys.js';
import { UserDirectory } from '../../cache-server/auth/users.js';
import { Code } from '../../client/src/flight/errors.js';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { assertServesExactly, putReference, referenceMessages, referenceTable } from '../helpers/exact-data.js';
import { drain, rejectsWith } from '../helpers/flight.js';
import { clusterStats, waitFor } from './cluster-helpers.js';

test('a token for one dataset reads it from the shards exactly and is refused another dataset\'s partitions', async () => {
  const users = JSON.stringify({
    users: {
      reader: { password: hashPassword('r'), read: ['train'] },
      loader: { password: hashPassword('l'), read: ['*'], write: ['*'] },
    },
  });
  const key = [Buffer.from(randomSigningKey())];
  // Separate directories and TokenAuths: what separate processes started with the same files have.
  const auth = (): ReturnType<typeof createTokenAuth> => createTokenAuth(new UserDirectory(undefined, users), key);
  const shard = await startShard({ port: 0, auth: auth() });
  const coordinator = await startCoordinator({ port: 0, replicas: 1, shardList: shard.url, auth: auth() });
  const loader = new FlightClient(coordinator.url);
  const reader = new FlightClient(coordinator.url);
  try {
    const loaderToken = await loader.handshake('loader', 'l');
    const readerToken = await reader.handshake('reader', 'r');
    await waitFor('the shard live', async () => ((await clusterStats(loader)).members.some((m) => m.live) ? true : undefined));
    const train = referenceMessages(referenceTable(1000));
    const evaluation = referenceMessages(referenceTable(10, 7000));
    await putReference(coordinator.url, 'train', train, loaderToken);
    await putReference(coordinator.url, 'eval', evaluation, loaderToken);
    await assertServesExactly(coordinator.url, 'train', train, readerToken);
    const denied = 'user "reader" may not read dataset "eval"; its scopes: read [train], write [], no admin';
    await rejectsWith(reader.getFlightInfo(pathDescriptor('eval')), Code.PERMISSION_DENIED, denied);
    const evalInfo = await loader.getFlightInfo(pathDescriptor('eval'));
    assert.equal(evalInfo.endpoints.length, 1);
    const atShard = new FlightClient(evalInfo.endpoints[0]!.locations[0]!.uri, { token: readerToken });
    try {
      await rejectsWith(drain(atShard.doGetRaw(evalInfo.endpoints[0]!.ticket)), Code.PERMISSION_DENIED, denied);
    } finally {
      atShard.close();
    }
    await assertServesExactly(coordinator.url, 'eval', evaluation, loaderToken);
  } finally {
    loader.close();
    reader.close();
    await coordinator.close();
    await shard.close();
  }
});
