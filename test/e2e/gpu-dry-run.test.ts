/**
 * bench/gpu/run.sh on the CPU (--device cpu), as a GPU machine runs it on CUDA: one command starts the
 * cluster, loads the data, runs every contender (shm, grpc, ipc-mmap) over the sweep, prints the
 * summary and writes a record whose reproduce command gives back every option it was run with.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, venvPython } from '../helpers/python.js';
import { parseRecord } from '../../bench/report/results.js';
import { gpuReproduce } from '../../bench/report/sections/gpu.js';

const OPTIONS = ['--device', 'cpu', '--gb', '0.001', '--batch-size', '1024', '--epochs', '1', '--hidden', '8', '--sweep', '4,8', '--layers', '1', '--contenders', 'shm,grpc,ipc-mmap', '--read-ahead', '2'];

test('run.sh --device cpu runs every contender over the sweep, prints the summary, and its record reproduces every option', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gpu-dry-'));
  try {
    const out = join(dir, 'gpu.json');
    const env = { ...process.env, FLIGHTCACHE_PYTHON: venvPython(), GPU_FEED_SHARDS: '2' };
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile('bash', [join(repoRoot(), 'bench', 'gpu', 'run.sh'), ...OPTIONS, '--out', out], { env, timeout: 300_000 }, (err, text, errText) =>
        err ? reject(new Error(`${err.message}\n${errText}`)) : resolve(text),
      ),
    );
    const raw = JSON.parse(readFileSync(out, 'utf8')) as {
      params: { rows: number; sweep: number[]; contenders: string[] };
      contenders: Record<string, { transport: string | null; sweep: { hidden: number; rows: number }[]; shortestFedHidden: number | null }>;
      goal: { contender: string; hidden: number };
    };
    // One generated batch: 65,536 rows, every epoch of every contender delivers all of them.
    assert.equal(raw.params.rows, 65_536);
    assert.deepEqual(raw.params.sweep, [4, 8]);
    assert.deepEqual(Object.keys(raw.contenders), ['shm', 'grpc', 'ipc-mmap']);
    assert.deepEqual(
      Object.values(raw.contenders).map((c) => [c.transport, c.sweep.map((p) => [p.hidden, p.rows])]),
      [
        ['shm', [[4, 65_536], [8, 65_536]]],
        ['grpc', [[4, 65_536], [8, 65_536]]],
        [null, [[4, 65_536], [8, 65_536]]],
      ],
    );
    assert.deepEqual([raw.goal.contender, raw.goal.hidden], ['shm', 8]);
    const lines = stdout.trim().split('\n');
    assert.match(lines[0]!, /^GPU feed on the CPU \(dry run\): 0\.00 GB, 1024-row batches, shuffled, 2 shards/);
    for (const name of ['shm', 'grpc', 'ipc-mmap']) assert.ok(lines.some((line) => line.startsWith(`${name}: shortest step with GPU idle <= 5%: `)), stdout);
    assert.match(lines[lines.length - 1]!, /^goal at the default step \(hidden 8, [\d.]+ ms, shm\): GPU idle [\d.]+%, data wait [\d.]+% \(both <= 5%: (met|NOT met)\)$/);
    const command = gpuReproduce(parseRecord('gpu.json', raw));
    assert.equal(command, `GPU_FEED_SHARDS=2 bash bench/gpu/run.sh ${OPTIONS.join(' ')} --out docs/results/gpu.json`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
