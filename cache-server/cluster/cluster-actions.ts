/** The DoAction verbs of a coordinator: drop, stats, health, register, load. Results are UTF-8 JSON. */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { Action, ActionType, Result } from '../../client/src/flight/protocol/messages.js';
import type { NodeStats } from '../node/node-actions.js';
import type { DatasetStore } from '../storage/dataset-store.js';
import type { ClusterState, MemberStats } from './cluster-state.js';
import type { DatasetStatus } from './catalog.js';
import { dropCopies } from './partition-copies.js';
import { putsOf, recordDrop } from './drop-tombstones.js';
import { LoadRegistry } from '../loaders/load-registry.js';
import { parseLoadRequest } from '../loaders/load-request.js';
import { loadIntoCluster } from './cluster-load.js';
import { logEvent } from '../logger.js';

const ACTIONS: readonly ActionType[] = [
  { type: 'drop', description: 'Drop a dataset from every shard (cancelling its load). Body: the dataset name (UTF-8). Result: {"dropped": name}.' },
  { type: 'stats', description: 'Cluster statistics as JSON: members, datasets with partitions and status, rows, bytes.' },
  { type: 'health', description: 'Liveness as JSON: {"status": "ok", "role": "coordinator", "membersUp": n, "members": m}.' },
  { type: 'register', description: 'A shard joins: body {"id", "location" (grpc:// or grpc+tls://), "pid"?}. Result: {"registered": id}.' },
  {
    type: 'load',
    description:
      'Load files the shards read (each its share) as a new generation of a dataset, placed and replicated like a put, all or nothing. Body {"name", "source", "format"?, "options"?: {"columns"?, "split"?, "schema"?}}. Result: {"loaded", "files", "rows", "batches", "bytes"}.',
  },
];

/** Statistics of a coordinator: the node statistics' shape plus the cluster's. */
export interface ClusterStats extends NodeStats {
  role: 'coordinator';
  replicas: number;
  members: MemberStats[];
  datasets: Array<NodeStats['datasets'][number] & { partitions: number; status: DatasetStatus; degraded: number[]; lost: number[] }>;
}

const json = (value: unknown): Result => ({ body: Buffer.from(JSON.stringify(value), 'utf8') });

/** Runs coordinator actions. */
export class ClusterActions {
  private readonly started = Date.now();
  /** The loads this coordinator drives. */
  readonly loads: LoadRegistry;

  constructor(
    private readonly state: ClusterState,
    private readonly staging: DatasetStore,
  ) {
    this.loads = new LoadRegistry(state.logger);
  }

  /** The action types a coordinator knows. */
  *list(): Iterable<ActionType> {
    yield* ACTIONS;
  }

  /** Computes the cluster statistics. */
  stats(): ClusterStats {
    const datasets = this.state.catalog.list().map((d) => ({
      name: d.name,
      rows: d.rows,
      bytes: d.bytes,
      batches: d.batchRows.length,
      partitions: d.partitions.length,
      ...this.state.status(d),
    }));
    const staging = this.staging.stats();
    return {
      role: 'coordinator',
      replicas: this.state.replicas,
      members: this.state.members(),
      datasets,
      rows: datasets.reduce((sum, d) => sum + d.rows, 0),
      bytes: datasets.reduce((sum, d) => sum + d.bytes, 0),
      memory: {
        usedBytes: staging.usedBytes,
        limitBytes: Number.isFinite(staging.limitBytes) ? staging.limitBytes : null,
        nativeLiveBytes: staging.liveNativeBytes,
        rssBytes: process.memoryUsage.rss(),
      },
      loads: this.loads.list(),
    };
  }

  /** Runs one action, yielding its results. */
  async *run(action: Action): AsyncIterable<Result> {
    const text = new TextDecoder().decode(action.body);
    switch (action.type) {
      case 'drop':
        yield json(await this.drop(text));
        return;
      case 'stats':
        yield json(this.stats());
        return;
      case 'health': {
        const members = this.state.membership.list();
        yield json({
          status: 'ok',
          role: 'coordinator',
          uptimeSeconds: Math.round((Date.now() - this.started) / 1000),
          membersUp: members.filter((m) => m.state === 'up').length,
          members: members.length,
        });
        return;
      }
      case 'load': {
        const request = parseLoadRequest(text);
        yield json(await this.loads.run(request.name, request.source, (progress, signal) => loadIntoCluster(this.state, request, progress, signal)));
        return;
      }
      case 'register':
        yield json(this.register(text));
        return;
      default:
        throw new FlightError(Code.UNIMPLEMENTED, `unknown action "${action.type}"; known actions: ${ACTIONS.map((a) => a.type).join(', ')}`);
    }
  }

  /** Drops a dataset from the catalog and from every live shard holding a copy (others are cleaned when they return). */
  private async drop(name: string): Promise<{ dropped: string }> {
    if (name === '') throw new FlightError(Code.INVALID_ARGUMENT, 'drop needs the dataset name as its body');
    const cancelled = this.loads.cancel(name);
    const dataset = this.state.catalog.drop(name);
    if (!dataset && cancelled) {
      logEvent(this.state.logger, 'info', 'drop', { dataset: name, cancelledLoad: true, partitions: 0 }, 'dataset dropped');
      return { dropped: name };
    }
    // While start-up adoption runs the dataset may still turn up: NOT_FOUND would leave it behind.
    if (!dataset) throw this.state.pending(new FlightError(Code.NOT_FOUND, `unknown dataset "${name}"`));
    logEvent(this.state.logger, 'info', 'drop', { dataset: name, cancelledLoad: cancelled, partitions: dataset.partitions.length }, 'dataset dropped');
    for (const partition of dataset.partitions) this.state.dropped.add(partition.storedName);
    // Partitions of puts no shard reported (stand-ins) are recorded nowhere: the dataset's name keeps them out.
    this.state.droppedDatasets.add(name);
    await Promise.all([recordDrop(this.state, putsOf(dataset)), dropCopies(this.state, dataset.partitions)]);
    return { dropped: name };
  }

  /** Adds or refreshes a registered shard. */
  private register(text: string): { registered: string } {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const record = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
    const id = record?.id;
    const location = record?.location;
    if (typeof id !== 'string' || id === '' || typeof location !== 'string' || !/^grpc(?:\+tls)?:\/\/.+:\d+$/.test(location)) {
      throw new FlightError(Code.INVALID_ARGUMENT, 'register needs a JSON body {"id": "...", "location": "grpc://host:port" or "grpc+tls://host:port"}');
    }
    const existing = this.state.membership.get(id);
    if (!existing || existing.location !== location) this.state.membership.upsert({ id, location, source: 'registered' });
    if (typeof record?.pid === 'number') this.state.pids.set(id, record.pid);
    return { registered: id };
  }
}
