/**
 * Active/standby coordinators on a real kube-apiserver: two `flightcache coordinator` processes share
 * one Lease over the same two real shards, behind a loopback stand-in for their Service that routes
 * to the ready one. The standby refuses calls with UNAVAILABLE and is not ready; when the leader is
 * SIGKILLed, the standby takes the Lease, adopts what the shards hold (drops included) and serves
 * within 5 s, planning calls made meanwhile (TypeScript and Python clients) succeed through their retry, and a reader
 * streaming from the shards all along reads every row exactly once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api, CoreV1Api, V1MicroTime } from '@kubernetes/client-node';
import type { RecordBatch } from 'apache-arrow';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { connect } from '../../client/src/dataset.js';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { NOT_SERVING_KEY } from '../../client/src/planning-retry.js';
import { rejectsWith } from '../helpers/flight.js';
import { freePort, type StartedProcess } from '../helpers/process.js';
import { repoRoot, runPython } from '../helpers/python.js';
import { startControlPlane, unavailableReason, type ControlPlane } from '../operator/control-plane.js';
import { waitFor } from '../operator/api-helpers.js';
import { idBatches, sortedIds, startCli } from './cluster-helpers.js';
import { startServiceProxy, type ServiceProxy } from './service-proxy.js';

const skip = unavailableReason();
process.env.PYTHONPATH = join(repoRoot(), 'client', 'python', 'src');
const NS = 'caches';
const LEASE = 'train-coordinator';
const LEASE_SECONDS = 2;
const BATCHES = 40;
const ROWS = 500;

/** The ops port's /readyz status. */
async function readyz(httpPort: number): Promise<number> {
  return (await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status;
}

describe('active/standby coordinators on a Kubernetes Lease', { skip }, () => {
  let cp: ControlPlane;
  let dir: string;
  let leases: CoordinationV1Api;
  const processes: StartedProcess[] = [];
  let proxy: ServiceProxy | undefined;

  before(async () => {
    cp = await startControlPlane();
    dir = mkdtempSync(join(tmpdir(), 'fc-standby-'));
    writeFileSync(join(dir, 'kubeconfig'), cp.kubeConfig.exportConfig());
    leases = cp.kubeConfig.makeApiClient(CoordinationV1Api);
    await cp.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
  });

  after(async () => {
    await proxy?.close();
    for (const p of processes) await p.stop();
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const startCoordinator = async (identity: string, shards: string, httpPort: number, lease = LEASE, seconds = LEASE_SECONDS): Promise<StartedProcess> => {
    const p = await startCli([
      'coordinator', '--port', '0', '--http-port', String(httpPort), '--replicas', '2', '--shard-list', shards,
      '--leader-lease', lease, '--leader-namespace', NS, '--leader-identity', identity, '--leader-lease-duration', `${seconds}s`,
      '--kubeconfig', join(dir, 'kubeconfig'), '--log-level', 'info',
    ]);
    processes.push(p);
    return p;
  };
  const holder = async (lease = LEASE): Promise<string | undefined> => (await leases.readNamespacedLease({ namespace: NS, name: lease })).spec?.holderIdentity;
  const startShards = async (): Promise<string> => {
    const a = await startCli(['shard', '--port', '0']);
    const b = await startCli(['shard', '--port', '0']);
    processes.push(a, b);
    return `${a.url},${b.url}`;
  };
  /** The events of a process's JSON log lines. */
  const events = (p: StartedProcess): string[] => p.stderr().split('\n').filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { event?: string }).event ?? '').filter((e) => e !== '');

  test('the standby refuses until the leader is killed, then serves within 5 s with the same datasets and drops; readers and planning calls go on', async (t) => {
    const shards = await startShards();
    const [httpA, httpB] = [await freePort(), await freePort()];
    const leader = await startCoordinator('coord-a', shards, httpA);
    await waitFor('coord-a to hold the Lease and be ready', async () => ((await holder()) === 'coord-a' && (await readyz(httpA)) === 200 ? true : undefined));
    const standby = await startCoordinator('coord-b', shards, httpB);
    proxy = await startServiceProxy([
      { grpcPort: Number(new URL(leader.url).port), httpPort: httpA },
      { grpcPort: Number(new URL(standby.url).port), httpPort: httpB },
    ]);

    // The standby: not ready, every call but Handshake refused with UNAVAILABLE marked as not serving.
    assert.equal(await readyz(httpB), 503);
    const direct = new FlightClient(standby.url, { retryUnavailableMs: 0 });
    const refusal = await direct.action('stats').then(() => undefined, (err: unknown) => err);
    assert.ok(refusal instanceof FlightError);
    assert.deepEqual([refusal.code, refusal.message, refusal.metadata[NOT_SERVING_KEY]], [Code.UNAVAILABLE, `coordinator coord-b is a standby: another holds the Lease ${NS}/${LEASE}`, 'standby']);

    const service = await connect(proxy.url);
    await service.dataset('kept').put(idBatches(BATCHES, ROWS));
    await service.dataset('dropped').put(idBatches(2, 10));
    await service.dataset('dropped').drop();

    // A reader streaming from the shards, slowly enough that the leader dies midway.
    const reader = await connect(proxy.url);
    const received: RecordBatch[] = [];
    let firstBatch: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (firstBatch = resolve));
    const reading = (async () => {
      for await (const batch of reader.dataset('kept').batches()) {
        received.push(batch);
        firstBatch();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    // Awaited below; handled here so that an earlier failure does not leave it unhandled.
    reading.catch(() => undefined);
    await started;

    const killed = Date.now();
    leader.child.kill('SIGKILL');
    // Planning calls during the switch: the TS and Python clients retry UNAVAILABLE against the same address.
    const python = runPython<{ datasets: string[]; rows: number }>('standby_planning.py', [proxy.url, 'kept']);
    python.catch(() => undefined);
    const planning = new FlightClient(proxy.url);
    const info = await planning.getFlightInfo(pathDescriptor('kept'));
    const planned = Date.now() - killed;
    assert.equal(info.totalRecords, BigInt(BATCHES * ROWS));
    await waitFor('coord-b to serve', async () => ((await direct.action('health').then(() => true, () => false)) ? true : undefined), 15_000);
    const takeover = Date.now() - killed;
    t.diagnostic(`standby served ${takeover} ms after the leader was SIGKILLed (lease ${LEASE_SECONDS} s); a planning call through the Service succeeded after ${planned} ms`);
    assert.ok(takeover < 5000, `the standby served ${takeover} ms after the leader's loss`);
    assert.equal(await holder(), 'coord-b');
    assert.equal(await readyz(httpB), 200);

    // The dropped dataset stays dropped under the new leader; the kept one is served whole.
    const names: string[] = [];
    for await (const listed of planning.listFlights()) names.push(listed.flightDescriptor!.path[0]!);
    assert.deepEqual(names, ['kept']);
    assert.deepEqual(await python, { datasets: ['kept'], rows: BATCHES * ROWS });
    await rejectsWith(planning.getFlightInfo(pathDescriptor('dropped')), Code.NOT_FOUND, /dropped/);

    await reading;
    assert.equal(received.length, BATCHES);
    assert.deepEqual(sortedIds(received), Array.from({ length: BATCHES * ROWS }, (_, i) => i));
    for (const client of [direct, planning]) client.close();
    for (const connection of [service, reader]) connection.close();
  });

  test('a leader stopped with SIGTERM hands the Lease over: the standby serves long before the lease would run out', async () => {
    const shards = await startShards();
    const [httpA, httpB] = [await freePort(), await freePort()];
    const lease = 'handover';
    const leader = await startCoordinator('coord-c', shards, httpA, lease, 20);
    await waitFor('coord-c to be ready', async () => ((await holder(lease)) === 'coord-c' && (await readyz(httpA)) === 200 ? true : undefined));
    const standby = await startCoordinator('coord-d', shards, httpB, lease, 20);
    const stopped = Date.now();
    assert.deepEqual(await leader.stop(), { code: 0, signal: null });
    // The standby retries every 20/5 = 4 s: it takes the released Lease at its next retry, not after 20 s.
    await waitFor('coord-d to be ready', async () => ((await readyz(httpB)) === 200 ? true : undefined), 15_000);
    const handover = Date.now() - stopped;
    assert.ok(handover < 10_000, `handover took ${handover} ms`);
    assert.equal(await holder(lease), 'coord-d');
    assert.deepEqual(events(standby).filter((e) => e.startsWith('leader_')), ['leader_serving']);
  });

  test('a leader that cannot renew its Lease (another took it) stops serving, logs leader_lost and exits 1', async () => {
    const shards = await startShards();
    const httpPort = await freePort();
    const lease = 'outage';
    const leader = await startCoordinator('coord-e', shards, httpPort, lease, 3);
    await waitFor('coord-e to be ready', async () => ((await holder(lease)) === 'coord-e' && (await readyz(httpPort)) === 200 ? true : undefined));
    // Someone else holds the Lease now (as after a partition from the API server): the leader's renewals
    // fail, and it gives up leading after 2/3 of the lease without one.
    const taken = await leases.readNamespacedLease({ namespace: NS, name: lease });
    await leases.replaceNamespacedLease({ namespace: NS, name: lease, body: { ...taken, spec: { ...taken.spec, holderIdentity: 'intruder', leaseDurationSeconds: 60, renewTime: new V1MicroTime() } } });
    assert.deepEqual(await Promise.race([leader.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 15_000))]), { code: 1, signal: null });
    assert.deepEqual(events(leader).filter((e) => e.startsWith('leader_')), ['leader_serving', 'leader_lost']);
  });
});
