/** Describes the machine a benchmark ran on, so numbers are never quoted without their context. */
import { execFile } from 'node:child_process';
import { cpus, release, totalmem, type } from 'node:os';
import { promisify } from 'node:util';

import { venvPython } from '../test/helpers/python.js';

/** CPU, memory and software versions of the benchmark machine. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  os: string;
  node: string;
  pyarrow: string;
}

const run = promisify(execFile);

/** The venv's pyarrow version (the peer server and the benchmark clients run on it). */
export async function pyarrowVersion(): Promise<string> {
  const { stdout } = await run(venvPython(), ['-c', 'import pyarrow; print(pyarrow.__version__)']);
  return stdout.trim();
}

/** Collects MachineInfo; the CPU model comes from the first core Node reports. */
export async function collectMachine(): Promise<MachineInfo> {
  const cores = cpus();
  return {
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    cores: cores.length,
    memoryBytes: totalmem(),
    os: `${type()} ${release()} ${process.arch}`,
    node: process.version,
    pyarrow: await pyarrowVersion(),
  };
}

/** MachineInfo as aligned "key: value" lines for the printed report. */
export function formatMachine(machine: MachineInfo): string {
  const gib = (machine.memoryBytes / 2 ** 30).toFixed(1);
  return [
    `cpu:     ${machine.cpuModel} (${machine.cores} cores)`,
    `memory:  ${gib} GiB`,
    `os:      ${machine.os}`,
    `node:    ${machine.node}`,
    `pyarrow: ${machine.pyarrow}`,
  ].join('\n');
}
