/**
 * The soak suite's cluster: a coordinator and static shards as separate processes on fixed loopback
 * ports, so that each can be SIGKILLed, frozen (SIGSTOP/SIGCONT) or restarted on its own port, and
 * the RSS of every process (servers and clients) sampled over time. With `standby`, two coordinators
 * share a Lease on a real kube-apiserver behind a loopback stand-in for their Service that routes to
 * the ready one, as the operator's Deployment runs them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CoreV1Api } from '@kubernetes/client-node';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import type { ClusterStats } from '../../cache-server/cluster/cluster-actions.js';
import { ready as readyz, startServiceProxy, type ServiceProxy } from '../../test/cluster/service-proxy.js';
import { startControlPlane, type ControlPlane } from '../../test/operator/control-plane.js';
import { freePort, startProcess, type StartedProcess } from '../../test/helpers/process.js';
import { repoRoot } from '../../test/helpers/python.js';
import { readMemoryUse } from '../servers.js';

const READY = /^flightcache ready (grpc:\/\/\S+)$/;
const START_TIMEOUT_MS = 60_000;
/** Why the coordinator runs with this flag: docs/cluster.md ("Roles"). */
const COORDINATOR_NODE_OPTIONS = ['--no-memory-reducer'];
const LEASE_NAMESPACE = 'flightcache';
const LEASE_NAME = 'soak-coordinator';
/** A short Lease, as in test/cluster/coordinator-standby.test.ts: the standby takes over about 2.4 s after the leader stops renewing. */
const LEASE_SECONDS = 2;
/** How long the standby may take to serve after the leader's SIGKILL before the run fails. */
const TAKEOVER_TIMEOUT_MS = 30_000;

/** The active/standby set-up: the control plane holding the Lease, the Service stand-in, the kubeconfig's directory. */
interface Standby {
  readonly controlPlane: ControlPlane;
  readonly proxy: ServiceProxy;
  readonly dir: string;
  /** Each coordinator's ops HTTP port, by role. */
  readonly httpPorts: ReadonlyMap<string, number>;
}

/** What a coordinator failover measured. */
export interface Failover {
  /** The role of the coordinator that was killed (then restarted as the standby). */
  killed: string;
  /** Seconds from the SIGKILL until the other coordinator's /readyz answered 200. */
  takeoverSeconds: number;
  /** A GetFlightInfo of `dataset` made through the Service at the kill: seconds until it succeeded, and its rows. */
  planning: { seconds: number; rows: number };
}

/** One server process of the cluster under its role name ("coordinator", "shard0", ...). */
interface Member {
  readonly role: string;
  readonly port: number;
  readonly args: readonly string[];
  process: StartedProcess;
}

/** The RSS of one process at one moment (seconds since the run's start). */
export interface RssSample {
  at: number;
  bytes: number;
}

/** A 3-process-plus-coordinator cluster whose processes the soak can fault one by one. */
export class SoakCluster {
  private readonly rss = new Map<string, RssSample[]>();
  private readonly extraPids = new Map<string, () => number | undefined>();
  private sampler: NodeJS.Timeout | undefined;
  private startedAt = Date.now();

  private constructor(
    private readonly coordinators: Member[],
    readonly shards: Member[],
    private readonly shmDirs: string[],
    readonly client: FlightClient,
    private readonly standby: Standby | undefined,
  ) {}

