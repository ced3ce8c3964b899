/** Starts the Flight servers that benchmarks compare, and reads their memory use from /proc. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { startProcess, type StartedProcess } from '../test/helpers/process.js';
import { pythonScript, repoRoot, venvPython } from '../test/helpers/python.js';

/** Resident and peak resident memory of a process, in bytes. */
export interface MemoryUse {
  rssBytes: number;
  peakRssBytes: number;
}

const START_TIMEOUT_MS = 60_000;

/**
 * Starts flightcache through its CLI contract (`serve ... --port 0`, ready line
 * `flightcache ready grpc://HOST:PORT`); the error says how to fix a missing build.
 */
export async function startOurServer(memory: string): Promise<StartedProcess> {
  const main = join(repoRoot(), 'dist', 'cache-server', 'cli', 'main.js');
  if (!existsSync(main)) {
    throw new Error(`our server is not built (${main} is missing): run \`npx tsc -p tsconfig.json\`, or pass --only pyarrow`);
  }
  const args = [main, 'serve', '--host', '127.0.0.1', '--port', '0', '--memory', memory];
  try {
    return await startProcess(process.execPath, args, /^flightcache ready (grpc:\/\/\S+)$/, { timeoutMs: START_TIMEOUT_MS });
  } catch (err) {
    throw new Error(`could not start our server (pass --only pyarrow to measure the peer alone): ${(err as Error).message}`, { cause: err });
  }
}

/** Starts the pyarrow FlightServerBase peer (test/python/peer_server.py) on a free port. */
export async function startPyarrowServer(): Promise<StartedProcess> {
  const args = [pythonScript('peer_server.py'), '--host', '127.0.0.1', '--port', '0'];
  try {
    return await startProcess(venvPython(), args, /^peer ready (grpc:\/\/\S+)$/, { timeoutMs: START_TIMEOUT_MS });
  } catch (err) {
    throw new Error(`could not start the pyarrow peer: ${(err as Error).message}`, { cause: err });
  }
}

/** VmRSS and VmHWM of a Linux process, from /proc/PID/status. */
export function readMemoryUse(pid: number): MemoryUse {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${field} line`);
    return Number(match[1]) * 1024;
  };
  return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
}
