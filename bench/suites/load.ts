/**
 * load: how long `load` takes to read a directory of 8 snappy Parquet files (about 1 GB; --quick:
 * 1/16 of it) and the same rows as 8 CSV files.
 * - Against pyarrow: one node loads each format; pyarrow reads the same files into one table in one
 *   process (pq.read_table; pyarrow.csv.read_csv per file). Wall seconds from the action's call to
 *   its answer, and CPU seconds of the server (every thread, /proc schedstat) against pyarrow's
 *   process time. The ratios are pyarrow's over ours: >= 1 means we load as fast as pyarrow reads.
 * - Throughput: clusters of 1 and 2 shards (`serve --shards N`) load each format from the local
 *   directory and from an S3 server the suite starts (moto's, on loopback; it holds 2 of the 8 files
 *   of each format, as moto keeps objects in memory). MB/s of file bytes; CPU of coordinator + shards.
 * Each load is dropped before the next.
 */
import { linkSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FlightClient } from '../../client/src/flight-client.js';
import type { ClusterStats } from '../../cache-server/cluster/cluster-actions.js';
import { startProcess, type StartedProcess } from '../../test/helpers/process.js';
import { pythonScript, repoRoot, runPython, venvPython } from '../../test/helpers/python.js';
import { formatTable } from '../report.js';
import { startOurServer } from '../servers.js';
import { ratio, summarize, type Summary } from '../stats.js';
import type { SuiteOptions, SuiteOutput } from '../suite.js';
import { cpuSeconds, startCluster } from './cluster.js';

const FULL_ROWS = 14_000_000;
const FILES = 8;
const S3_FILES = 2;
/** The goal for pyarrow's seconds over ours with one node. */
const GOAL_RATIO = 0.5;
const SHARDS = [1, 2] as const;
const FORMATS = ['parquet', 'csv'] as const;
const SCRIPT = join(repoRoot(), 'bench', 'py', 'load_data.py');
const TIMEOUT_MS = 3600_000;
const S3_KEYS = { endpoint: '', region: 'us-east-1', accessKeyId: 'bench', secretAccessKey: 'bench' };

type Format = (typeof FORMATS)[number];

/** One format loaded by one node, against pyarrow. */
export interface LoadCase {
  name: Format;
  files: number;
  bytes: number;
  rows: number;
  oursSeconds: Summary;
  pyarrowSeconds: Summary;
  /** pyarrow's median seconds over ours. */
  speedRatio: number;
  oursCpuSeconds: Summary;
  pyarrowCpuSeconds: Summary;
  /** pyarrow's median CPU seconds over ours. */
  cpuRatio: number;
  oursMBps: Summary;
}

/** One format loaded by a cluster from one source. */
export interface ThroughputCase {
  source: 'local' | 's3';
  format: Format;
  shards: number;
  files: number;
  bytes: number;
  rows: number;
  seconds: Summary;
  mbps: Summary;
  /** CPU seconds of the coordinator and its shards together. */
  cpuSeconds: Summary;
}

interface Written {
  rows: number;
  parquet_bytes: number;
  csv_bytes: number;
}

/** Runs `load` of `source` as `name` and drops it; its wall seconds and the CPU seconds of `pids`. */
async function timedLoad(client: FlightClient, pids: readonly number[], name: string, source: string, rows: number, s3?: typeof S3_KEYS): Promise<{ seconds: number; cpu: number }> {
  const cpuBefore = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const start = process.hrtime.bigint();
  const body = { name, source, ...(s3 ? { options: { s3 } } : {}) };
  const result = await client.action<{ rows: number }>('load', JSON.stringify(body), { timeoutMs: TIMEOUT_MS });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - cpuBefore;
  if (result.rows !== rows) throw new Error(`load of ${source} stored ${result.rows} rows, not ${rows}`);
  await client.action('drop', name);
  return { seconds, cpu };
}

/** One node against pyarrow, each format `runs` times. */
async function againstPyarrow(dir: string, written: Written, runs: number): Promise<LoadCase[]> {
  const server = await startOurServer('64GiB');
  const client = new FlightClient(server.url);
  try {
    const cases: LoadCase[] = [];
    for (const name of FORMATS) {
      const bytes = name === 'parquet' ? written.parquet_bytes : written.csv_bytes;
      const ours: Array<{ seconds: number; cpu: number }> = [];
      const theirs: Array<{ seconds: number; cpu_seconds: number }> = [];
      for (let run = 0; run < runs; run++) {
        ours.push(await timedLoad(client, [server.pid], name, join(dir, name), written.rows));
        const peer = await runPython<{ seconds: number; cpu_seconds: number; rows: number }>(SCRIPT, ['read', name, dir], { timeoutMs: TIMEOUT_MS });
        if (peer.rows !== written.rows) throw new Error(`pyarrow read ${peer.rows} rows of ${name}, not ${written.rows}`);
        theirs.push(peer);
      }
      const oursSeconds = summarize(ours.map((o) => o.seconds));
      const oursCpuSeconds = summarize(ours.map((o) => o.cpu));
      const pyarrowSeconds = summarize(theirs.map((t) => t.seconds));
      const pyarrowCpuSeconds = summarize(theirs.map((t) => t.cpu_seconds));
      cases.push({
        name,
        files: FILES,
        bytes,
        rows: written.rows,
        oursSeconds,
        pyarrowSeconds,
        speedRatio: ratio(pyarrowSeconds.median, oursSeconds.median),
        oursCpuSeconds,
        pyarrowCpuSeconds,
        cpuRatio: ratio(pyarrowCpuSeconds.median, oursCpuSeconds.median),
        oursMBps: summarize(ours.map((o) => bytes / 1e6 / o.seconds)),
      });
    }
    return cases;
  } finally {
    client.close();
    await server.stop();
  }
}

