/**
 * A real Kubernetes control plane for tests: etcd and kube-apiserver on loopback ports, with a
 * generated token file and service-account key, from the binaries scripts/kube-control-plane.sh
 * builds and caches. No kubelet or controller manager runs: tests set object status themselves.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiextensionsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, loadYaml, type KubernetesObject } from '@kubernetes/client-node';
import { CRD_PATH } from '../../operator/manifests.js';
import { waitFor } from './api-helpers.js';

const SCRIPT = fileURLToPath(new URL('../../../scripts/kube-control-plane.sh', import.meta.url));
const TOOLS_SCRIPT = fileURLToPath(new URL('../../../scripts/kube-tools.sh', import.meta.url));

/** Where the build script caches the binaries of its pinned version (the same defaults it uses). */
export function binaryDir(): string {
  const pinned = /KUBE_VERSION="\$\{KUBE_VERSION:-(v[\d.]+)\}"/.exec(readFileSync(SCRIPT, 'utf8'))?.[1];
  return join(kubeCacheRoot(), process.env.KUBE_VERSION ?? pinned ?? 'unknown');
}

/** The path of tool `name` that scripts/kube-tools.sh builds, at the version its variable `pin` (e.g. HELM_VERSION) pins. */
export function kubeToolPath(name: string, pin: string): string {
  const pinned = new RegExp(`${pin}="\\$\\{${pin}:-(v[\\d.]+)\\}"`).exec(readFileSync(TOOLS_SCRIPT, 'utf8'))?.[1];
  return join(kubeCacheRoot(), 'tools', `${name}-${pinned}`, name);
}

/** Where the scripts cache what they build and fetch (FLIGHTCACHE_KUBE_CACHE, else ~/.cache/flightcache/kube). */
export function kubeCacheRoot(): string {
  return process.env.FLIGHTCACHE_KUBE_CACHE ?? join(homedir(), '.cache', 'flightcache', 'kube');
}

/** The TrainJob and JobSet CRD files scripts/kube-crds.sh fetches from the Kubeflow Trainer and JobSet Go modules. */
export const TRAINER_CRDS = ['trainer.kubeflow.org_trainjobs.yaml', 'jobset.x-k8s.io_jobsets.yaml'].map((file) => join(kubeCacheRoot(), 'crds', file));

/** Kubeflow Trainer's ClusterTrainingRuntime CRD, also fetched by scripts/kube-crds.sh. */
export const CLUSTER_TRAINING_RUNTIME_CRD = join(kubeCacheRoot(), 'crds', 'trainer.kubeflow.org_clustertrainingruntimes.yaml');

/** Katib's Experiment CRD, also fetched by scripts/kube-crds.sh. */
export const KATIB_EXPERIMENT_CRD = join(kubeCacheRoot(), 'crds', 'kubeflow.org_experiments.yaml');

/** Why the TrainJob tests cannot run here (no control plane, or no fetched CRDs), or undefined. */
export function trainerUnavailableReason(): string | undefined {
  const missing = TRAINER_CRDS.filter((path) => !existsSync(path));
  return unavailableReason() ?? (missing.length ? `no ${missing.join(' or ')}: run bash scripts/kube-crds.sh` : undefined);
}

/** Why the control plane cannot start here, or undefined when its binaries are present. */
export function unavailableReason(): string | undefined {
  const dir = binaryDir();
  const missing = ['etcd', 'kube-apiserver'].filter((name) => !existsSync(join(dir, name)));
  return missing.length ? `no ${missing.join(' or ')} in ${dir}: run bash scripts/kube-control-plane.sh` : undefined;
}

export interface ControlPlane {
  kubeConfig: KubeConfig;
  server: string;
  stop(): Promise<void>;
}

/** A free loopback TCP port (closed again before it is returned). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function readyz(server: string, token: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${server}/readyz`, { headers: { authorization: `Bearer ${token}` }, rejectUnauthorized: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Starts etcd and kube-apiserver and resolves once /readyz answers 200 (within `timeoutMs`). */
export async function startControlPlane(timeoutMs = 120_000): Promise<ControlPlane> {
  const dir = binaryDir();
  const work = mkdtempSync(join(tmpdir(), 'fc-kube-'));
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const token = randomBytes(24).toString('hex');
  writeFileSync(join(work, 'tokens.csv'), `${token},admin,admin,"system:masters"\n`);
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(work, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(work, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const logs: string[] = [];
  const children: ChildProcess[] = [];
  const launch = (binary: string, args: string[]) => {
    const child = spawn(join(dir, binary), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      logs.push(`${binary}: ${chunk.toString()}`);
      if (logs.length > 200) logs.shift();
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    children.push(child);
  };
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  launch('etcd', ['--data-dir', join(work, 'etcd'), '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl, '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `default=${peerUrl}`]);
  launch('kube-apiserver', [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    `--cert-dir=${join(work, 'certs')}`,
    `--token-auth-file=${join(work, 'tokens.csv')}`,
    '--authorization-mode=RBAC',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${join(work, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(work, 'sa.key')}`,
    '--service-cluster-ip-range=10.96.0.0/16',
  ]);
  const server = `https://127.0.0.1:${apiPort}`;
  // The API server first, etcd after it: an API server whose etcd is gone retries it for about
  // 20 s before it exits, with etcd up it exits in about a second.
  const stop = async () => {
    for (const child of [...children].reverse()) {
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    }
    rmSync(work, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await readyz(server, token))) {
    const exited = children.find((child) => child.exitCode !== null);
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`control plane not ready (${exited ? `${exited.spawnfile} exited ${exited.exitCode}` : `no /readyz within ${timeoutMs} ms`}):\n${logs.slice(-20).join('')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'test', server, skipTLSVerify: true }],
    users: [{ name: 'admin', token }],
    contexts: [{ name: 'test', cluster: 'test', user: 'admin' }],
    currentContext: 'test',
  });
  return { kubeConfig, server, stop };
}

/** Creates the CRD in `path` and resolves once it is Established (its resources serve). */
export async function installCrd(cp: ControlPlane, path: string): Promise<void> {
  // loadYaml, not a plain parse: the client serializes known kinds through its models, which read
  // x-kubernetes-validations and default only under their model names.
  const crd = loadYaml<KubernetesObject>(readFileSync(path, 'utf8'));
  await KubernetesObjectApi.makeApiClient(cp.kubeConfig).create(crd);
  const extensions = cp.kubeConfig.makeApiClient(ApiextensionsV1Api);
  await waitFor(`CRD ${crd.metadata?.name} to be Established`, async () =>
    (await extensions.readCustomResourceDefinition({ name: crd.metadata!.name! })).status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined,
  );
}

/** Installs the DataCache CRD and creates `namespace`. */
export async function installDataCacheCrd(cp: ControlPlane, namespace: string): Promise<void> {
  await installCrd(cp, CRD_PATH);
  await cp.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
}
