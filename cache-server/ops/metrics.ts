/**
 * The Prometheus metrics of one flightcache process, kept with prom-client in a registry of its own
 * (tests run several nodes in one process). RPCs are counted as the gRPC server finishes them;
 * everything else is read from the role's stats once per scrape.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { NodeStats } from '../node/node-actions.js';
import type { ClusterStats } from '../cluster/cluster-actions.js';
import type { CallOutcome } from '../flight/http2/server-call.js';
import { Code } from '../../client/src/flight/errors.js';

/** What a process has sent and received over gRPC since it started. */
export interface Traffic {
  sentBytes: number;
  receivedBytes: number;
}

/** A recent failure the dashboard lists: a failed call, or a cluster event such as a member going down. */
export interface RecentError {
  /** Milliseconds since the epoch. */
  time: number;
  what: string;
  code: string;
  message: string;
}

/** How many failures `recentErrors` keeps. */
const RECENT_ERRORS = 20;

/** Latency buckets from 1 ms to about 2 min: planning calls take milliseconds, DoGet streams minutes. */
const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

type Labels<T extends string> = Partial<Record<T, string | number>>;

/** A gauge whose samples are recomputed from the current stats at every scrape. */
function sampled<T extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly T[],
  samples: (stats: NodeStats | ClusterStats) => Iterable<[Labels<T>, number]>,
  current: () => NodeStats | ClusterStats | undefined,
): void {
  new Gauge<T>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      const stats = current();
      if (stats) for (const [labels, value] of samples(stats)) this.set(labels, value);
    },
  });
}

const isCluster = (stats: NodeStats | ClusterStats): stats is ClusterStats => 'role' in stats && stats.role === 'coordinator';

/** The metrics of one process: a node (shard) or a coordinator. */
export class ProcessMetrics {
  readonly registry = new Registry();
  private readonly handled: Counter<'method' | 'code'>;
  private readonly duration: Histogram<'method' | 'code'>;
  private readonly received: Counter<'method'>;
  private readonly sent: Counter<'method'>;
  private readonly planning: Histogram<'method'>;
  private current: NodeStats | ClusterStats | undefined;
  private readonly totals: Traffic = { sentBytes: 0, receivedBytes: 0 };
  private readonly errors: RecentError[] = [];