  /**
   * Starts `shards` shards with their own shared-memory directories, then a coordinator with R =
   * replicas over them, or with `standby` two ("coordinator-a" leading, "coordinator-b") on a Lease.
   */
  static async start(shards: number, replicas: number, standby = false): Promise<SoakCluster> {
    const shmDirs = Array.from({ length: shards }, () => mkdtempSync('/dev/shm/fc-soak-'));
    const members: Member[] = [];
    const coordinators: Member[] = [];
    let controlPlane: ControlPlane | undefined;
    let dir: string | undefined;
    try {
      for (let i = 0; i < shards; i++) {
        const port = await freePort();
        const args = ['shard', '--host', '127.0.0.1', '--port', String(port), '--memory', '1GiB', '--shm-dir', shmDirs[i]!];
        members.push({ role: `shard${i}`, port, args, process: await startServer(args) });
      }
      const list = members.map((m) => m.process.url).join(',');
      const coordinatorArgs = (port: number): string[] => ['coordinator', '--host', '127.0.0.1', '--port', String(port), '--replicas', String(replicas), '--shard-list', list];
      if (!standby) {
        const port = await freePort();
        const args = coordinatorArgs(port);
        coordinators.push({ role: 'coordinator', port, args, process: await startServer(args, COORDINATOR_NODE_OPTIONS) });
        return new SoakCluster(coordinators, members, shmDirs, new FlightClient(coordinators[0]!.process.url), undefined);
      }
      controlPlane = await startControlPlane();
      await controlPlane.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: LEASE_NAMESPACE } } });
      dir = mkdtempSync(join(tmpdir(), 'fc-soak-lease-'));
      const kubeconfig = join(dir, 'kubeconfig');
      writeFileSync(kubeconfig, controlPlane.kubeConfig.exportConfig());
      const httpPorts = new Map<string, number>();
      for (const identity of ['coordinator-a', 'coordinator-b']) {
        const [port, httpPort] = [await freePort(), await freePort()];
        const args = [
          ...coordinatorArgs(port), '--http-port', String(httpPort), '--leader-lease', LEASE_NAME, '--leader-namespace', LEASE_NAMESPACE,
          '--leader-identity', identity, '--leader-lease-duration', `${LEASE_SECONDS}s`, '--kubeconfig', kubeconfig,
        ];
        coordinators.push({ role: identity, port, args, process: await startServer(args, COORDINATOR_NODE_OPTIONS) });
        httpPorts.set(identity, httpPort);
        // The first leads: the second is started once the first serves.
        if (identity === 'coordinator-a') await readyWithin(httpPort, START_TIMEOUT_MS, identity);
      }
      const proxy = await startServiceProxy(coordinators.map((c) => ({ grpcPort: c.port, httpPort: httpPorts.get(c.role)! })));
      return new SoakCluster(coordinators, members, shmDirs, new FlightClient(proxy.url), { controlPlane, proxy, dir, httpPorts });
    } catch (err) {
      await Promise.all([...coordinators, ...members].map((m) => m.process.stop()));
      await controlPlane?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
      for (const shm of shmDirs) rmSync(shm, { recursive: true, force: true });
      throw err;
    }
  }

  /** Whether two coordinators run active/standby (coordinator loss is a failover, not a restart in place). */
  get activeStandby(): boolean {
    return this.standby !== undefined;
  }

  /** Where clients plan: the coordinator (stable across its restarts: the same port), or the Service stand-in in front of both. */
  get url(): string {
    return this.standby?.proxy.url ?? this.coordinators[0]!.process.url;
  }

  /**
   * SIGKILLs the coordinator that serves, measures until the standby serves and how long a planning
   * call of `dataset` made through the Service at that moment takes, then restarts the killed one
   * (as the new standby).
   */
  async failover(dataset: string): Promise<Failover> {
    const standby = this.standby;
    if (!standby) throw new Error('soak: failover needs the active/standby set-up');
    const ready = await Promise.all(this.coordinators.map((c) => readyz(standby.httpPorts.get(c.role)!)));
    const active = this.coordinators[ready.indexOf(true)];
    if (!active) throw new Error('soak: no coordinator is ready before the failover');
    const next = this.coordinators.find((c) => c !== active)!;
    const killed = Date.now();
    active.process.child.kill('SIGKILL');
    const planner = new FlightClient(standby.proxy.url, { retryUnavailableMs: TAKEOVER_TIMEOUT_MS });
    const planned = planner.getFlightInfo(pathDescriptor(dataset)).then((info) => ({ seconds: (Date.now() - killed) / 1000, rows: Number(info.totalRecords) }));
    planned.catch(() => undefined);
    try {
      await readyWithin(standby.httpPorts.get(next.role)!, TAKEOVER_TIMEOUT_MS, next.role);
      const takeoverSeconds = (Date.now() - killed) / 1000;
      const planning = await planned;
      await this.restart(active.role);
      return { killed: active.role, takeoverSeconds, planning };
    } finally {
      planner.close();
    }
  }

  /** The coordinator's stats. */
  stats(): Promise<ClusterStats> {
    return this.client.action<ClusterStats>('stats');
  }

  /** Resolves once every shard is live and every dataset healthy; the seconds it took. */
  async settled(timeoutMs: number): Promise<number> {
    const start = Date.now();
    // A shard restarted between two of the coordinator's probes still looks live and full until the
    // next probe sees its new instance id: only a view that knows the running processes counts.
    const running = new Map(await Promise.all(this.shards.map(async (s): Promise<[string, string | undefined]> => [s.process.url, await instanceOf(s.process.url)])));
    for (;;) {
      try {
        const stats = await this.stats();
        const current = stats.members.every((m) => m.instance !== undefined && m.instance === running.get(m.id));
        if (stats.members.length === this.shards.length && current && stats.members.every((m) => m.live) && stats.datasets.every((d) => d.status === 'healthy')) {
          return (Date.now() - start) / 1000;
        }
      } catch {
        // The coordinator is restarting: ask again.
      }
      if (Date.now() - start > timeoutMs) throw new Error(`soak: the cluster did not settle within ${timeoutMs} ms: ${JSON.stringify(await this.stats().catch((e: Error) => e.message))}`);
      await sleep(100);
    }
  }

  /** Resolves once the coordinator reports shard `index` down; the seconds it took. */
  async noticedDown(index: number, timeoutMs: number): Promise<number> {
    const start = Date.now();
    const id = this.shards[index]!.process.url;
    for (;;) {
      // A call the coordinator's Service drops while it is slow is asked again.
      const member = (await this.stats().catch(() => undefined))?.members.find((m) => m.id === id);
      if (member?.state === 'down') return (Date.now() - start) / 1000;
      if (Date.now() - start > timeoutMs) throw new Error(`soak: ${this.shards[index]!.role} was not marked down within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** Sends a signal to a member's process: SIGKILL, SIGSTOP, SIGCONT or SIGTERM. */
  signal(role: string, signal: NodeJS.Signals): void {
    this.member(role).process.child.kill(signal);
  }

  /** Waits for the member's process to exit (after a kill), then starts it again on its port. */
  async restart(role: string): Promise<void> {
    const member = this.member(role);
    await member.process.stop();
    member.process = await startServer(member.args, this.coordinators.includes(member) ? COORDINATOR_NODE_OPTIONS : []);
  }

  /** Also samples the RSS of a client process (its pid may be gone by then). */
  watch(role: string, pid: () => number | undefined): void {
    this.extraPids.set(role, pid);
  }

  /** Samples the RSS of every server and watched process every `everyMs` from now. */
  startSampling(everyMs: number): void {
    this.startedAt = Date.now();
    const sample = (): void => {
      const at = (Date.now() - this.startedAt) / 1000;
      const pids: [string, number | undefined][] = [...this.coordinators, ...this.shards].map((m): [string, number] => [m.role, m.process.pid]);
      for (const [role, pid] of this.extraPids) pids.push([role, pid()]);
      for (const [role, pid] of pids) {
        const bytes = pid === undefined ? null : rssBytes(pid);
        if (bytes === null) continue;
        const samples = this.rss.get(role) ?? [];
        samples.push({ at, bytes });
        this.rss.set(role, samples);
      }
    };
    sample();
    this.sampler = setInterval(sample, everyMs);
  }

  /** RSS samples per role so far. */
  rssSamples(): Record<string, RssSample[]> {
    return Object.fromEntries(this.rss);
  }

  /** Stops every process and removes the shared-memory directories. */
  async stop(): Promise<void> {
    if (this.sampler) clearInterval(this.sampler);
    this.client.close();
    await this.standby?.proxy.close();
    for (const member of [...this.coordinators, ...this.shards]) {
      // A frozen process ignores SIGTERM until it runs again.
      member.process.child.kill('SIGCONT');
      await member.process.stop();
    }
    await this.standby?.controlPlane.stop();
    if (this.standby) rmSync(this.standby.dir, { recursive: true, force: true });
    for (const dir of this.shmDirs) rmSync(dir, { recursive: true, force: true });
  }

  private member(role: string): Member {
    const member = [...this.coordinators, ...this.shards].find((m) => m.role === role);
    if (!member) throw new Error(`soak: no member ${role}`);
    return member;
  }
}

async function startServer(args: readonly string[], nodeOptions: readonly string[] = []): Promise<StartedProcess> {
  const main = join(repoRoot(), 'dist', 'cache-server', 'cli', 'main.js');
  try {
    return await startProcess(process.execPath, [...nodeOptions, main, ...args], READY, { timeoutMs: START_TIMEOUT_MS, env: { ...process.env, FLIGHTCACHE_LOG_LEVEL: 'warn' } });
  } catch (err) {
    throw new Error(`soak: could not start \`flightcache ${args.join(' ')}\` (run \`npx tsc -p tsconfig.json\` first): ${(err as Error).message}`, { cause: err });
  }
}

/** The instance id a server's health action reports (a new one after each restart). */
async function instanceOf(url: string): Promise<string | undefined> {
  const client = new FlightClient(url);
  try {
    return (await client.action<{ instance?: string }>('health', '', { timeoutMs: 5000 })).instance;
  } finally {
    client.close();
  }
}

/** Resolves once a coordinator's /readyz answers 200; fails after `timeoutMs`. */
async function readyWithin(httpPort: number, timeoutMs: number, role: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await readyz(httpPort))) {
    if (Date.now() > deadline) throw new Error(`soak: ${role} was not ready within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** VmRSS of a process in bytes, or null once it has exited. */
function rssBytes(pid: number): number | null {
  try {
    return readMemoryUse(pid).rssBytes;
  } catch {
    return null;
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