/** The coordinator's and shards' pids once `shards` shards are live. */
async function clusterPids(client: FlightClient, coordinator: number, shards: number): Promise<number[]> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const members = (await client.action<ClusterStats>('stats')).members.filter((m) => m.live);
    const pids = members.flatMap((m) => (typeof m.pid === 'number' ? [m.pid] : []));
    if (pids.length === shards) return [coordinator, ...pids];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`load: ${shards} shard(s) did not become live in 60 s`);
}

interface Source {
  source: 'local' | 's3';
  format: Format;
  path: string;
  files: number;
  bytes: number;
  rows: number;
  s3?: typeof S3_KEYS;
}

/** Clusters of 1 and 2 shards loading every source, `runs` times each. */
async function clusterThroughput(sources: readonly Source[], runs: number): Promise<ThroughputCase[]> {
  const cases: ThroughputCase[] = [];
  for (const shards of SHARDS) {
    const cluster = await startCluster(shards);
    const client = new FlightClient(cluster.url);
    try {
      const pids = await clusterPids(client, cluster.pid, shards);
      for (const source of sources) {
        const measured: Array<{ seconds: number; cpu: number }> = [];
        for (let run = 0; run < runs; run++) measured.push(await timedLoad(client, pids, `${source.source}-${source.format}`, source.path, source.rows, source.s3));
        cases.push({
          source: source.source,
          format: source.format,
          shards,
          files: source.files,
          bytes: source.bytes,
          rows: source.rows,
          seconds: summarize(measured.map((m) => m.seconds)),
          mbps: summarize(measured.map((m) => source.bytes / 1e6 / m.seconds)),
          cpuSeconds: summarize(measured.map((m) => m.cpu)),
        });
      }
    } finally {
      client.close();
      await cluster.stop();
    }
  }
  return cases;
}

/** Links the first S3_FILES files of each format under DIR/s3/FORMAT; their bytes per format. */
function s3Subset(dir: string, written: Written): { root: string; bytes: Record<Format, number> } {
  const root = join(dir, 's3');
  const bytes = { parquet: 0, csv: 0 };
  for (const format of FORMATS) {
    mkdirSync(join(root, format), { recursive: true });
    for (let i = 0; i < S3_FILES; i++) {
      const name = `part-${i}.${format}`;
      linkSync(join(dir, format, name), join(root, format, name));
    }
  }
  // The files hold equal row counts; their sizes differ by little, so bytes are shared pro rata.
  for (const format of FORMATS) bytes[format] = Math.round(((format === 'parquet' ? written.parquet_bytes : written.csv_bytes) * S3_FILES) / FILES);
  return { root, bytes };
}

/** Runs the suite; see the module comment. */
export async function runLoad(options: SuiteOptions): Promise<SuiteOutput> {
  const rows = options.quick ? FULL_ROWS / 16 : FULL_ROWS;
  const runs = options.runs ?? (options.quick ? 1 : 3);
  const clusterRuns = options.runs ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'bench-load-'));
  let s3: StartedProcess | undefined;
  try {
    const written = await runPython<Written>(SCRIPT, ['write', dir, String(rows)], { timeoutMs: TIMEOUT_MS });
    const cases = await againstPyarrow(dir, written, runs);
    const subset = s3Subset(dir, written);
    s3 = await startProcess(venvPython(), [pythonScript('s3_server.py'), subset.root, 'bench'], /^s3 ready (http:\/\/\S+)$/, { timeoutMs: 600_000 });
    const keys = { ...S3_KEYS, endpoint: s3.url };
    const sources: Source[] = FORMATS.flatMap((format) => [
      { source: 'local' as const, format, path: join(dir, format), files: FILES, bytes: format === 'parquet' ? written.parquet_bytes : written.csv_bytes, rows: written.rows },
      { source: 's3' as const, format, path: `s3://bench/${format}`, files: S3_FILES, bytes: subset.bytes[format], rows: (written.rows / FILES) * S3_FILES, s3: keys },
    ]);
    const throughput = await clusterThroughput(sources, clusterRuns);
    const table = formatTable([
      ['format', 'files', 'MB', 'rows', 'ours s', 'pyarrow s', 'pyarrow/ours', 'ours CPU s', 'pyarrow CPU s', 'CPU pyarrow/ours', 'ours MB/s'],
      ...cases.map((c) => [c.name, String(c.files), (c.bytes / 1e6).toFixed(0), String(c.rows), c.oursSeconds.median.toFixed(2), c.pyarrowSeconds.median.toFixed(2), c.speedRatio.toFixed(2), c.oursCpuSeconds.median.toFixed(2), c.pyarrowCpuSeconds.median.toFixed(2), c.cpuRatio.toFixed(2), c.oursMBps.median.toFixed(0)]),
    ]);
    const clusters = formatTable([
      ['source', 'format', 'shards', 'files', 'MB', 's', 'MB/s', 'CPU s'],
      ...throughput.map((t) => [t.source, t.format, String(t.shards), String(t.files), (t.bytes / 1e6).toFixed(0), t.seconds.median.toFixed(2), t.mbps.median.toFixed(0), t.cpuSeconds.median.toFixed(2)]),
    ]);
    const text = `one node against pyarrow, ${runs} run(s) each (medians)\n${table}\n\nclusters (serve --shards N), ${clusterRuns} run(s) each; S3: moto's server holding ${S3_FILES} of the ${FILES} files\n${clusters}`;
    return { text, data: { runs, clusterRuns, rows: written.rows, files: FILES, s3Files: S3_FILES, goalRatio: GOAL_RATIO, cases, throughput } };
  } finally {
    await s3?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
