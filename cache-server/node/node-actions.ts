/** The DoAction verbs of a cache node: drop, stats, health, describe, same-host (and fetch, run by the service). Results are UTF-8 JSON; describe sends one per dataset. */
import { randomBytes } from 'node:crypto';
import { Code, FlightError } from '../flight/errors.js';
import type { Action, ActionType, Result } from '../flight/protocol/messages.js';
import type { DatasetStore } from '../storage/dataset-store.js';
import type { SameHostDescription, SameHostStats } from '../samehost/same-host-server.js';
import { hostId } from '../samehost/host-id.js';
import { describeDatasets } from './describe-action.js';

/** The same-host service as the actions see it. */
export interface SameHostInfo {
  describe(): SameHostDescription;
  stats(): SameHostStats;
}

const ACTIONS: readonly ActionType[] = [
  { type: 'drop', description: 'Drop a dataset. Body: the dataset name (UTF-8). Result: {"dropped": name}.' },
  { type: 'stats', description: 'Node statistics as JSON: datasets, rows, bytes, memory, and sameHost when the data is in shared memory.' },
  { type: 'health', description: 'Liveness as JSON: {"status": "ok", "uptimeSeconds": n, "instance": id, "hostId": id}; the instance id changes when the process restarts; hostId names the host (cache-server/samehost/host-id.ts).' },
  { type: 'fetch', description: 'Cluster shards: copy a dataset from a peer. Body {"name", "sources", "ticket"}. Result: {"fetched", "from", "batches"}.' },
  {
    type: 'describe',
    description:
      'Shapes of stored datasets. Body: JSON array of names. One result per name held: {"name", "schemaHeader", "schemaEncapsulated", "batchRows", "batchHeaders", "batchBytes", "dictionariesChange"} (binary fields base64).',
  },
  {
    type: 'same-host',
    description:
      'Where a reader on this host reads shared memory (docs/same-host.md): {"socket", "instance", "hostId", "shmDir"}; FAILED_PRECONDITION when the node runs without shared memory.',
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
}

const json = (value: unknown): Result => ({ body: Buffer.from(JSON.stringify(value), 'utf8') });

/** Runs node actions against a store. */
export class NodeActions {
  private readonly started = Date.now();
  /** Tells a restarted process (empty) from the one that was there before at the same address. */
  readonly instance = randomBytes(8).toString('hex');

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
      ...(sameHost ? { sameHost: sameHost.stats() } : {}),
    };
  }

  /** Runs one action, yielding its results. */
  *run(action: Action): Iterable<Result> {
    switch (action.type) {
      case 'drop': {
        const name = new TextDecoder().decode(action.body);
        if (name === '') throw new FlightError(Code.INVALID_ARGUMENT, 'drop needs the dataset name as its body');
        if (!this.store.drop(name)) throw new FlightError(Code.NOT_FOUND, `unknown dataset "${name}"`);
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
