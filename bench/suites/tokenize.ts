/**
 * tokenize: tokens per second into the cache with `load --tokenize ... --pack` (GPT-2 byte-level BPE
 * from a tokenizer.json, and tiktoken's gpt2), against Python on the same corpus with the same
 * output (packed rows of 128 ids, counted equal): Hugging Face `datasets.map` with the same fast
 * tokenizer (batched, num_proc = cores), `tokenizers.encode_batch`, and `tiktoken.encode_batch` on
 * every core. The corpus is Debian's copyright files (--quick: once; else 4 times) in one Parquet
 * file, measured once per contender unless --runs says more (at full size, three runs each did not
 * finish in ten minutes on the shared 2-core machine). Then one epoch of the packed dataset into
 * (256, 128) tensors with FlightCacheDataset against the same rows read from a local Arrow file.
 * Ratios are the peer's seconds over ours: >= 1 means we are as fast. CPU seconds: ours the server
 * process's (all threads, tokenize workers included), a peer's its process's and its children's.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FlightClient } from '../../client/src/flight-client.js';
import { repoRoot, runPython } from '../../test/helpers/python.js';
import { formatTable } from '../report.js';
import { startOurServer } from '../servers.js';
import { ratio, summarize, type Summary } from '../stats.js';
import type { SuiteOptions, SuiteOutput } from '../suite.js';

const SCRIPT = join(repoRoot(), 'bench', 'py', 'tokenize_peers.py');
const LENGTH = 128;

/** One contender's measurements: tokens/s over the runs, and the same for the peer it is compared with. */
export interface TokenizeCase {
  name: string;
  tokens: number;
  rows: number;
  tokensPerSecond: Summary;
  seconds: Summary;
  cpuSeconds: Summary;
  /** For a peer: its median seconds over ours with the same tokenizer. */
  oursOverPeer?: number;
}

interface Timed {
  seconds: number;
  cpu_seconds: number;
  tokens: number;
  rows: number;
}

/** User and system CPU seconds of a process so far, its ended threads included (/proc/PID/stat). */
function processCpuSeconds(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th, in clock ticks.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1)!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

/** An optional peer that is not installed says so instead. */
type Measured = Timed | { skipped: string };

/** Runs the suite; see the module comment. */
export async function runTokenize(options: SuiteOptions): Promise<SuiteOutput> {
  const runs = options.runs ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'bench-tokenize-'));
  const server = await startOurServer('16GiB');
  const client = new FlightClient(server.url);
  try {
    const corpus = await runPython<{ documents: number; bytes: number }>(SCRIPT, ['write', dir, options.quick ? '1' : '4'], { timeoutMs: 600_000 });
    const ours = async (name: string, tokenizer: Record<string, string>): Promise<Timed> => {
      const body = { name, source: join(dir, 'corpus'), options: { tokenize: { column: 'text', ...tokenizer, max_length: LENGTH, pack: true } } };
      const start = process.hrtime.bigint();
      const cpu = processCpuSeconds(server.pid);
      const result = await client.action<{ rows: number; tokens: number }>('load', JSON.stringify(body), { timeoutMs: 3600_000 });
      return { seconds: Number(process.hrtime.bigint() - start) / 1e9, cpu_seconds: processCpuSeconds(server.pid) - cpu, tokens: result.tokens, rows: result.rows };
    };
    const contenders: Array<[string, () => Promise<Measured>, string | undefined]> = [
      ['flightcache tokenizer.json', () => ours('packed', { tokenizer: join(dir, 'gpt2.json') }), undefined],
      ['flightcache tiktoken', () => ours('packed-tiktoken', { tiktoken: 'gpt2' }), undefined],
      ['datasets.map', () => runPython<Measured>(SCRIPT, ['run', 'datasets-map', dir, String(LENGTH)], { timeoutMs: 3600_000 }), 'flightcache tokenizer.json'],
      ['tokenizers.encode_batch', () => runPython<Timed>(SCRIPT, ['run', 'tokenizers', dir, String(LENGTH)], { timeoutMs: 3600_000 }), 'flightcache tokenizer.json'],
      ['tiktoken.encode_batch', () => runPython<Timed>(SCRIPT, ['run', 'tiktoken', dir, String(LENGTH)], { timeoutMs: 3600_000 }), 'flightcache tiktoken'],
    ];
    const cases: TokenizeCase[] = [];
    const skipped: Array<{ name: string; reason: string }> = [];
    for (const [name, measure, against] of contenders) {
      const timed: Timed[] = [];
      for (let run = 0; run < runs; run++) {
        const result = await measure();
        if ('skipped' in result) {
          skipped.push({ name, reason: result.skipped });
          break;
        }
        timed.push(result);
      }
      if (timed.length === 0) continue;
      const seconds = summarize(timed.map((t) => t.seconds));
      const c: TokenizeCase = { name, tokens: timed[0]!.tokens, rows: timed[0]!.rows, tokensPerSecond: summarize(timed.map((t) => t.tokens / t.seconds)), seconds, cpuSeconds: summarize(timed.map((t) => t.cpu_seconds)) };
      if (against) {
        const base = cases.find((x) => x.name === against)!;
        if (base.rows !== c.rows || base.tokens !== c.tokens) throw new Error(`${name} made ${c.rows} rows of ${c.tokens} tokens; ${against} ${base.rows} of ${base.tokens}`);
        c.oursOverPeer = ratio(seconds.median, base.seconds.median);
      }
      cases.push(c);
    }
    const reads: Array<{ cache: number; local: number }> = [];
    for (let run = 0; run < runs; run++) {
      const read = await runPython<{ rows: number; local_rows: number; cache_seconds: number; local_seconds: number }>(SCRIPT, ['epoch', server.url, 'packed', dir], { timeoutMs: 3600_000 });
      if (read.rows !== cases[0]!.rows || read.local_rows !== read.rows) throw new Error(`epoch read ${read.rows} rows (local ${read.local_rows}), not ${cases[0]!.rows}`);
      reads.push({ cache: read.cache_seconds, local: read.local_seconds });
    }
    const epoch = [
      { name: 'FlightCacheDataset', rowsPerSecond: summarize(reads.map((r) => cases[0]!.rows / r.cache)) },
      { name: 'local Arrow file', rowsPerSecond: summarize(reads.map((r) => cases[0]!.rows / r.local)) },
    ];
    const table = formatTable([
      ['contender', 'tokens', 'rows', 'tokens/s (median)', 's (median)', 'CPU s (median)', 'peer s / ours'],
      ...cases.map((c) => [c.name, String(c.tokens), String(c.rows), c.tokensPerSecond.median.toFixed(0), c.seconds.median.toFixed(2), c.cpuSeconds.median.toFixed(2), c.oursOverPeer?.toFixed(2) ?? '']),
    ]);
    const epochTable = formatTable([['epoch read', 'rows/s (median)'], ...epoch.map((e) => [e.name, e.rowsPerSecond.median.toFixed(0)])]);
    return {
      text: `${runs} run(s); ${corpus.documents} documents, ${(corpus.bytes / 1e6).toFixed(1)} MB of text, packed rows of ${LENGTH}\n${table}\n${epochTable}${skipped.map((s) => `\nskipped ${s.name}: ${s.reason}`).join('')}`,
      data: { runs, length: LENGTH, documents: corpus.documents, textBytes: corpus.bytes, cases, epoch, skipped },
    };
  } finally {
    client.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
