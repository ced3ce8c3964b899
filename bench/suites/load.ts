/**
 * load: how long `load` takes one node to read a directory of 8 snappy Parquet files (about 1 GB;
 * --quick: 1/16 of it) and the same rows as 8 CSV files, against pyarrow reading the same files into
 * one table in one process (pq.read_table; pyarrow.csv.read_csv per file). Each run loads, times the
 * action from call to answer, and drops; pyarrow's time is measured inside its process. The ratio is
 * pyarrow's seconds over ours: >= 1 means we load as fast as pyarrow reads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FlightClient } from '../../client/src/flight-client.js';
import { repoRoot, runPython } from '../../test/helpers/python.js';
import { formatTable } from '../report.js';
import { startOurServer } from '../servers.js';
import { ratio, summarize, type Summary } from '../stats.js';
import type { SuiteOptions, SuiteOutput } from '../suite.js';

const FULL_ROWS = 14_000_000;
const SCRIPT = join(repoRoot(), 'bench', 'py', 'load_data.py');

/** One format's measurements. */
export interface LoadCase {
  name: string;
  files: number;
  bytes: number;
  rows: number;
  oursSeconds: Summary;
  pyarrowSeconds: Summary;
  /** pyarrow's median seconds over ours. */
  speedRatio: number;
  oursMBps: Summary;
}

interface Written {
  rows: number;
  parquet_bytes: number;
  csv_bytes: number;
}

/** Runs the suite; see the module comment. */
export async function runLoad(options: SuiteOptions): Promise<SuiteOutput> {
  const rows = options.quick ? FULL_ROWS / 16 : FULL_ROWS;
  const runs = options.runs ?? (options.quick ? 1 : 3);
  const dir = mkdtempSync(join(tmpdir(), 'bench-load-'));
  const server = await startOurServer('64GiB');
  const client = new FlightClient(server.url);
  try {
    const written = await runPython<Written>(SCRIPT, ['write', dir, String(rows)], { timeoutMs: 3600_000 });
    const cases: LoadCase[] = [];
    for (const [name, bytes] of [['parquet', written.parquet_bytes], ['csv', written.csv_bytes]] as const) {
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let run = 0; run < runs; run++) {
        const start = process.hrtime.bigint();
        const result = await client.action<{ rows: number }>('load', JSON.stringify({ name, source: join(dir, name) }), { timeoutMs: 3600_000 });
        ours.push(Number(process.hrtime.bigint() - start) / 1e9);
        if (result.rows !== written.rows) throw new Error(`load of ${name} stored ${result.rows} rows, not ${written.rows}`);
        await client.action('drop', name);
        const peer = await runPython<{ seconds: number; rows: number }>(SCRIPT, ['read', name, dir], { timeoutMs: 3600_000 });
        if (peer.rows !== written.rows) throw new Error(`pyarrow read ${peer.rows} rows of ${name}, not ${written.rows}`);
        theirs.push(peer.seconds);
      }
      const oursSeconds = summarize(ours);
      cases.push({
        name,
        files: 8,
        bytes,
        rows: written.rows,
        oursSeconds,
        pyarrowSeconds: summarize(theirs),
        speedRatio: ratio(summarize(theirs).median, oursSeconds.median),
        oursMBps: summarize(ours.map((s) => bytes / 1e6 / s)),
      });
    }
    const table = formatTable([
      ['format', 'files', 'MB', 'rows', 'ours s (median)', 'pyarrow s (median)', 'pyarrow/ours', 'ours MB/s'],
      ...cases.map((c) => [c.name, String(c.files), (c.bytes / 1e6).toFixed(0), String(c.rows), c.oursSeconds.median.toFixed(2), c.pyarrowSeconds.median.toFixed(2), c.speedRatio.toFixed(2), c.oursMBps.median.toFixed(0)]),
    ]);
    return { text: `${runs} run(s) each; one node, one process per side\n${table}`, data: { runs, cases } };
  } finally {
    client.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
