/** The DoAction verbs of a cache node: drop, stats, health, describe, same-host, load (and fetch and select, run by the service). Results are UTF-8 JSON; describe sends one per dataset. */
import { randomBytes } from 'node:crypto';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { Action, ActionType, Result } from '../../client/src/flight/protocol/messages.js';
import type { DatasetStore } from '../storage/dataset-store.js';
import type { SameHostDescription, SameHostStats } from '../samehost/same-host-server.js';
import { hostId } from '../../client/src/host-id.js';
import { loadDataset, type LoadProgress, type LoadResult } from '../loaders/dataset-loader.js';
import { LoadRegistry } from '../loaders/load-registry.js';
import { parseLoadRequest } from '../loaders/load-request.js';
import { describeDatasets } from './describe-action.js';

/** The same-host service as the actions see it. */
export interface SameHostInfo {
  describe(): SameHostDescription;
  stats(): SameHostStats;
}

const ACTIONS: readonly ActionType[] = [
  { type: 'drop', description: 'Drop a dataset (cancelling its load). Body: the dataset name (UTF-8). Result: {"dropped": name}.' },
  { type: 'stats', description: 'Node statistics as JSON: datasets, rows, bytes, memory, loads (running and recent: files, rows, bytes done and total), and sameHost when the data is in shared memory.' },
  { type: 'health', description: 'Liveness as JSON: {"status": "ok", "uptimeSeconds": n, "instance": id, "hostId": id}; the instance id changes when the process restarts; hostId names the host (client/src/host-id.ts).' },
  { type: 'fetch', description: 'Cluster shards: copy a dataset from a peer. Body {"name", "sources", "ticket"}. Result: {"fetched", "from", "batches"}.' },
  {
    type: 'describe',
    description:
      'Shapes of stored datasets. Body: JSON array of names. One result per name held: {"name", "schemaHeader", "schemaEncapsulated", "batchRows", "batchHeaders", "batchBytes", "dictionariesChange"} (binary fields base64).',
  },
  {
    type: 'select',
    description: 'Cluster shards: rows a query selects in a stored dataset. Body {"dataset", "query": {"sql"} or {"filter"}}. Result: {"counts": selected rows per record batch}.',
  },
  {
    type: 'same-host',
    description:
      'Where a reader on this host reads shared memory (docs/same-host.md): {"socket", "instance", "hostId", "shmDir"}; FAILED_PRECONDITION when the node runs without shared memory.',
  },
  {
    type: 'load',
    description:
      'Load files this node reads as a new generation of a dataset, all or nothing. Body {"name", "source", "format"?, "options"?: {"columns"?, "split"?, "schema"?}}. Result: {"loaded", "files", "rows", "batches", "bytes"}.',
  },
];

/** Node statistics returned by the `stats` action. */
export interface NodeStats {
  datasets: Array<{ name: string; rows: number; bytes: number; batches: number }>;
  rows: number;
  bytes: number;
  memory: { usedBytes: number; limitBytes: number | null; nativeLiveBytes: number; rssBytes: number };
  /** Present when the node keeps its data in shared memory. */
  sameHost?: SameHostStats;
  /** Loads running, then the last finished. */
  loads: LoadProgress[];
}

const json = (value: unknown): Result => ({ body: Buffer.from(JSON.stringify(value), 'utf8') });

/** Runs node actions against a store. */
export class NodeActions {
  private readonly started = Date.now();
  /** Tells a restarted process (empty) from the one that was there before at the same address. */
  readonly instance = randomBytes(8).toString('hex');

  /** The loads this node runs. */
  readonly loads = new LoadRegistry();

  /** `sameHost` gives the node's same-host service once it runs (undefined without shared memory). */
  constructor(
    private readonly store: DatasetStore,
    private readonly sameHost: () => SameHostInfo | undefined = () => undefined,
  ) {}

  /** The action types this node knows. */
  *list(): Iterable<ActionType> {
    yield* ACTIONS;
  }

  /** Computes the node's statistics. */
  stats(): NodeStats {
    const s = this.store.stats();
    const sameHost = this.sameHost();
    return {
      datasets: this.store.list().map((d) => ({ name: d.name, rows: d.rows, bytes: d.bytes, batches: d.batchCount })),
      rows: s.rows,
      bytes: s.bytes,
      memory: {
        usedBytes: s.usedBytes,
        limitBytes: Number.isFinite(s.limitBytes) ? s.limitBytes : null,
        nativeLiveBytes: s.liveNativeBytes,
        rssBytes: process.memoryUsage.rss(),
      },
      loads: this.loads.list(),
      ...(sameHost ? { sameHost: sameHost.stats() } : {}),
    };
  }

  /** Runs a `load` action body (JSON, see ACTIONS). */
  load(body: string): Promise<LoadResult> {
    const request = parseLoadRequest(body);
    return this.loads.run(request.name, request.source, (progress, signal) => loadDataset(this.store, request, progress, signal));
  }

  /** Runs one action, yielding its results. */
  *run(action: Action): Iterable<Result> {
    switch (action.type) {
      case 'drop': {
        const name = new TextDecoder().decode(action.body);
        if (name === '') throw new FlightError(Code.INVALID_ARGUMENT, 'drop needs the dataset name as its body');
        const cancelled = this.loads.cancel(name);
        if (!this.store.drop(name) && !cancelled) throw new FlightError(Code.NOT_FOUND, `unknown dataset "${name}"`);
        yield json({ dropped: name });
        return;
      }
      case 'stats':
        yield json(this.stats());
        return;
      case 'describe':
        for (const dataset of describeDatasets(this.store, new TextDecoder().decode(action.body))) yield json(dataset);
        return;
      case 'same-host': {
        const sameHost = this.sameHost();
        if (!sameHost) throw new FlightError(Code.FAILED_PRECONDITION, 'this node keeps its data in private memory (--shm-dir off): read over gRPC');
        yield json(sameHost.describe());
        return;
      }
      case 'health':
        yield json({ status: 'ok', uptimeSeconds: Math.round((Date.now() - this.started) / 1000), instance: this.instance, hostId: hostId() });
        return;
      default:
        throw new FlightError(
          Code.UNIMPLEMENTED,
          `unknown action "${action.type}"; known actions: ${ACTIONS.map((a) => a.type).join(', ')}`,
        );
    }
  }
}
