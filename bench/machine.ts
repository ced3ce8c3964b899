/** Describes the machine a benchmark ran on, so numbers are never quoted without their context. */
import { execFile } from 'node:child_process';
import { cpus, hostname, release, totalmem, type } from 'node:os';
import { promisify } from 'node:util';

import { venvPython } from '../test/helpers/python.js';

/** CPU, memory and software versions of the benchmark machine. */
export interface MachineInfo {
  /** The host's name (uname's node name): which machine of a fleet ran the record. */
  hostname: string;
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  os: string;
  node: string;
  python: string;
  pyarrow: string;
}

const run = promisify(execFile);

/** The venv's Python and pyarrow versions (the peer server and the benchmark clients run on them). */
export async function pythonVersions(): Promise<{ python: string; pyarrow: string }> {
  const script = 'import platform, pyarrow; print(platform.python_version(), pyarrow.__version__)';
  const { stdout } = await run(venvPython(), ['-c', script]);
  const [python = '', pyarrow = ''] = stdout.trim().split(' ');
  return { python, pyarrow };
}

/** Collects MachineInfo; the CPU model comes from the first core Node reports. */
export async function collectMachine(): Promise<MachineInfo> {
  const cores = cpus();
  return {
    hostname: hostname(),
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    cores: cores.length,
    memoryBytes: totalmem(),
    os: `${type()} ${release()} ${process.arch}`,
    node: process.version,
    ...(await pythonVersions()),
  };
}

/** MachineInfo as aligned "key: value" lines for the printed report. */
export function formatMachine(machine: MachineInfo): string {
  const gib = (machine.memoryBytes / 2 ** 30).toFixed(1);
  return [
    `host:    ${machine.hostname}`,
    `cpu:     ${machine.cpuModel} (${machine.cores} cores)`,
    `memory:  ${gib} GiB`,
    `os:      ${machine.os}`,
    `node:    ${machine.node}`,
    `python:  ${machine.python}`,
    `pyarrow: ${machine.pyarrow}`,
  ].join('\n');
}
