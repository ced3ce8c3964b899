/**
 * The Flight service of a cluster coordinator. It answers the catalog RPCs (ListFlights,
 * GetFlightInfo, GetSchema, PollFlightInfo) with endpoints at the shards, places and replicates
 * puts, and runs cluster actions. It never serves record batches itself.
 */
import { randomBytes } from 'node:crypto';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { CallContext } from '../../client/src/flight/grpc/method.js';
import type { FlightService } from '../../client/src/flight/service.js';
import type { BodyAllocator } from '../../client/src/flight/protocol/flight-data.js';
import {
  DescriptorType,
  type Action,
  type ActionType,
  type Criteria,
  type FlightData,
  type FlightDescriptor,
  type FlightInfo,
  type HandshakeRequest,
  type HandshakeResponse,
  type OutgoingFlightData,
  type PollInfo,
  type PutResult,
  type Result,
  type SchemaResult,
  type Ticket,
} from '../../client/src/flight/protocol/messages.js';
import { firstDictionaryIdDifference, firstSchemaDifference } from '../../client/src/flight/protocol/schema-compare.js';
import type { DatasetStore, DatasetSnapshot } from '../storage/dataset-store.js';
import type { TokenAuth } from '../auth/token-auth.js';
import { NodeService, answerHandshake, datasetNameOf } from '../node/node-service.js';
import { parseFlightRequest, pickDataset } from '../node/flight-request.js';
import { flightInfoFor, requestSchema } from '../node/read-plan.js';
import { bindQuery } from '../engine/sql/plan.js';
import { clusterSelectedLayout } from './cluster-selection.js';
import { changesDictionaries } from '../node/share-stream.js';
import { emptyDataset, nextPartitionIndex, storedNameOf, type CatalogDataset, type CatalogPartition } from './catalog.js';
import { putsOf, recordDrop } from './drop-tombstones.js';
import type { ClusterState } from './cluster-state.js';
import { ClusterActions } from './cluster-actions.js';
import { placeReplicas } from './placement.js';
import { defaultPartitionCount, partitionByBytes } from './partitioning.js';
import { writePartition } from './partition-writer.js';
import { dropCopies } from './partition-copies.js';

/** Options of a coordinator's Flight service. */
export interface CoordinatorServiceOptions {
  state: ClusterState;
  /** Where puts are staged before they are split and replicated. */
  staging: DatasetStore;
  auth?: TokenAuth;
  /** The dataset path [RANK, WORLD] reads when the cluster holds several. */
  defaultDataset?: string;
  /** Upper bound on a partition's bytes (default 256 MiB). */
  maxPartitionBytes?: number;
  /** Told how long each read plan (GetFlightInfo, GetSchema) took, for metrics. */
  planned?: (method: string, seconds: number) => void;
}

const utf8 = new TextEncoder();

/** The coordinator's Flight service. */
export class CoordinatorService implements FlightService {
  readonly actions: ClusterActions;
  private readonly stagingNode: NodeService;

  constructor(private readonly options: CoordinatorServiceOptions) {
    this.actions = new ClusterActions(options.state, options.staging);
    this.stagingNode = new NodeService({ store: options.staging, location: () => '' });
  }

  handshake(requests: AsyncIterable<HandshakeRequest>, ctx: CallContext): AsyncIterable<HandshakeResponse> {
    return answerHandshake(requests, ctx, this.options.auth);
  }

  async *listFlights(criteria: Criteria): AsyncIterable<FlightInfo> {
    const prefix = new TextDecoder().decode(criteria.expression);
    for (const dataset of this.options.state.catalog.list()) {
      if (!dataset.name.startsWith(prefix)) continue;
      const status = this.options.state.status(dataset);
      const layout = this.options.state.layout(dataset);
      const meta = utf8.encode(JSON.stringify(status));
      try {
        yield { ...flightInfoFor(layout, { dataset: dataset.name, rank: 0, world: 1 }), appMetadata: meta };
      } catch (err) {
        if (!(err instanceof FlightError) || err.code !== Code.UNAVAILABLE) throw err;
        // A lost dataset is still listed, with its status and no endpoints, rather than hidden.
        yield {
          schema: dataset.schemaEncapsulated,
          flightDescriptor: { type: DescriptorType.PATH, cmd: new Uint8Array(), path: [dataset.name] },
          endpoints: [],
          totalRecords: BigInt(dataset.rows),
          totalBytes: BigInt(dataset.bytes),
          ordered: true,
          appMetadata: meta,
        };
      }
    }
  }

