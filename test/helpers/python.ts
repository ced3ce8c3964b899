/**
 * Runs the repo's Python tooling (test/python, bench/py) with the interpreter in .venv, which
 * scripts/setup-venv.sh creates.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A parsed JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What flight_probe.py prints when the server (or the probe) failed. */
export interface ProbeError {
  error: { type: string; message: string; grpc_status: number | null };
}

/** Options for runPython. */
export interface RunPythonOptions {
  timeoutMs?: number;
}

/** Credentials a probe authenticates with (basic -> bearer handshake). */
export interface ProbeCredentials {
  user: string;
  password: string;
}

const DEFAULT_TIMEOUT_MS = 120_000;

/** The repository root: the nearest directory above this file holding package.json. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

/** Path of .venv/bin/python; throws with the fix when the venv has not been created. */
export function venvPython(): string {
  const python = join(repoRoot(), '.venv', 'bin', 'python');
  if (!existsSync(python)) {
    throw new Error(`${python} does not exist: run scripts/setup-venv.sh to create the Python venv`);
  }
  return python;
}

/** Runs `python -m pytest PATH -q` from the repo root with FLIGHTCACHE_NODE set; resolves with its exit code and output. */
export function runPytest(python: string, path: string, timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      python,
      ['-m', 'pytest', path, '-q'],
      { cwd: repoRoot(), timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, FLIGHTCACHE_NODE: process.execPath } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

/** Absolute path of a script in test/python (absolute paths are returned unchanged). */
export function pythonScript(script: string): string {
  return isAbsolute(script) ? script : join(repoRoot(), 'test', 'python', script);
}

/**
 * Runs a Python script with the venv interpreter and parses the last stdout line as JSON.
 * Rejects, with stderr in the message, when the script exits non-zero or prints no JSON.
 */
export function runPython<T = JsonValue>(script: string, args: readonly string[], options: RunPythonOptions = {}): Promise<T> {
  const python = venvPython();
  const path = pythonScript(script);
  return new Promise<T>((resolve, reject) => {
    execFile(
      python,
      [path, ...args],
      { timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const lines = stdout.trim().split('\n');
        const last = lines[lines.length - 1] ?? '';
        const context = `${path} ${args.join(' ')}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;
        if (err) {
          reject(new Error(`python failed (${err.message.split('\n')[0]}): ${context}`));
          return;
        }
        try {
          resolve(JSON.parse(last) as T);
        } catch {
          reject(new Error(`python printed no JSON on its last line: ${context}`));
        }
      },
    );
  });
}

/** Runs one flight_probe.py operation against url, authenticating first when creds are given. */
export function runProbe<T = JsonValue>(
  url: string,
  args: readonly string[],
  creds?: ProbeCredentials,
  options: RunPythonOptions = {},
): Promise<T | ProbeError> {
  const auth = creds ? ['--user', creds.user, '--password', creds.password] : [];
  return runPython<T | ProbeError>('flight_probe.py', ['--url', url, ...auth, ...args], options);
}

/** Type guard: the probe reported an error instead of a result. */
export function isProbeError(result: unknown): result is ProbeError {
  return typeof result === 'object' && result !== null && 'error' in result;
}

/** The report of flight_probe.py's `interop` scenario. */
export interface InteropReport {
  ok: boolean;
  passed: number;
  failed: string[];
  checks: Record<string, { pass: boolean; detail: string }>;
  cleanup_errors: string[];
}

/** What flight_probe.py's `get` and `put` print. */
export interface GetResult {
  rows: number;
  batches: number[];
  digest: string;
  equal?: boolean;
  detail?: string;
}

/** Unwraps a probe result, failing the test with the server's error when the probe got one. */
export function probeValue<T>(value: T | ProbeError): T {
  if (isProbeError(value)) throw new Error(`probe failed: ${JSON.stringify(value.error)}`);
  return value;
}

/**
 * Asserts the Basic -> Bearer flow of a server started with `creds`, as pyarrow sees it: the handshake
 * returns an authorization header whose value matches `bearer`, a wrong password and a call without a
 * token are FlightUnauthenticatedError.
 */
export async function assertBearerAuth(url: string, creds: ProbeCredentials, bearer: RegExp): Promise<void> {
  const ok = probeValue(await runProbe<{ header: string; value: string }>(url, ['handshake'], creds));
  assert.equal(ok.header, 'authorization');
  assert.match(ok.value, bearer);
  const bad = await runProbe(url, ['handshake'], { user: creds.user, password: 'wrong' });
  assert.ok(isProbeError(bad));
  assert.equal(bad.error.type, 'FlightUnauthenticatedError');
  const anonymous = await runProbe(url, ['list']);
  assert.ok(isProbeError(anonymous));
  assert.equal(anonymous.error.type, 'FlightUnauthenticatedError');
}
