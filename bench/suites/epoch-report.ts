/** Plain-text report of the epoch suite (the markdown/SVG report is bench/report/'s job). */
import { formatMiB, formatTable } from '../report.js';
import type { LimitResult } from './limits.js';
import type { ContenderResult, PairRatio, Spread, SweepPoint } from './epoch-results.js';
import type { Sweeps } from './epoch-sweeps.js';

/** The epoch suite's parameters as recorded in data.params. */
export interface EpochParams {
  dataBytes: number;
  rows: number;
  batches: number;
  batchRows: number;
  columns: number;
  seed: number;
  runs: number;
  warmup: number;
  ipcFileBytes: number;
  parquetFileBytes: number;
  parquetFiles: number;
}

/** Everything the text report shows. */
export interface EpochReportInput {
  params: EpochParams;
  contenders: ContenderResult[];
  pairs: PairRatio[];
  skipped: { name: string; reason: string }[];
  limits: LimitResult[];
  sweeps: Sweeps | null;
}

const gb = (value: number): string => value.toFixed(3);

function spreadCells(s: Spread): string[] {
  return [gb(s.median), gb(s.min), gb(s.max)];
}

function sweepTable<K extends string>(title: string, points: readonly SweepPoint<K>[], key: K, label: string): string {
  const rows = [[label, 'contender', 'median GB/s', 'min', 'max', 'runs']];
  for (const point of points) rows.push([String(point[key]), point.contender, ...spreadCells(point.gbps), String(point.gbps.runs)]);
  return `${title}\n${formatTable(rows)}`;
}

/** Renders the report: contenders, pair ratios, skipped peers, physical limits and the sweeps. */
export function renderEpoch(input: EpochReportInput): string {
  const p = input.params;
  const lines = [
    `data: ${formatMiB(p.dataBytes)} of Arrow buffers, ${p.rows} rows x ${p.columns} columns (4 int64 + 4 float32), ` +
      `${p.batches} batches of ${p.batchRows} rows, seed ${p.seed}; IPC file ${formatMiB(p.ipcFileBytes)}, ` +
      `Parquet ${formatMiB(p.parquetFileBytes)} in ${p.parquetFiles} files`,
    `one epoch = read every batch, count rows and bytes, checksum every value; ${p.warmup} warm-up + ${p.runs} measured epochs per contender, alternating`,
    '',
  ];
  const rows = [['contender', 'median GB/s', 'min', 'max', 'Mrows/s', 'runs', 'fc-pyarrow/this']];
  for (const c of input.contenders) {
    const ratio = c.ratioOursOver === null ? '-' : c.ratioOursOver.toFixed(3);
    rows.push([c.name, ...spreadCells(c.gbps), (c.rowsPerSec / 1e6).toFixed(2), String(c.gbps.runs), ratio]);
  }
  lines.push(formatTable(rows));
  for (const c of input.contenders) lines.push(`  ${c.name}: ${c.description}`);
  for (const s of input.skipped) lines.push(`skipped ${s.name}: ${s.reason}`);
  if (input.pairs.length > 0) {
    lines.push('', 'median ratios (ours / peer):');
    for (const pair of input.pairs) lines.push(`  ${pair.ours} / ${pair.peer}: ${pair.ratio.toFixed(3)}`);
  }
  if (input.limits.length > 0) {
    const limitRows = [['physical limit', 'median GB/s', 'min', 'max', 'runs']];
    for (const limit of input.limits) limitRows.push([limit.name, ...spreadCells(limit.gbps), String(limit.gbps.runs)]);
    lines.push('', formatTable(limitRows));
    for (const limit of input.limits) lines.push(`  ${limit.name}: ${limit.description}`);
  }
  const sweeps = input.sweeps;
  if (sweeps) {
    lines.push('', sweepTable('sweep: rows per batch', sweeps.batchSize, 'batchRows', 'batch rows'));
    lines.push('', sweepTable('sweep: concurrent reader processes (aggregate GB/s)', sweeps.readers, 'readers', 'readers'));
    lines.push('', sweepTable(`sweep: ${sweeps.columnsNote}`, sweeps.columns, 'columns', 'columns'));
  }
  return lines.join('\n');
}
