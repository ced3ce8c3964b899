/**
 * What the Python package's scenario tests driven from TypeScript share, over either transport: a
 * `flightcache serve` process and rows put through torch_common.py.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startProcess, type StartedProcess } from './process.js';
import { repoRoot, runPython } from './python.js';

const CLI = join(repoRoot(), 'dist', 'cache-server', 'cli', 'main.js');
const READY = /^flightcache ready (grpc:\/\/\S+)$/;

/** Starts `flightcache serve` with extra arguments, logging only warnings. */
export function serve(...args: string[]): Promise<StartedProcess> {
  return startProcess(process.execPath, [CLI, 'serve', '--port', '0', ...args], READY, {
    env: { ...process.env, FLIGHTCACHE_LOG_LEVEL: 'warn' },
  });
}

/** Stops a server and asserts it exited cleanly. */
export async function stop(server: StartedProcess): Promise<void> {
  assert.deepEqual(await server.stop(), { code: 0, signal: null });
}

/** Puts `rows` rows of torch_common.py's data as dataset `name`, in stored batches of `batchRows`. */
export async function putRows(url: string, name: string, rows: number, batchRows: number): Promise<void> {
  assert.deepEqual(await runPython('torch_common.py', [url, 'put', name, String(rows), String(batchRows)]), { put: rows });
}
