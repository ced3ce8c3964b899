/**
 * The soak suite's cluster: a coordinator and static shards as separate processes on fixed loopback
 * ports, so that each can be SIGKILLed, frozen (SIGSTOP/SIGCONT) or restarted on its own port, and
 * the RSS of every process (servers and clients) sampled over time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { FlightClient } from '../../client/src/flight-client.js';
import type { ClusterStats } from '../../cache-server/cluster/cluster-actions.js';
import { freePort, startProcess, type StartedProcess } from '../../test/helpers/process.js';
import { repoRoot } from '../../test/helpers/python.js';
import { readMemoryUse } from '../servers.js';

const READY = /^flightcache ready (grpc:\/\/\S+)$/;
const START_TIMEOUT_MS = 60_000;
/** Why the coordinator runs with this flag: docs/cluster.md ("Roles"). */
const COORDINATOR_NODE_OPTIONS = ['--no-memory-reducer'];

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
    private readonly coordinatorMember: Member,
    readonly shards: Member[],
    private readonly shmDirs: string[],
    readonly client: FlightClient,
  ) {}

  /** Starts `shards` shards with their own shared-memory directories, then a coordinator with R = replicas over them. */
  static async start(shards: number, replicas: number): Promise<SoakCluster> {
    const shmDirs = Array.from({ length: shards }, () => mkdtempSync('/dev/shm/fc-soak-'));
    const members: Member[] = [];
    try {
      for (let i = 0; i < shards; i++) {
        const port = await freePort();
        const args = ['shard', '--host', '127.0.0.1', '--port', String(port), '--memory', '1GiB', '--shm-dir', shmDirs[i]!];
        members.push({ role: `shard${i}`, port, args, process: await startServer(args) });
      }
      const port = await freePort();
      const list = members.map((m) => m.process.url).join(',');
      const args = ['coordinator', '--host', '127.0.0.1', '--port', String(port), '--replicas', String(replicas), '--shard-list', list];
      const coordinator: Member = { role: 'coordinator', port, args, process: await startServer(args, COORDINATOR_NODE_OPTIONS) };
      return new SoakCluster(coordinator, members, shmDirs, new FlightClient(coordinator.process.url));
    } catch (err) {
      await Promise.all(members.map((m) => m.process.stop()));
      for (const dir of shmDirs) rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The coordinator's URL (stable across its restarts: the same port). */
  get url(): string {
    return this.coordinatorMember.process.url;
  }

  /** The coordinator's stats. */
  stats(): Promise<ClusterStats> {
    return this.client.action<ClusterStats>('stats');
  }

  /** Resolves once every shard is live and every dataset healthy; the seconds it took. */
  async settled(timeoutMs: number): Promise<number> {
    const start = Date.now();
    for (;;) {
      try {
        const stats = await this.stats();
        if (stats.members.length === this.shards.length && stats.members.every((m) => m.live) && stats.datasets.every((d) => d.status === 'healthy')) {
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
      const member = (await this.stats()).members.find((m) => m.id === id);
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
    member.process = await startServer(member.args, role === 'coordinator' ? COORDINATOR_NODE_OPTIONS : []);
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
      const pids: [string, number | undefined][] = [[this.coordinatorMember.role, this.coordinatorMember.process.pid], ...this.shards.map((s): [string, number] => [s.role, s.process.pid])];
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
    for (const member of [this.coordinatorMember, ...this.shards]) {
      // A frozen process ignores SIGTERM until it runs again.
      member.process.child.kill('SIGCONT');
      await member.process.stop();
    }
    for (const dir of this.shmDirs) rmSync(dir, { recursive: true, force: true });
  }

  private member(role: string): Member {
    const member = role === 'coordinator' ? this.coordinatorMember : this.shards.find((s) => s.role === role);
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
