/**
 * The shard processes `flightcache serve --shards N` runs beside its coordinator: separate OS
 * processes, each a `flightcache shard`, joined to the membership as local members. A shard that
 * dies is started again on the same port, empty, and the coordinator refills it, as a Kubernetes
 * pod restart would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseFlightUrl } from '../../client/src/flight/http2/client.js';
import type { Credentials } from '../auth/users.js';
import type { Logger } from '../logger.js';
import type { ClusterState } from './cluster-state.js';

/** How to run local shards. */
export interface LocalShardsOptions {
  count: number;
  host: string;
  /** Per-shard memory limit, as the --memory flag takes it. */
  memory?: string;
  /** Shared-memory directory of every shard, as --shm-dir takes it (`off`: private memory). */
  shmDir?: string;
  /** The disk tier: each shard spills to its own subdirectory, DIR/<shard id>. */
  spillDir?: string;
  /** Further flags every shard gets (request limits, auth and TLS files), e.g. ["--max-message", "64MiB"]. */
  flags?: readonly string[];
  credentials?: Credentials;
  /** The signing key text the shards get in their environment, when the cluster has no --auth-key-file. */
  authKey?: string;
  state: ClusterState;
  logger: Logger;
  /** Delay before a dead shard is started again. */
  restartDelayMs?: number;
  /** FLIGHTCACHE_LOG_LEVEL of the shard processes (default: inherited). */
  logLevel?: string;
}

/** Set in the environment of supervised shards: they exit when their stdin (the supervisor) closes. */
export const SUPERVISED_ENV = 'FLIGHTCACHE_SUPERVISED';

/** In a supervised shard, exits once the supervisor's end of the stdin pipe closes (it exited or was killed). */
export function exitWithSupervisor(stop: () => Promise<void>): void {
  if (process.env[SUPERVISED_ENV] !== '1') return;
  process.stdin.on('end', () => void stop().finally(() => process.exit(0)));
  process.stdin.on('error', () => void stop().finally(() => process.exit(0)));
  process.stdin.resume();
}

const MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const READY = /^flightcache ready (grpc(?:\+tls)?:\/\/\S+)$/;

/** Supervises N local shard processes. */
export class LocalShards {
  readonly #children = new Map<string, ChildProcess>();
  #closing = false;

  constructor(private readonly options: LocalShardsOptions) {}

  /** Starts every shard and resolves once each is live (up and in line) in the membership. */
  async start(timeoutMs = 30_000): Promise<void> {
    const ids = Array.from({ length: this.options.count }, (_, i) => `shard-${i}`);
    await Promise.all(ids.map((id) => this.spawn(id, 0)));
    const deadline = Date.now() + timeoutMs;
    while (!ids.every((id) => this.options.state.live(id) !== undefined)) {
      if (Date.now() > deadline) throw new Error(`local shards not live within ${timeoutMs} ms: ${JSON.stringify(this.options.state.members())}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops every shard process. */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(
      [...this.#children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
  }

  /** `--spill-dir DIR/<id>`, the directory made empty: a (re)started shard holds nothing, so files a dead one left are garbage. */
  #spillFlags(id: string): string[] {
    if (this.options.spillDir === undefined) return [];
    const dir = join(this.options.spillDir, id);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { mode: 0o700 });
    return ['--spill-dir', dir];
  }

  /** Starts shard `id` on `port` (0: any) and resolves with its location once it prints its ready line. */
  private spawn(id: string, port: number): Promise<string> {
    const { host, memory, shmDir, credentials, state, logger } = this.options;
    const args = [MAIN, 'shard', '--host', host, '--port', String(port), '--id', id, ...(memory ? ['--memory', memory] : []), ...(shmDir ? ['--shm-dir', shmDir] : []), ...this.#spillFlags(id), ...(this.options.flags ?? [])];
    // Credentials travel in the environment, not the command line other users can read. The child
    // watches its stdin pipe and exits when it closes, so shards never outlive a killed coordinator.
    // Each shard takes the default socket of its own port: one --shm-socket path cannot serve them all.
    const { FLIGHTCACHE_SHM_SOCKET: _oneSocket, ...inherited } = process.env;
    const env = {
      ...inherited,
      [SUPERVISED_ENV]: '1',
      ...(this.options.logLevel ? { FLIGHTCACHE_LOG_LEVEL: this.options.logLevel } : {}),
      ...(credentials ? { FLIGHTCACHE_USER: credentials.user, FLIGHTCACHE_PASSWORD: credentials.password } : {}),
      ...(this.options.authKey ? { FLIGHTCACHE_AUTH_KEY: this.options.authKey } : {}),
    };
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'], env });
    this.#children.set(id, child);
    return new Promise((resolve, reject) => {
      let location: string | undefined;
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const match = READY.exec(line);
        if (!match || location !== undefined) return;
        location = match[1]!;
        state.pids.set(id, child.pid!);
        state.membership.upsert({ id, location, source: 'local' });
        resolve(location);
      });
      child.once('exit', (code, signal) => {
        state.pids.delete(id);
        if (location === undefined) return reject(new Error(`shard ${id} exited (code ${code}, signal ${signal}) before it was ready`));
        if (this.#closing) return;
        logger.warn({ shard: id, code, signal }, 'shard process exited; starting it again');
        const again = parseFlightUrl(location).port;
        setTimeout(() => {
          if (this.#closing) return;
          this.spawn(id, again).catch((err: unknown) => logger.error({ shard: id, err: err instanceof Error ? err.message : String(err) }, 'shard restart failed'));
        }, this.options.restartDelayMs ?? 500).unref();
      });
    });
  }
}