  /** `stats` is read once per scrape. */
  constructor(private readonly stats: () => NodeStats | ClusterStats) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.handled = new Counter({ name: 'flightcache_rpc_handled_total', help: 'gRPC calls finished, by method and status code.', labelNames: ['method', 'code'], registers });
    this.duration = new Histogram({
      name: 'flightcache_rpc_duration_seconds',
      help: 'Time from a call arriving to its status, by method and status code.',
      labelNames: ['method', 'code'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.received = new Counter({ name: 'flightcache_rpc_received_bytes_total', help: 'gRPC request bytes received (framed messages), by method.', labelNames: ['method'], registers });
    this.sent = new Counter({ name: 'flightcache_rpc_sent_bytes_total', help: 'gRPC response bytes sent (framed messages), by method.', labelNames: ['method'], registers });
    this.planning = new Histogram({
      name: 'flightcache_coordinator_planning_seconds',
      help: 'Time a coordinator spends planning a read (where every partition is read from), by method.',
      labelNames: ['method'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.registerStatsGauges();
  }

  /** Counts one finished call, labelled with its method's short name (DoGet) and its code's name (NOT_FOUND). */
  observeCall(call: CallOutcome): void {
    const method = call.path.slice(call.path.lastIndexOf('/') + 1);
    const labels = { method, code: Code[call.code] ?? String(call.code) };
    this.handled.inc(labels);
    this.duration.observe(labels, call.seconds);
    if (call.receivedBytes > 0) this.received.inc({ method }, call.receivedBytes);
    if (call.sentBytes > 0) this.sent.inc({ method }, call.sentBytes);
    this.totals.sentBytes += call.sentBytes;
    this.totals.receivedBytes += call.receivedBytes;
    if (call.code !== Code.OK) this.noteError({ time: Date.now(), what: method, code: labels.code, message: call.message ?? '' });
  }

  /** Keeps a failure for `recentErrors` (the oldest beyond RECENT_ERRORS is forgotten). */
  noteError(error: RecentError): void {
    this.errors.unshift(error);
    this.errors.length = Math.min(this.errors.length, RECENT_ERRORS);
  }

  /** The last failures, newest first. */
  recentErrors(): RecentError[] {
    return this.errors.map((e) => ({ ...e }));
  }

  /** Bytes sent and received over gRPC since the process started. */
  traffic(): Traffic {
    return { ...this.totals };
  }

  /** Records how long a coordinator took to plan one read. */
  observePlanning(method: string, seconds: number): void {
    this.planning.observe({ method }, seconds);
  }

  /** The Prometheus text exposition of every metric. */
  async render(): Promise<string> {
    this.current = this.stats();
    try {
      return await this.registry.metrics();
    } finally {
      this.current = undefined;
    }
  }

  /** The content type of `render()`'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  private registerStatsGauges(): void {
    const r = this.registry;
    const now = (): NodeStats | ClusterStats | undefined => this.current;
    // The store's budget lies in shared memory when the node serves same-host readers; request buffers stay private.
    sampled(r, 'flightcache_memory_used_bytes', 'Bytes charged to the memory limit, by tier (private memory, shared memory segments).', ['tier'], (s) => {
      const shared = s.sameHost?.shmBytes ?? 0;
      return s.sameHost ? [[{ tier: 'private' }, s.memory.usedBytes - shared], [{ tier: 'shared' }, shared]] : [[{ tier: 'private' }, s.memory.usedBytes]];
    }, now);
    sampled(r, 'flightcache_memory_limit_bytes', 'The memory limit, by the tier the store allocates in.', ['tier'], (s) =>
      s.memory.limitBytes === null ? [] : [[{ tier: s.sameHost ? 'shared' : 'private' }, s.memory.limitBytes]], now);
    sampled(r, 'flightcache_native_live_bytes', 'Native region bytes not yet freed (dropped data still read included).', [], (s) => [[{}, s.memory.nativeLiveBytes]], now);
    sampled(r, 'flightcache_datasets', 'Datasets held, by state (a node: stored; a coordinator: healthy, degraded or lost).', ['state'], (s) => {
      const counts = new Map<string, number>(isCluster(s) ? [['healthy', 0], ['degraded', 0], ['lost', 0]] : [['stored', 0]]);
      for (const d of s.datasets) {
        const state = 'status' in d ? String(d.status) : 'stored';
        counts.set(state, (counts.get(state) ?? 0) + 1);
      }
      return [...counts].map(([state, n]) => [{ state }, n]);
    }, now);
    sampled(r, 'flightcache_dataset_rows', 'Rows of each dataset.', ['dataset'], (s) => s.datasets.map((d) => [{ dataset: d.name }, d.rows]), now);
    sampled(r, 'flightcache_dataset_bytes', 'Arrow body bytes of each dataset.', ['dataset'], (s) => s.datasets.map((d) => [{ dataset: d.name }, d.bytes]), now);
    sampled(r, 'flightcache_loads', 'Loads this process runs or last ran, by state (listing, loading, done, failed, cancelled).', ['state'], (s) => {
      const counts = new Map<string, number>();
      for (const load of s.loads) counts.set(load.state, (counts.get(load.state) ?? 0) + 1);
      return [...counts].map(([state, n]) => [{ state }, n]);
    }, now);
    sampled(r, 'flightcache_load_read_rows', 'Rows a load has read so far, by dataset.', ['dataset'], (s) => s.loads.map((l) => [{ dataset: l.name }, l.rows]), now);
    sampled(r, 'flightcache_load_read_bytes', 'Source bytes a load has read so far, by dataset.', ['dataset'], (s) => s.loads.map((l) => [{ dataset: l.name }, l.bytes]), now);
    sampled(r, 'flightcache_load_source_bytes', 'Source bytes a load reads in all (known once listed), by dataset.', ['dataset'], (s) => s.loads.map((l) => [{ dataset: l.name }, l.bytesTotal]), now);
    sampled(r, 'flightcache_load_read_files', 'Files a load has read so far, by dataset.', ['dataset'], (s) => s.loads.map((l) => [{ dataset: l.name }, l.files]), now);
    sampled(r, 'flightcache_load_source_files', 'Files a load reads in all, by dataset.', ['dataset'], (s) => s.loads.map((l) => [{ dataset: l.name }, l.filesTotal]), now);
    sampled(r, 'flightcache_same_host_readers', 'Open same-host reader connections (nodes with shared memory).', [], (s) => (s.sameHost ? [[{}, s.sameHost.connections]] : []), now);
    sampled(r, 'flightcache_same_host_mapped_bytes', 'Bytes of shared-memory segments that same-host readers hold mapped.', [], (s) => (s.sameHost ? [[{}, s.sameHost.mappedBytes]] : []), now);
    sampled(r, 'flightcache_same_host_held_bytes', 'Bytes of dropped datasets that same-host readers still hold.', [], (s) => (s.sameHost ? [[{}, s.sameHost.heldBytes]] : []), now);
    this.registerClusterGauges(now);
  }

  /** Membership and replication health; only a coordinator has samples. */
  private registerClusterGauges(now: () => NodeStats | ClusterStats | undefined): void {
    const r = this.registry;
    const cluster = (): ClusterStats | undefined => {
      const s = now();
      return s && isCluster(s) ? s : undefined;
    };
    const from = <T extends string>(samples: (s: ClusterStats) => Iterable<[Labels<T>, number]>) => (): Iterable<[Labels<T>, number]> => {
      const s = cluster();
      return s ? samples(s) : [];
    };
    const clusterGauge = <T extends string>(name: string, help: string, labelNames: readonly T[], samples: (s: ClusterStats) => Iterable<[Labels<T>, number]>): void =>
      sampled(r, name, help, labelNames, from(samples), now);
    clusterGauge('flightcache_replicas', 'Copies the coordinator keeps of every partition.', [], (s) => [[{}, s.replicas]]);
    clusterGauge('flightcache_members', 'Shard members, by state: live (up and refilled), refilling (up, not yet in line), down.', ['state'], (s) => {
      const counts = new Map([['live', 0], ['refilling', 0], ['down', 0]]);
      for (const m of s.members) {
        const state = m.live ? 'live' : m.state === 'up' ? 'refilling' : 'down';
        counts.set(state, counts.get(state)! + 1);
      }
      return [...counts].map(([state, n]) => [{ state }, n]);
    });
    clusterGauge('flightcache_member_up', 'Whether a member answers its heartbeats (1) or not (0).', ['member'], (s) => s.members.map((m) => [{ member: m.id }, m.state === 'up' ? 1 : 0]));
    clusterGauge('flightcache_member_live', 'Whether a member serves reads and takes partitions (up and refilled).', ['member'], (s) => s.members.map((m) => [{ member: m.id }, m.live ? 1 : 0]));
    clusterGauge('flightcache_dataset_partitions', 'Partitions of each dataset.', ['dataset'], (s) => s.datasets.map((d) => [{ dataset: d.name }, d.partitions]));
    clusterGauge('flightcache_dataset_degraded_partitions', 'Partitions of each dataset with fewer live copies than the replication factor.', ['dataset'], (s) =>
      s.datasets.map((d) => [{ dataset: d.name }, d.degraded.length]));
    clusterGauge('flightcache_dataset_lost_partitions', 'Partitions of each dataset with no live copy.', ['dataset'], (s) => s.datasets.map((d) => [{ dataset: d.name }, d.lost.length]));
  }
}