  async getFlightInfo(descriptor: FlightDescriptor): Promise<FlightInfo> {
    return this.timed('GetFlightInfo', async () => {
      const request = parseFlightRequest(descriptor);
      const layout = this.options.state.layout(this.resolve(request.dataset));
      if (!request.query) return flightInfoFor(layout, request, descriptor);
      return flightInfoFor(await clusterSelectedLayout(layout, request.query, this.options.state.peers), request, descriptor);
    });
  }

  async pollFlightInfo(descriptor: FlightDescriptor): Promise<PollInfo> {
    return { info: await this.getFlightInfo(descriptor), progress: 1 };
  }

  async getSchema(descriptor: FlightDescriptor): Promise<SchemaResult> {
    return this.timed('GetSchema', () => {
      const request = parseFlightRequest(descriptor);
      const layout = this.options.state.layout(this.resolve(request.dataset));
      // Binding the query checks its columns and types against the dataset.
      if (request.query) bindQuery(request.query, layout.schemaHeader);
      return { schema: requestSchema(layout, request) };
    });
  }

  /**
   * Runs a read plan, telling `planned` how long it took (failed plans included). While the
   * coordinator is still learning what its members hold (start-up, takeover) an unknown dataset or a
   * partition without a live replica may yet be served: that is UNAVAILABLE marked so that clients
   * retry (ClusterState.pending), not NOT_FOUND or a plain UNAVAILABLE.
   */
  private async timed<T>(method: string, plan: () => T | Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    try {
      return await plan();
    } catch (err) {
      throw err instanceof FlightError ? this.options.state.pending(err) : err;
    } finally {
      this.options.planned?.(method, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  // The coordinator is not on the data path: say where the data is instead of proxying it.
  // eslint-disable-next-line require-yield
  async *doGet(_ticket: Ticket): AsyncIterable<OutgoingFlightData> {
    throw new FlightError(
      Code.FAILED_PRECONDITION,
      'this is the cluster coordinator, which serves no data: call DoGet with the ticket at one of the endpoint\'s locations (the shards)',
    );
  }

  bodyAllocator(ctx: CallContext): BodyAllocator {
    return this.stagingNode.bodyAllocator(ctx);
  }

  async *doPut(data: AsyncIterable<FlightData>, ctx: CallContext): AsyncIterable<PutResult> {
    const staging = this.options.staging;
    let name: string | undefined;
    const stagedName = `staging.${randomBytes(6).toString('hex')}`;
    async function* renamed(): AsyncIterable<FlightData> {
      for await (const message of data) {
        if (name === undefined) {
          name = datasetNameOf(message.flightDescriptor);
          yield { ...message, flightDescriptor: { type: DescriptorType.PATH, cmd: new Uint8Array(), path: [stagedName] } };
        } else yield message;
      }
    }
    // Results wait until every copy is stored: the put is acknowledged only then.
    const results: PutResult[] = [];
    try {
      for await (const result of this.stagingNode.doPut(renamed(), ctx)) results.push(result);
      await this.distribute(name!, staging.get(stagedName)!);
    } catch (err) {
      staging.drop(stagedName);
      throw err;
    }
    // Every copy is committed: the shards have received every byte, so no write reads the staged put
    // any more. Left to the garbage collector, hundreds of MB of staging would be freed in one late
    // burst of coordinator CPU while trainers stream. (A failed put is only dropped: a copy being
    // cancelled may still have writes of it queued.)
    staging.free(stagedName);
    yield* results;
  }

  // eslint-disable-next-line require-yield -- a generator, so the refusal reaches the caller as the stream's error
  async *doExchange(): AsyncIterable<OutgoingFlightData> {
    throw new FlightError(Code.UNIMPLEMENTED, 'DoExchange is not supported: write with DoPut, read with DoGet');
  }

  async *doAction(action: Action): AsyncIterable<Result> {
    yield* this.actions.run(action);
  }

  async *listActions(): AsyncIterable<ActionType> {
    yield* this.actions.list();
  }

  /** Splits a staged put into partitions, stores each on R live shards, then records it in the catalog. */
  private async distribute(name: string, staged: DatasetSnapshot): Promise<void> {
    const { state } = this.options;
    const existing = state.catalog.get(name);
    if (existing) {
      const difference = firstSchemaDifference(existing.schemaHeader, staged.schema.header) ?? firstDictionaryIdDifference(existing.schemaHeader, staged.schema.header);
      if (difference !== undefined) throw new FlightError(Code.INVALID_ARGUMENT, difference);
    }
    const live = state.liveIds();
    if (live.length < state.replicas) {
      throw new FlightError(
        Code.UNAVAILABLE,
        `cannot store ${state.replicas} copies of "${name}": only ${live.length} shard(s) are live (${live.join(', ') || 'none'})`,
      );
    }
    const batches = staged.messages.filter((m) => m.kind === 'record_batch');
    const batchBytes = batches.map((m) => m.header.byteLength + m.body.byteLength);
    const total = batchBytes.reduce((a, b) => a + b, 0);
    const ranges = batches.length === 0 ? [] : partitionByBytes(batchBytes, defaultPartitionCount(total, batches.length, live.length, this.options.maxPartitionBytes));
    const base = existing ? existing.batchRows.length : 0;
    const firstIndex = nextPartitionIndex(existing);
    const nonce = randomBytes(4).toString('hex');
    const partitions: CatalogPartition[] = ranges.map((range, i) => {
      const storedName = storedNameOf(name, firstIndex + i, nonce, { from: base + range.from, to: base + range.to, end: base + batches.length });
      const slice = batches.slice(range.from, range.to);
      return {
        index: firstIndex + i,
        storedName,
        from: base + range.from,
        to: base + range.to,
        rows: slice.reduce((sum, m) => sum + m.rows, 0),
        bytes: batchBytes.slice(range.from, range.to).reduce((a, b) => a + b, 0),
        placement: placeReplicas(`${name}/${storedName}`, live, state.replicas),
        stored: new Set<string>(),
      };
    });
    // Adoption must not take in the partitions committed so far: this put records them itself.
    const put = `${name}#${nonce}`;
    state.pendingPuts.add(put);
    try {
      await this.replicate(partitions, staged, base);
      const current = state.catalog.get(name);
      if (current !== existing || (current?.batchRows.length ?? 0) !== base) {
        // Its batches were numbered from `base`; appended after what the dataset holds now they would be misplaced.
        await this.discard(partitions);
        throw new FlightError(
          Code.ABORTED,
          `put of "${name}" not stored: the dataset was dropped, put or extended (another put, or partitions adopted from a returning shard) while it was written; put it again`,
        );
      }
    } finally {
      // The catalog records the put below without yielding, so no adoption runs in between.
      state.pendingPuts.delete(put);
    }
    const dataset = existing ?? emptyDataset(name, staged.schema.header.slice(), staged.schema.encapsulated.slice());
    dataset.batchRows.push(...batches.map((m) => m.rows));
    dataset.batchHeaders.push(...batches.map((m) => m.header.slice()));
    dataset.batchBytes.push(...batchBytes);
    dataset.rows += batches.reduce((sum, m) => sum + m.rows, 0);
    dataset.bytes += total;
    dataset.dictionariesChange ||= changesDictionaries(staged);
    dataset.partitions.push(...partitions);
    state.catalog.set(dataset);
  }

  /**
   * Removes a failed put's copies from the shards. Its partitions are remembered as dropped, and the
   * put is tombstoned on the shards: a copy whose write lands after the removal, or one on a shard
   * out of reach, is then never adopted by this or any later coordinator.
   */
  private async discard(partitions: readonly CatalogPartition[]): Promise<void> {
    const { state } = this.options;
    for (const partition of partitions) state.dropped.add(partition.storedName);
    await Promise.all([recordDrop(state, putsOf({ partitions })), dropCopies(state, partitions)]);
  }

  /** Writes every partition to each of its placed shards; on any failure removes the copies written and fails. */
  private async replicate(partitions: CatalogPartition[], staged: DatasetSnapshot, base: number): Promise<void> {
    const { state } = this.options;
    const jobs = partitions.flatMap((p) => p.placement.map((id) => ({ partition: p, id })));
    const failures: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let job = jobs[next++]; job; job = jobs[next++]) {
        // The write itself tells whether the shard is there: a member the heartbeat has just
        // doubted (a busy moment) still gets its copy.
        const location = state.membership.get(job.id)?.location;
        try {
          if (location === undefined) throw new FlightError(Code.UNAVAILABLE, 'shard left the cluster');
          const client = await state.peers.get(location);
          await writePartition(client, job.partition.storedName, staged, job.partition.from - base, job.partition.to - base);
          job.partition.stored.add(job.id);
        } catch (err) {
          failures.push(`partition ${job.partition.index} on ${job.id}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, jobs.length) }, worker));
    if (failures.length === 0) return;
    await this.discard(partitions);
    throw new FlightError(Code.UNAVAILABLE, `put not stored: ${failures.length} copies failed (${failures.slice(0, 3).join('; ')})`);
  }

  /** The named dataset, or the default one when name is undefined. */
  private resolve(name: string | undefined): CatalogDataset {
    const { catalog } = this.options.state;
    return pickDataset(name, this.options.defaultDataset, (n) => catalog.get(n), () => catalog.list(), 'the cluster');
  }
}
