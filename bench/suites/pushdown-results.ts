/**
 * pushdown's pure part: its cases (numeric, string and dictionary predicates at four
 * selectivities), the checks that every contender kept the same rows, the summaries and ratios the
 * record holds, and the text report.
 */
import { formatTable } from '../report.js';
import { ratio, summarize, type Summary } from '../stats.js';

/** The column kinds a predicate filters on. */
export type ColumnKind = 'numeric' | 'string' | 'dictionary';

/** One predicate: its SQL for our server and the peers, and the same test for pyarrow.compute. */
export interface PushdownCase {
  name: string;
  kind: ColumnKind;
  /** Percent of the rows it keeps, by construction of the data (bench/py/pushdown_peers.py). */
  selectivity: number;
  column: string;
  op: '<' | '=';
  value: number | string;
  sql: string;
}

const SELECTIVITIES = [0.1, 1, 10, 50];

/** The twelve cases: `score < p`, `tag = 't<p>'` (utf8) and `lang = 'l<p>'` (dictionary) at each selectivity p %. */
export const CASES: readonly PushdownCase[] = SELECTIVITIES.flatMap((p): PushdownCase[] => [
  { name: `numeric ${p}%`, kind: 'numeric', selectivity: p, column: 'score', op: '<', value: p / 100, sql: `score < ${p / 100}` },
  { name: `string ${p}%`, kind: 'string', selectivity: p, column: 'tag', op: '=', value: `t${p}`, sql: `tag = 't${p}'` },
  { name: `dictionary ${p}%`, kind: 'dictionary', selectivity: p, column: 'lang', op: '=', value: `l${p}`, sql: `lang = 'l${p}'` },
]);

/** Timed samples of one contender over one case: rows kept by one pass, wall and CPU seconds per sample. */
export interface Passes {
  rows: number;
  seconds: readonly number[];
  cpuSeconds: readonly number[];
}

/** The filter rates of one case: rows scanned per wall second and per CPU second, ours against each engine. */
export interface RateCase {
  name: string;
  kind: ColumnKind;
  selectivity: number;
  rowsKept: number;
  rowsPerSecond: Record<string, Summary>;
  rowsPerCpuSecond: Record<string, Summary>;
  /** Median rows/s of ours over the engine's (>= 0.8 is the goal), wall and CPU. */
  oursOver: Record<string, { wall: number; cpu: number }>;
}

/**
 * Rates per case from each contender's samples (`ours` first), each sample scanning `sampleRows`
 * rows; throws when two kept different row counts.
 */
export function rateCases(sampleRows: number, contenders: ReadonlyMap<string, ReadonlyMap<string, Passes>>): RateCase[] {
  const ours = contenders.get('ours');
  if (!ours) throw new Error('pushdown: no passes of ours');
  return CASES.map((c) => {
    const base = ours.get(c.name)!;
    const rowsPerSecond: Record<string, Summary> = {};
    const rowsPerCpuSecond: Record<string, Summary> = {};
    for (const [name, passes] of contenders) {
      const p = passes.get(c.name)!;
      if (p.rows !== base.rows) throw new Error(`pushdown ${c.name}: ${name} kept ${p.rows} rows, ours ${base.rows}`);
      rowsPerSecond[name] = summarize(p.seconds.map((s) => sampleRows / s));
      rowsPerCpuSecond[name] = summarize(p.cpuSeconds.map((s) => sampleRows / s));
    }
    const oursOver: RateCase['oursOver'] = {};
    for (const name of contenders.keys()) {
      if (name === 'ours') continue;
      oursOver[name] = {
        wall: ratio(rowsPerSecond['ours']!.median, rowsPerSecond[name]!.median),
        cpu: ratio(rowsPerCpuSecond['ours']!.median, rowsPerCpuSecond[name]!.median),
      };
    }
    return { name: c.name, kind: c.kind, selectivity: c.selectivity, rowsKept: base.rows, rowsPerSecond, rowsPerCpuSecond, oursOver };
  });
}

/** One case end to end: our filtered DoGet against a full DoGet filtered in the client. */
export interface EndToEndCase {
  name: string;
  kind: ColumnKind;
  selectivity: number;
  rowsKept: number;
  /** Seconds per read, all runs; the first of ours ran the kernel, later ones reused the cached selection. */
  oursSeconds: Summary;
  shipAllSeconds: Summary;
  /** Client CPU seconds per read. */
  oursCpuSeconds: Summary;
  shipAllCpuSeconds: Summary;
  /** shipAll / ours: median against median, and the first read of ours (kernel included) against the median shipAll. */
  speedup: number;
  firstReadSpeedup: number;
  /** shipAll / ours of each run (the same run's two reads). */
  speedupPerRun: Summary;
}

/** What pushdown_peers.py e2e prints per case. */
export interface EndToEndRuns {
  rows: number;
  ours: readonly number[];
  shipAll: readonly number[];
  oursCpu: readonly number[];
  shipAllCpu: readonly number[];
}

/** End-to-end cases from the client's runs. */
export function endToEndCases(runs: Readonly<Record<string, EndToEndRuns>>): EndToEndCase[] {
  return CASES.map((c) => {
    const r = runs[c.name];
    if (!r || r.ours.length === 0) throw new Error(`pushdown: no end-to-end runs of ${c.name}`);
    const oursSeconds = summarize(r.ours);
    const shipAllSeconds = summarize(r.shipAll);
    return {
      name: c.name,
      kind: c.kind,
      selectivity: c.selectivity,
      rowsKept: r.rows,
      oursSeconds,
      shipAllSeconds,
      oursCpuSeconds: summarize(r.oursCpu),
      shipAllCpuSeconds: summarize(r.shipAllCpu),
      speedup: ratio(shipAllSeconds.median, oursSeconds.median),
      firstReadSpeedup: ratio(shipAllSeconds.median, r.ours[0]!),
      speedupPerRun: summarize(r.shipAll.map((s, i) => ratio(s, r.ours[i]!))),
    };
  });
}

const mrows = (v: number): string => (v / 1e6).toFixed(0);

/** The text report of whichever parts ran. */
export function pushdownText(rates: readonly RateCase[] | undefined, endToEnd: readonly EndToEndCase[] | undefined): string {
  const parts: string[] = [];
  if (rates) {
    const peers = Object.keys(rates[0]?.oursOver ?? {});
    parts.push(
      'filter rate, M rows/s (median; wall, then per CPU-second)',
      formatTable([
        ['case', 'kept', ...['ours', ...peers].flatMap((n) => [n, `${n} cpu`]), ...peers.map((n) => `ours/${n}`)],
        ...rates.map((r) => [
          r.name,
          String(r.rowsKept),
          ...['ours', ...peers].flatMap((n) => [mrows(r.rowsPerSecond[n]!.median), mrows(r.rowsPerCpuSecond[n]!.median)]),
          ...peers.map((n) => `${r.oursOver[n]!.wall.toFixed(2)} (cpu ${r.oursOver[n]!.cpu.toFixed(2)})`),
        ]),
      ]),
    );
  }
  if (endToEnd) {
    parts.push(
      'end to end: filtered DoGet against full DoGet + pyarrow.compute filter (median s)',
      formatTable([
        ['case', 'kept', 'ours s', 'ship-all s', 'speedup', 'first read speedup'],
        ...endToEnd.map((e) => [e.name, String(e.rowsKept), e.oursSeconds.median.toFixed(3), e.shipAllSeconds.median.toFixed(3), e.speedup.toFixed(1), e.firstReadSpeedup.toFixed(1)]),
      ]),
    );
  }
  return parts.join('\n');
}
