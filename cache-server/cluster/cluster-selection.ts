/**
 * A query over a cluster's dataset: the coordinator asks a live replica of each partition which
 * rows the query selects (the shards' "select" action, run by the native kernel where the data
 * is), then plans shares over the selected batches; each shard's DoGet computes the same selection
 * for its tickets. Counts are cached per (partition, query): a partition's stored name is never reused.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { FlightClient } from '../../client/src/flight-client.js';
import { bindQuery, type ParsedQuery } from '../engine/sql/plan.js';
import { selectedLayout } from '../node/query-selection.js';
import type { DatasetLayout, Partition } from '../node/read-plan.js';

const CACHED = 1024;
const SELECT_TIMEOUT_MS = 120_000;
const counts = new Map<string, readonly number[]>();

/** The selected rows of each batch of a partition, from the first of its live replicas that answers. */
async function partitionCounts(partition: Partition, query: ParsedQuery, key: string, peers: { get(location: string): Promise<FlightClient> }): Promise<readonly number[]> {
  const cacheKey = `${partition.storedName}\u0000${key}`;
  const hit = counts.get(cacheKey);
  if (hit) return hit;
  const errors: string[] = [];
  for (const location of partition.locations) {
    try {
      const client = await peers.get(location);
      const result = await client.action<{ counts: number[] }>('select', JSON.stringify({ dataset: partition.storedName, query: query.text }), { timeoutMs: SELECT_TIMEOUT_MS });
      if (!Array.isArray(result.counts) || result.counts.length !== partition.to - partition.from) {
        throw new FlightError(Code.INTERNAL, `shard at ${location} answered ${result.counts?.length} batch counts for ${partition.to - partition.from} batches`);
      }
      if (counts.size >= CACHED) counts.delete(counts.keys().next().value!);
      counts.set(cacheKey, result.counts);
      return result.counts;
    } catch (error) {
      // The query's own errors (bad SQL on this data) are the same on every replica.
      if (error instanceof FlightError && (error.code === Code.INVALID_ARGUMENT || error.code === Code.UNIMPLEMENTED)) throw error;
      errors.push(`${location}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new FlightError(Code.UNAVAILABLE, `partition ${partition.index} (batches ${partition.from}-${partition.to - 1}) has no live replica that answered: ${errors.join('; ') || 'none is live'}`);
}

/** The layout of `layout`'s dataset as `query` selects it, counted by the shards. */
export async function clusterSelectedLayout(layout: DatasetLayout, query: ParsedQuery, peers: { get(location: string): Promise<FlightClient> }): Promise<DatasetLayout> {
  // Binding here fails bad columns and types before any shard is asked.
  const plan = bindQuery(query, layout.schemaHeader);
  const perPartition = await Promise.all(layout.partitions.filter((p) => p.to > p.from).map(async (p) => ({ partition: p, rows: await partitionCounts(p, query, plan.key, peers) })));
  const stored: number[] = [];
  const selected: number[] = [];
  // LIMIT keeps the first rows in global stored order: each partition keeps its part ("ql" in its tickets).
  let left = plan.limit ?? Infinity;
  const kept = new Map<number, number>();
  for (const { partition, rows } of perPartition) {
    let keep = 0;
    rows.forEach((count, i) => {
      const take = Math.min(count, left);
      if (take === 0) return;
      stored.push(partition.from + i);
      selected.push(take);
      left -= take;
      keep += take;
    });
    kept.set(partition.index, keep);
  }
  const limited = plan.limit === undefined ? layout : { ...layout, partitions: layout.partitions.map((p) => ({ ...p, queryLimit: kept.get(p.index) ?? 0 })) };
  return selectedLayout(limited, stored, selected);
}
