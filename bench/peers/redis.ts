/**
 * Redis holding the same record batches as IPC blobs, one key per batch (RecordBatch.serialize), read
 * by redis-py (hiredis parser) with pipelined GETs and decoded with pyarrow.ipc.read_record_batch.
 * The harness starts its own redis-server on a free loopback port, without persistence, and stops it.
 */
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

import { startProcess, type StartedProcess } from '../../test/helpers/process.js';
import { pythonImportProblem, pythonWorker, type ContenderPlan } from './contender.js';

/** Redis blobs read with redis-py + pyarrow.ipc. */
export const REDIS = 'redis';

/** GETs per pipeline round trip (8 batches of 64Ki rows is about 24 MiB in flight). */
export const REDIS_PIPELINE = 8;

const READY = /Ready to accept connections/;

/** The absolute path of an executable named `name` on `pathEnv`, or undefined. */
export function findOnPath(name: string, pathEnv = process.env['PATH'] ?? ''): string | undefined {
  for (const dir of pathEnv.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Why Redis cannot be measured here, or undefined. */
export async function redisProblem(python: string): Promise<string | undefined> {
  if (findOnPath('redis-server') === undefined) {
    return 'redis-server is not installed (Debian: apt-get install -y redis-server; .ci/run installs it)';
  }
  return pythonImportProblem(python, ['redis', 'hiredis']);
}

/** redis-server arguments: loopback only, no RDB snapshots, no AOF, logs on stdout (for the ready line). */
export function redisServerArgs(port: number, dir: string): string[] {
  return [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--save', '',
    '--appendonly', 'no',
    '--dir', dir,
    '--logfile', '',
    '--daemonize', 'no',
  ];
}

/** A free loopback TCP port (redis-server cannot pick one itself: --port 0 disables TCP). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A running redis-server and its port. */
export interface RedisServer {
  port: number;
  process: StartedProcess;
}

/** Starts redis-server on a free port with `dir` as its working directory. */
export async function startRedis(dir: string): Promise<RedisServer> {
  const port = await freePort();
  const server = await startProcess(findOnPath('redis-server') ?? 'redis-server', redisServerArgs(port, dir), READY, { timeoutMs: 30_000 });
  return { port, process: server };
}

/** The Redis contender for keys PREFIX:schema, PREFIX:count and PREFIX:NNNNNN. */
export function redisPlan(python: string, port: number, prefix: string): ContenderPlan {
  return {
    name: REDIS,
    description: `redis-server, one IPC blob per batch, redis-py+hiredis GETs pipelined ${REDIS_PIPELINE} deep, pyarrow.ipc`,
    command: pythonWorker(python, 'redis', { port, prefix, pipeline: REDIS_PIPELINE }),
  };
}
