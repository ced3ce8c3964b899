/**
 * Column projection, differentially against pyarrow: pyarrow puts the all_types table (and the
 * layouts it lacks: null, sparse and dense unions) into `flightcache serve`, reads column subsets
 * with the JSON command's "columns" and compares each with table.select in pyarrow.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { startProcess } from '../helpers/process.js';
import { repoRoot, runPython } from '../helpers/python.js';

const CLI = join(repoRoot(), 'dist', 'cache-server', 'cli', 'main.js');

interface ProjectionReport {
  checked: number;
  failures: unknown[];
  unknown: { type: string; message: string } | null;
  view: { type: string; message: string } | null;
}

test('every single column, reversed and strided subsets and the nested columns read back equal to table.select', async () => {
  const server = await startProcess(process.execPath, [CLI, 'serve', '--port', '0'], /^flightcache ready (grpc:\/\/\S+)$/, {
    env: { ...process.env, FLIGHTCACHE_LOG_LEVEL: 'warn' },
  });
  try {
    const report = await runPython<ProjectionReport>('projection_check.py', [server.url]);
    assert.deepEqual(report.failures, []);
    // all_types: 47 single columns + reversed + every third + nested; extras: 5 + reversed + every third.
    assert.equal(report.checked, 47 + 3 + 5 + 2);
    assert.equal(report.unknown?.type, 'ArrowInvalid');
    assert.match(report.unknown?.message ?? '', /^unknown column "nope"; the dataset's columns are: "int8", "int16", .*"map", "dictionary"$/);
    assert.deepEqual(report.view, { type: 'ArrowNotImplementedError', message: 'column projection does not support field "text" of type Utf8View' });
  } finally {
    const status = await server.stop();
    assert.deepEqual(status, { code: 0, signal: null }, `server did not exit cleanly on SIGTERM: ${server.stderr()}`);
  }
});
