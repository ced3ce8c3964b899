/**
 * Leader election on a real kube-apiserver: two `flightcache operator` processes share one Lease;
 * only the holder reconciles, and the standby takes over when the holder stops renewing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoordinationV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { LeaderElector } from '../../cache-server/cluster/lease-election.js';
import type { DataCache } from '../../operator/datacache.js';
import { installDataCacheCrd, startControlPlane, unavailableReason, type ControlPlane } from './control-plane.js';
import { waitFor } from './api-helpers.js';

const skip = unavailableReason();
const MAIN = fileURLToPath(new URL('../../cache-server/cli/main.js', import.meta.url));
const NS = 'ml';
const GROUP = { group: 'flightcache.io', version: 'v1alpha1', plural: 'datacaches', namespace: NS };
const LEASE_SECONDS = 3;
const PERIOD_MS = (LEASE_SECONDS * 1000) / 5;

/** An operator process and the messages it logged (pino JSON lines on stderr). */
interface Operator {
  child: ChildProcess;
  messages(): string[];
}

describe('operator leader election on a real API server', { skip }, () => {
  let cp: ControlPlane;
  let dir: string;
  let leases: CoordinationV1Api;
  let custom: CustomObjectsApi;
  const operators: Operator[] = [];

  const startOperator = (identity: string): Operator => {
    const child = spawn(process.execPath, [MAIN, 'operator', '--identity', identity, '--lease-namespace', NS, '--lease-duration', `${LEASE_SECONDS}s`, '--resync-seconds', '1'], {
      env: { ...process.env, KUBECONFIG: join(dir, 'kubeconfig'), FLIGHTCACHE_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
    const operator = { child, messages: () => log.split('\n').filter((line) => line.startsWith('{')).map((line) => (JSON.parse(line) as { msg: string }).msg) };
    operators.push(operator);
    return operator;
  };
  const holder = async () => (await leases.readNamespacedLease({ namespace: NS, name: 'flightcache-operator' })).spec?.holderIdentity;
  const holderIs = (identity: string) => async () => ((await holder()) === identity ? true : undefined);
  const create = (name: string) => custom.createNamespacedCustomObject({ ...GROUP, body: { apiVersion: 'flightcache.io/v1alpha1', kind: 'DataCache', metadata: { name }, spec: { image: 'img:1' } } });
  const pending = (name: string) => async () => (((await custom.getNamespacedCustomObject({ ...GROUP, name })) as DataCache).status?.phase === 'Pending' ? true : undefined);

  before(async () => {
    cp = await startControlPlane();
    dir = mkdtempSync(join(tmpdir(), 'fc-leader-'));
    writeFileSync(join(dir, 'kubeconfig'), cp.kubeConfig.exportConfig());
    leases = cp.kubeConfig.makeApiClient(CoordinationV1Api);
    custom = cp.kubeConfig.makeApiClient(CustomObjectsApi);
    await installDataCacheCrd(cp, NS);
  });

  after(async () => {
    for (const { child } of operators) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('only the Lease holder reconciles; the standby takes over within lease + retry after the holder stops renewing', async (t) => {
    const a = startOperator('op-a');
    await waitFor('op-a to hold the Lease', holderIs('op-a'));
    const b = startOperator('op-b');
    await create('c1');
    await waitFor('c1 Pending', pending('c1'));
    // Give the standby several retry periods in which it must neither take the Lease nor apply anything.
    await new Promise((resolve) => setTimeout(resolve, 3 * PERIOD_MS));
    assert.equal(await holder(), 'op-a');
    assert.ok(a.messages().includes('became leader'), a.messages().join('\n'));
    assert.ok(a.messages().includes('applied'), a.messages().join('\n'));
    assert.deepEqual(b.messages(), []);

    // SIGKILL: the holder neither renews nor releases, as when its node dies.
    const killed = Date.now();
    a.child.kill('SIGKILL');
    await waitFor('op-b to hold the Lease', holderIs('op-b'), 15_000);
    const takeover = Date.now() - killed;
    t.diagnostic(`standby took the Lease ${takeover} ms after the holder was killed (lease ${LEASE_SECONDS} s)`);
    // A holder renews at least every 2/3 lease (or stops leading), and the standby waits a whole lease
    // from when it saw the last renewal: so not before 1/3 lease after the kill. It notices expiry
    // within one retry period; the rest of the upper bound is slack for a loaded machine.
    assert.ok(takeover >= (LEASE_SECONDS * 1000) / 3, `took over after ${takeover} ms, before the lease could expire`);
    assert.ok(takeover <= LEASE_SECONDS * 1000 + PERIOD_MS + 5000, `took over after ${takeover} ms`);
    await create('c2');
    await waitFor('c2 Pending from the new leader', pending('c2'));
    assert.deepEqual(b.messages().slice(0, 1), ['became leader']);
    assert.ok(b.messages().includes('applied'), b.messages().join('\n'));
    const lease = await leases.readNamespacedLease({ namespace: NS, name: 'flightcache-operator' });
    assert.deepEqual([lease.spec?.holderIdentity, lease.spec?.leaseDurationSeconds, lease.spec?.leaseTransitions], ['op-b', LEASE_SECONDS, 1]);
    b.child.kill('SIGTERM');
    await new Promise((resolve) => b.child.once('exit', resolve));
  });

  test('a leader that stops releases the Lease, so a standby takes over before the lease would expire', async () => {
    const runs: string[] = [];
    const elector = (identity: string) =>
      new LeaderElector(cp.kubeConfig, { namespace: NS, name: 'handover', identity, leaseSeconds: 10 }, { start: async () => void runs.push(`${identity} start`), stop: async () => void runs.push(`${identity} stop`) });
    const first = elector('first');
    const second = elector('second');
    first.start();
    await waitFor('first to lead', async () => (first.isLeader ? true : undefined));
    second.start();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(second.isLeader, false);
    const stopped = Date.now();
    await first.stop();
    await waitFor('second to lead', async () => (second.isLeader ? true : undefined), 8000);
    // The 10 s lease had not run out: the release handed it over at the standby's next 2 s retry.
    assert.ok(Date.now() - stopped < 5000, `handover took ${Date.now() - stopped} ms`);
    await second.stop();
    assert.deepEqual(runs, ['first start', 'first stop', 'second start', 'second stop']);
    assert.equal((await leases.readNamespacedLease({ namespace: NS, name: 'handover' })).spec?.holderIdentity, undefined);
  });
});
