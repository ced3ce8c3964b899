/** Shared pieces of the load tests: fixtures pyarrow writes, the pyarrow oracle, and the CLI. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { startCli } from '../cluster/cluster-helpers.js';
import type { StartedProcess } from '../helpers/process.js';
import { repoRoot, runPython } from '../helpers/python.js';

export const CLI = join(repoRoot(), 'dist', 'cache-server', 'cli', 'main.js');

/** Writes every fixture of load_check.py into a new temporary directory and returns it. */
export async function writeFixtures(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'flightcache-load-'));
  await runPython('load_check.py', ['write', dir], { timeoutMs: 300_000 });
  return dir;
}

/** What load_check.py compare prints. */
export interface Comparison {
  equal: boolean;
  detail: string;
  rows: number;
  columns: string[];
}

/** Compares dataset `name` at `url` with pyarrow's read of `path` as `kind`. */
export function compareWithPyarrow(url: string, name: string, kind: string, path: string, extra: readonly string[] = []): Promise<Comparison> {
  return runPython<Comparison>('load_check.py', ['compare', url, name, kind, path, ...extra], { timeoutMs: 300_000 });
}

/** How a CLI run ended. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `flightcache ARGS...` to completion (stdout is a pipe: progress comes as JSON lines). */
export function runCli(args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 300_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Hooks writing the fixtures and starting one node before the file's tests, and removing them after (the node must exit cleanly). */
export function fixturesAndNode(): { fixtures(): string; server(): StartedProcess } {
  let fixtures: string | undefined;
  let server: StartedProcess | undefined;
  before(async () => {
    fixtures = await writeFixtures();
    server = await startCli(['serve', '--port', '0']);
  });
  after(async () => {
    const status = await server?.stop();
    if (fixtures) rmSync(fixtures, { recursive: true, force: true });
    assert.deepEqual(status, { code: 0, signal: null }, server?.stderr());
  });
  return { fixtures: () => fixtures!, server: () => server! };
}
