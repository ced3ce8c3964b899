/**
 * pushdown: SQL predicates at 0.1, 1, 10 and 50 % selectivity on a numeric, a utf8 and a dictionary
 * column of a generated table of about 1 GiB (--quick: 128 MiB; bench/py/pushdown_peers.py).
 * Part `rate`: the shard's filter rate (the planned kernel over every batch of the table in memory,
 * bench/suites/pushdown-kernel.ts) against `SELECT count(*) ... WHERE` in DuckDB and DataFusion over
 * the same table as an in-memory Arrow table, in rows scanned per wall second and per CPU second;
 * ours and the peers take turns, one sample of every case each per round.
 * Part `e2e`: one node holding the table; a pyarrow client reads the filtered stream (the JSON
 * command's "filter") against reading everything and filtering with pyarrow.compute, checking the
 * rows are the same. `--only rate` or `--only e2e` runs one part.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { repoRoot, runPython } from '../../test/helpers/python.js';
import { startOurServer } from '../servers.js';
import type { SuiteOptions, SuiteOutput } from '../suite.js';
import { kernelTimes } from './pushdown-kernel.js';
import { CASES, endToEndCases, pushdownText, rateCases, type EndToEndRuns, type Passes } from './pushdown-results.js';

const SCRIPT = join(repoRoot(), 'bench', 'py', 'pushdown_peers.py');
const DATASET = 'bench-pushdown';
const PARTS = ['rate', 'e2e'];
const TIMEOUT_MS = 3600_000;
/** Rows each timed sample of a filter rate scans (whole passes): long enough that CPU time, counted in scheduler ticks, means something. */
const SAMPLE_ROWS = 20e6;

interface Engines {
  rows: number;
  duckdbThreads: number | null;
  engines: Record<string, Record<string, Passes> | { skipped: string }>;
}

/** Adds one round's samples of `contender` (by case name) to those of earlier rounds. */
function appendPasses(contenders: Map<string, Map<string, Passes>>, contender: string, round: ReadonlyMap<string, Passes>): void {
  const seen = contenders.get(contender) ?? new Map<string, Passes>();
  for (const [name, passes] of round) {
    const before = seen.get(name);
    if (before && before.rows !== passes.rows) throw new Error(`pushdown ${name}: ${contender} kept ${passes.rows} rows, before ${before.rows}`);
    seen.set(name, { rows: passes.rows, seconds: [...(before?.seconds ?? []), ...passes.seconds], cpuSeconds: [...(before?.cpuSeconds ?? []), ...passes.cpuSeconds] });
  }
  contenders.set(contender, seen);
}

/** Runs the suite; see the module comment. */
export async function runPushdown(options: SuiteOptions): Promise<SuiteOutput> {
  const parts = options.only === undefined ? PARTS : options.only.split(',');
  for (const part of parts) if (!PARTS.includes(part)) throw new Error(`pushdown: unknown part "${part}" (parts: ${PARTS.join(', ')})`);
  const runs = options.runs ?? (options.quick ? 5 : 7);
  const mib = options.quick ? 128 : 1024;
  const dir = mkdtempSync(join(tmpdir(), 'bench-pushdown-'));
  try {
    const table = await runPython<{ rows: number; batches: number; bytes: number; file: string }>(SCRIPT, ['write', dir, String(mib)], { timeoutMs: TIMEOUT_MS });
    const cases = JSON.stringify(CASES);
    const data: Record<string, unknown> = { params: { runs, rows: table.rows, batches: table.batches, dataBytes: table.bytes }, cases: CASES };
    let rates: ReturnType<typeof rateCases> | undefined;
    let endToEnd: ReturnType<typeof endToEndCases> | undefined;
    if (parts.includes('rate')) {
      const repeat = Math.ceil(SAMPLE_ROWS / table.rows);
      const contenders = new Map<string, Map<string, Passes>>();
      const skipped: Record<string, string> = {};
      let duckdbThreads: number | null = null;
      // Ours and the peers take turns, one sample of every case each per round: this machine's speed
      // moves in phases of seconds, and turns give both sides samples from the same phases.
      for (let round = 0; round < runs; round++) {
        const ours = kernelTimes(table.file, CASES.map((c) => c.sql), 1, repeat);
        appendPasses(contenders, 'ours', new Map(CASES.map((c) => [c.name, ours.get(c.sql)!])));
        const peers = await runPython<Engines>(SCRIPT, ['engines', dir, '1', String(repeat), cases], { timeoutMs: TIMEOUT_MS });
        duckdbThreads = peers.duckdbThreads;
        for (const [engine, result] of Object.entries(peers.engines)) {
          if ('skipped' in result && typeof result.skipped === 'string') skipped[engine] = result.skipped;
          else appendPasses(contenders, engine, new Map(Object.entries(result as Record<string, Passes>)));
        }
      }
      rates = rateCases(table.rows * repeat, contenders);
      Object.assign(data, { passesPerSample: repeat, duckdbThreads, skipped, rates });
    }
    if (parts.includes('e2e')) {
      const server = await startOurServer(options.quick ? '2GiB' : '6GiB');
      try {
        await runPython(SCRIPT, ['load', server.url, DATASET, dir], { timeoutMs: TIMEOUT_MS });
        const runsByCase = await runPython<Record<string, EndToEndRuns>>(SCRIPT, ['e2e', server.url, DATASET, String(runs), cases], { timeoutMs: TIMEOUT_MS });
        endToEnd = endToEndCases(runsByCase);
        data['endToEnd'] = endToEnd;
      } finally {
        await server.stop();
      }
    }
    const header = `${runs} run(s); ${table.rows} rows in ${table.batches} batches, ${(table.bytes / 2 ** 20).toFixed(0)} MiB of Arrow buffers`;
    return { text: `${header}\n${pushdownText(rates, endToEnd)}`, data };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
