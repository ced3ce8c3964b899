/**
 * micro: benchmark.js measurements of the codec, gRPC framing and native buffer paths (micro-cases.ts).
 * Cases alternate: every round runs each case once (benchmark.js calibrates and samples it for
 * maxTime); the first round is a warm-up. Reports ops/s and GB/s (median, min, max over rounds),
 * benchmark.js's relative margin of error, and the ratio to the case's baseline.
 */
import { createRequire } from 'node:module';

import { formatTable } from '../report.js';
import { ratio } from '../stats.js';
import type { SuiteOptions, SuiteOutput } from '../suite.js';
import { spread, type Spread } from './epoch-results.js';
import { lastResult, MESSAGE_ROWS, microCases, SLICE_BYTES, type MicroCase } from './micro-cases.js';

/** The part of benchmark.js's Benchmark this suite uses. */
interface Benchmark {
  hz: number;
  error?: Error;
  stats: { rme: number };
  run(): Benchmark;
}

interface BenchmarkOptions {
  maxTime: number;
  minSamples: number;
  defer?: boolean;
  onComplete?: () => void;
}

/** benchmark.js's handle on a deferred operation. */
interface Deferred {
  resolve(): void;
}

type BenchmarkConstructor = new (
  name: string,
  fn: (() => void) | ((deferred: Deferred) => void),
  options: BenchmarkOptions,
) => Benchmark;

/**
 * Runs one case to completion. A case that `yields` is deferred: each operation resolves on the next
 * event-loop turn, so finalizers of native memory can run between operations.
 */
function runCase(Benchmark: BenchmarkConstructor, c: MicroCase, settings: BenchmarkOptions): Promise<Benchmark> {
  if (!c.yields) return Promise.resolve(new Benchmark(c.name, c.fn, settings).run());
  return new Promise((resolve) => {
    const fn = (deferred: Deferred): void => {
      c.fn();
      setImmediate(() => deferred.resolve());
    };
    const bench: Benchmark = new Benchmark(c.name, fn, { ...settings, defer: true, onComplete: () => resolve(bench) });
    bench.run();
  });
}

/** One round's measurement of one case. */
export interface MicroSample {
  name: string;
  hz: number;
  /** Relative margin of error in percent (benchmark.js stats.rme). */
  rme: number;
}

/** One case's result as data.cases in the JSON output. */
export interface MicroResult {
  name: string;
  description: string;
  opsPerSec: Spread;
  /** Median over rounds of benchmark.js's relative margin of error, in percent. */
  rmePercent: number;
  gbps: Spread | null;
  baseline: string | null;
  /** Median ops/s over the baseline's median ops/s. */
  ratioOverBaseline: number | null;
}

const SETTINGS = {
  quick: { rounds: 3, warmup: 1, maxTime: 0.25, minSamples: 5 },
  full: { rounds: 5, warmup: 1, maxTime: 2, minSamples: 20 },
};

/** Aggregates measured rounds per case; cases without samples are left out. */
export function aggregateMicro(cases: readonly Omit<MicroCase, 'fn'>[], samples: readonly MicroSample[]): MicroResult[] {
  const results = cases.flatMap((c) => {
    const own = samples.filter((s) => s.name === c.name);
    if (own.length === 0) return [];
    const hz = own.map((s) => s.hz);
    return [{
      name: c.name,
      description: c.description,
      opsPerSec: spread(hz),
      rmePercent: spread(own.map((s) => s.rme)).median,
      gbps: c.bytesPerOp === undefined ? null : spread(hz.map((h) => (h * c.bytesPerOp!) / 1e9)),
      baseline: c.baseline ?? null,
      ratioOverBaseline: null as number | null,
    }];
  });
  for (const result of results) {
    const base = results.find((r) => r.name === result.baseline);
    if (base) result.ratioOverBaseline = ratio(result.opsPerSec.median, base.opsPerSec.median);
  }
  return results;
}

/** Renders the results as a table plus one description line per case. */
export function renderMicro(results: readonly MicroResult[]): string {
  const rows = [['case', 'median ops/s', 'min', 'max', '±rme', 'median GB/s', 'vs baseline']];
  for (const r of results) {
    rows.push([
      r.name,
      r.opsPerSec.median.toFixed(0),
      r.opsPerSec.min.toFixed(0),
      r.opsPerSec.max.toFixed(0),
      `${r.rmePercent.toFixed(1)}%`,
      r.gbps === null ? '-' : r.gbps.median.toFixed(2),
      r.ratioOverBaseline === null ? '-' : `${r.ratioOverBaseline.toFixed(3)} x ${r.baseline}`,
    ]);
  }
  return [formatTable(rows), ...results.map((r) => `  ${r.name}: ${r.description}`)].join('\n');
}

/** Runs the micro suite; --only takes a comma-separated list of case names. */
export async function runMicro(options: SuiteOptions): Promise<SuiteOutput> {
  const settings = options.quick ? SETTINGS.quick : SETTINGS.full;
  const rounds = options.runs ?? settings.rounds;
  const all = microCases();
  const names = options.only?.split(',').map((name) => name.trim());
  const unknown = names?.filter((name) => !all.some((c) => c.name === name)) ?? [];
  if (unknown.length > 0) throw new Error(`micro: unknown case(s) ${unknown.join(', ')}; cases: ${all.map((c) => c.name).join(', ')}`);
  const cases = names ? all.filter((c) => names.includes(c.name)) : all;
  const Benchmark = createRequire(import.meta.url)('benchmark') as BenchmarkConstructor;
  const samples: MicroSample[] = [];
  for (let round = 0; round < settings.warmup + rounds; round++) {
    console.error(`micro: round ${round + 1} of ${settings.warmup + rounds}${round < settings.warmup ? ' (warm-up)' : ''}`);
    for (const c of cases) {
      const bench = await runCase(Benchmark, c, settings);
      if (bench.error) throw new Error(`micro: ${c.name} failed: ${bench.error.message}`);
      if (round >= settings.warmup) samples.push({ name: c.name, hz: bench.hz, rme: bench.stats.rme });
    }
  }
  if (lastResult() === undefined) throw new Error('micro: the cases produced no result');
  const results = aggregateMicro(cases, samples);
  const header = `one ${MESSAGE_ROWS}-row record batch (4 int64 + 4 float32), arriving in ${SLICE_BYTES / 1024} KiB slices; ` +
    `${settings.warmup} warm-up + ${rounds} rounds, benchmark.js maxTime ${settings.maxTime} s per case per round`;
  return {
    text: `${header}\n\n${renderMicro(results)}`,
    data: { params: { rounds, warmup: settings.warmup, maxTimeSeconds: settings.maxTime, messageRows: MESSAGE_ROWS, sliceBytes: SLICE_BYTES }, cases: results },
  };
}
