/**
 * The cluster roles started separately (a coordinator, shards that register with it by
 * `--coordinator grpc+tls://...`) over mTLS with one CA: registration, placement, reads with the
 * TypeScript client's high level, and the certificate the cluster's clients present after a reload.
 */
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { startCoordinator } from '../../cache-server/cluster/coordinator.js';
import { PeerClients } from '../../cache-server/cluster/peer-clients.js';
import { startShard } from '../../cache-server/cluster/shard.js';
import { Code } from '../../client/src/flight/errors.js';
import { TlsCredentials } from '../../client/src/flight/http2/tls.js';
import { connect } from '../../client/src/dataset.js';
import { FlightClient } from '../../client/src/flight-client.js';
import { makeTestPki, type TestPki } from '../helpers/certificates.js';
import { rejectsWith } from '../helpers/flight.js';
import { clusterStats, idBatches, sortedIds, waitFor } from './cluster-helpers.js';

let pki: TestPki;
before(() => (pki = makeTestPki()));
after(() => pki.remove());

test('shards register with a grpc+tls:// coordinator over mTLS and the TypeScript client reads exact data from them', async () => {
  // Each process reads the files itself, as separate processes would.
  const credentials = (): TlsCredentials => new TlsCredentials({ ...pki.node, ca: pki.ca.cert });
  const coordinator = await startCoordinator({ port: 0, replicas: 2, tls: credentials() });
  assert.match(coordinator.url, /^grpc\+tls:\/\/127\.0\.0\.1:\d+$/);
  const shards = await Promise.all(['a', 'b'].map((id) => startShard({ port: 0, id, coordinator: coordinator.url, registerEveryMs: 200, tls: credentials() })));
  const tls = { ca: pki.read(pki.ca.cert), cert: pki.read(pki.client.cert), key: pki.read(pki.client.key) };
  const connection = await connect(coordinator.url, { tls });
  try {
    await waitFor('both shards registered and live', async () => {
      const stats = await clusterStats(connection.client);
      return stats.members.filter((m) => m.live && m.source === 'registered').length === 2 ? true : undefined;
    });
    const stats = await clusterStats(connection.client);
    assert.deepEqual(stats.members.map((m) => m.location).sort(), shards.map((s) => s.url).sort());
    const dataset = connection.dataset('ids');
    await dataset.put(idBatches(6, 50));
    const info = await dataset.info();
    assert.ok(info.endpoints.every((e) => e.locations.length === 2 && e.locations.every((l) => l.uri.startsWith('grpc+tls://'))));
    const batches = [];
    for await (const batch of dataset.batches()) batches.push(batch);
    assert.deepEqual(sortedIds(batches), Array.from({ length: 300 }, (_, i) => i));
    const withoutCert = new FlightClient(shards[0]!.url, { tls: { ca: tls.ca } });
    try {
      await rejectsWith(withoutCert.action('health', ''), Code.UNAVAILABLE, /ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED/);
    } finally {
      withoutCert.close();
    }
  } finally {
    connection.close();
    await Promise.all(shards.map((s) => s.close()));
    await coordinator.close();
  }
});

test('the cluster clients present the reloaded certificate: a peer client made before a reload is replaced after it', async () => {
  const files = { cert: `${pki.dir}/peer.pem`, key: `${pki.dir}/peer-key.pem`, ca: pki.ca.cert };
  copyFileSync(pki.node.cert, files.cert);
  copyFileSync(pki.node.key, files.key);
  const credentials = new TlsCredentials(files);
  const peers = new PeerClients(undefined, credentials);
  try {
    const before = await peers.get('grpc+tls://127.0.0.1:1');
    assert.equal(await peers.get('grpc+tls://127.0.0.1:1'), before);
    assert.deepEqual(before.tls?.cert, pki.read(pki.node.cert));
    const renewed = pki.ca.issue('peer-renewed', 'node');
    copyFileSync(renewed.key, files.key);
    copyFileSync(renewed.cert, files.cert);
    assert.equal(await credentials.refresh(), true);
    const after = await peers.get('grpc+tls://127.0.0.1:1');
    assert.notEqual(after, before);
    assert.deepEqual(after.tls?.cert, pki.read(renewed.cert));
  } finally {
    peers.close();
  }
});
