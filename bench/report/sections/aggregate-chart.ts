/**
 * The aggregate-throughput chart of the multi-process sections (scale, cluster): aggregate GB/s
 * against the number of reader processes, one line per server or shard count.
 */
import { lineChart, type Series } from '../charts.js';
import type { MeasuredValue } from '../results.js';

/** One configuration on the chart: its server (or shard) count, its readers and its aggregate GB/s. */
export interface AggregatePoint {
  servers: number;
  readers: number;
  aggregate: MeasuredValue;
}

/** One series per server count in ascending order, named "N <unit>" ("s" added unless N is 1), x = readers. */
export function aggregateSeries(points: readonly AggregatePoint[], unit: string): Series[] {
  const byServers = new Map<number, Series>();
  for (const p of [...points].sort((a, b) => a.servers - b.servers || a.readers - b.readers)) {
    const series = byServers.get(p.servers) ?? { name: `${p.servers} ${unit}${p.servers === 1 ? '' : 's'}`, points: [] };
    byServers.set(p.servers, { ...series, points: [...series.points, { x: p.readers, ...p.aggregate }] });
  }
  return [...byServers.values()];
}

/** The SVG line chart of aggregate GB/s (median, min-max) against readers M. */
export function aggregateChart(title: string, points: readonly AggregatePoint[], unit: string): string {
  return lineChart({
    title,
    xLabel: 'readers M',
    yLabel: 'aggregate GB/s (median, min-max)',
    xScale: 'linear',
    series: aggregateSeries(points, unit),
  });
}
