/**
 * The capacity model of docs/scaling.md: aggregate read throughput of S shards and R readers,
 * coordinator load from GetFlightInfo calls, and memory per shard. Pure functions; the inputs
 * come from the bench results (see scaling-doc.ts).
 */
import type { MeasuredValue } from './results.js';

/** Where a cluster's shards and readers run. */
export interface ClusterShape {
  shards: number;
  shardHosts: number;
  readers: number;
  readerHosts: number;
}

/** The rates that bound throughput: measured per shard and per reader, assumed per NIC. */
export interface ModelRates {
  /** GB/s one shard serves at saturation. */
  perShardGbps: number;
  /** GB/s one reader process consumes at saturation. */
  perClientGbps: number;
  /** Link speed of every host's NIC, Gbit/s. */
  nicGbit: number;
  /** Fraction of the link speed left for Arrow bytes after TCP/IP, TLS and HTTP/2 framing. */
  nicEfficiency: number;
}

/** Which term of the minimum bounds the aggregate. */
export type Limit = 'shards' | 'readers' | 'shard-host NICs' | 'reader-host NICs';

/** Aggregate throughput, the term that bounds it, and every term. */
export interface ThroughputEstimate {
  gbps: number;
  limit: Limit;
  bounds: Record<Limit, number>;
}

function positive(name: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be a positive number, got ${value}`);
}

function wholeCount(name: string, value: number): void {
  if (!(Number.isInteger(value) && value > 0)) throw new RangeError(`${name} must be a positive integer, got ${value}`);
}

/** Usable GB/s of one NIC: Gbit/s / 8 x efficiency. */
export function nicGbps(nicGbit: number, efficiency: number): number {
  positive('nicGbit', nicGbit);
  if (!(efficiency > 0 && efficiency <= 1)) throw new RangeError(`nicEfficiency must be in (0, 1], got ${efficiency}`);
  return (nicGbit / 8) * efficiency;
}

/**
 * min(S x r_s, R x r_c, H_s x B, H_r x B): reads spread evenly over shards and readers, and every
 * byte crosses one shard host's NIC and one reader host's NIC. Ties go to the first term listed.
 */
export function aggregateThroughput(shape: ClusterShape, rates: ModelRates): ThroughputEstimate {
  wholeCount('shards', shape.shards);
  wholeCount('readers', shape.readers);
  wholeCount('shardHosts', shape.shardHosts);
  wholeCount('readerHosts', shape.readerHosts);
  positive('perShardGbps', rates.perShardGbps);
  positive('perClientGbps', rates.perClientGbps);
  const nic = nicGbps(rates.nicGbit, rates.nicEfficiency);
  const bounds: Record<Limit, number> = {
    shards: shape.shards * rates.perShardGbps,
    readers: shape.readers * rates.perClientGbps,
    'shard-host NICs': shape.shardHosts * nic,
    'reader-host NICs': shape.readerHosts * nic,
  };
  let limit: Limit = 'shards';
  for (const key of Object.keys(bounds) as Limit[]) if (bounds[key] < bounds[limit]) limit = key;
  return { gbps: bounds[limit], limit, bounds };
}

/** Cores the coordinator spends on GetFlightInfo: calls/s x CPU seconds per call. */
export function coordinatorCores(callsPerSecond: number, secondsPerCall: number): number {
  if (!(Number.isFinite(callsPerSecond) && callsPerSecond >= 0)) throw new RangeError(`callsPerSecond must be >= 0, got ${callsPerSecond}`);
  positive('secondsPerCall', secondsPerCall);
  return callsPerSecond * secondsPerCall;
}

/** Resident bytes per shard: D x F / S x overhead, with F replicas of every partition spread evenly. */
export function memoryPerShard(datasetBytes: number, replication: number, shards: number, overhead: number): number {
  positive('datasetBytes', datasetBytes);
  wholeCount('replication', replication);
  wholeCount('shards', shards);
  positive('overhead', overhead);
  if (replication > shards) throw new RangeError(`replication ${replication} needs at least as many shards, got ${shards}`);
  return ((datasetBytes * replication) / shards) * overhead;
}

/** Seconds to read D bytes once at the given aggregate GB/s. */
export function epochSeconds(datasetBytes: number, gbps: number): number {
  positive('datasetBytes', datasetBytes);
  positive('gbps', gbps);
  return datasetBytes / (gbps * 1e9);
}

/** A scale-suite configuration as far as the model needs it. */
export interface RateSample {
  servers: number;
  readers: number;
  perServer: MeasuredValue;
  perReader: MeasuredValue;
}

/** A rate with the configuration it was measured in. */
export interface SourcedRate {
  gbps: number;
  servers: number;
  readers: number;
}

/**
 * The per-shard and per-client rates to plug in: the highest per-server and per-reader medians over
 * all configurations, since a server (reader) is saturated only where readers (servers) outnumber it.
 */
export function bestRates(samples: readonly RateSample[]): { perShard: SourcedRate; perClient: SourcedRate } | null {
  if (samples.length === 0) return null;
  const best = (pick: (s: RateSample) => number): SourcedRate => {
    const top = samples.reduce((a, b) => (pick(b) > pick(a) ? b : a));
    return { gbps: pick(top), servers: top.servers, readers: top.readers };
  };
  return { perShard: best((s) => s.perServer.median), perClient: best((s) => s.perReader.median) };
}
