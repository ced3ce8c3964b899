/**
 * The Flight service of one cache node: datasets written with DoPut, read with DoGet, described by
 * ListFlights/GetFlightInfo/GetSchema, managed with DoAction. No gRPC or http2 here.
 */
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
import { parseMessageHeader } from '../../client/src/flight/protocol/ipc-message.js';
import { dictionaryIds } from '../../client/src/flight/protocol/schema-compare.js';
import type { DatasetSnapshot, DatasetStore } from '../storage/dataset-store.js';
import type { Arena } from '../storage/allocator.js';
import type { EncapsulatedRegion } from '../storage/stored-message.js';
import type { TokenAuth } from '../auth/token-auth.js';
import { decodeTicket } from './ticket.js';
import { parseFlightRequest, pickDataset, type ShareRequest } from './flight-request.js';
import { flightInfoFor, requestSchema, type DatasetLayout } from './read-plan.js';
import { changesDictionaries, streamTicket, ticketDataset } from './share-stream.js';
import { fetchDataset, type PeerClient } from './fetch-action.js';
import { NodeActions, type SameHostInfo } from './node-actions.js';
import { hostId } from '../../client/src/host-id.js';
import type { Logger } from '../logger.js';
import type { Traffic } from '../ops/metrics.js';
import { planFor, selectAction, selectedLayout, selectionOf } from './query-selection.js';

/** Options of a node's Flight service. */
export interface NodeServiceOptions {
  store: DatasetStore;
  /** Present when the node was started with credentials. */
  auth?: TokenAuth;
  /** The location advertised in FlightInfo endpoints, e.g. grpc://10.0.0.5:8815. */
  location: () => string;
  /** The dataset that path [RANK, WORLD] reads when the node holds several. */
  defaultDataset?: string;
  /** Clients to peers, for the `fetch` action (cluster shards). */
  peer?: PeerClient;
  /** The node's same-host service once it runs (shared-memory storage only). */
  sameHost?: () => SameHostInfo | undefined;
  /** Gets the node's significant events (drops, loads). */
  logger?: Logger;
  /** The node's gRPC totals, for its stats. */
  traffic?: () => Traffic;
}

const utf8 = new TextEncoder();

/** Reads the dataset name out of the PATH descriptor [name] a DoPut writes to. */
export function datasetNameOf(descriptor: FlightDescriptor | undefined): string {
  if (!descriptor) throw new FlightError(Code.INVALID_ARGUMENT, 'missing flight descriptor: expected path [dataset name]');
  if (descriptor.type !== DescriptorType.PATH || descriptor.path.length !== 1 || descriptor.path[0] === '') {
    throw new FlightError(
      Code.INVALID_ARGUMENT,
      `expected a path descriptor with one element [dataset name], got ${JSON.stringify(descriptor.path)}`,
    );
  }
  return descriptor.path[0]!;
}

/** Answers a Handshake: open without credentials, else Basic credentials in the headers buy a bearer token. */
export async function* answerHandshake(
  requests: AsyncIterable<HandshakeRequest>,
  ctx: CallContext,
  auth: TokenAuth | undefined,
): AsyncIterable<HandshakeResponse> {
  // Clients may send payloads (the legacy handshake) or nothing; either way credentials travel in headers.
  for await (const _request of requests) break;
  if (!auth) {
    yield { protocolVersion: 0n, payload: new Uint8Array() };
    return;
  }
  const token = auth.issueToken(ctx.metadata, ctx.peer);
  ctx.setResponseHeaders({ authorization: `Bearer ${token}` });
  yield { protocolVersion: 0n, payload: utf8.encode(token) };
}

/** The Flight service of a single cache node. */
export class NodeService implements FlightService {
  /** The node's actions (also behind the ops endpoints). */
  readonly actions: NodeActions;

  constructor(private readonly options: NodeServiceOptions) {
    this.actions = new NodeActions(options.store, options.sameHost, options.logger, options.traffic);
  }

  handshake(requests: AsyncIterable<HandshakeRequest>, ctx: CallContext): AsyncIterable<HandshakeResponse> {
    return answerHandshake(requests, ctx, this.options.auth);
  }

  async *listFlights(criteria: Criteria): AsyncIterable<FlightInfo> {
    // A non-empty criteria expression filters datasets by name prefix.
    const prefix = new TextDecoder().decode(criteria.expression);
    for (const dataset of this.options.store.list()) {
      if (dataset.name.startsWith(prefix)) yield this.flightInfo(dataset, { dataset: dataset.name, rank: 0, world: 1 });
    }
  }

  async getFlightInfo(descriptor: FlightDescriptor): Promise<FlightInfo> {
    const request = parseFlightRequest(descriptor);
    return this.flightInfo(this.resolve(request.dataset), request, descriptor);
  }

  async pollFlightInfo(descriptor: FlightDescriptor): Promise<PollInfo> {
    // Datasets are complete once committed: the first poll returns the finished info.
    return { info: await this.getFlightInfo(descriptor), progress: 1 };
  }

  async getSchema(descriptor: FlightDescriptor): Promise<SchemaResult> {
    const request = parseFlightRequest(descriptor);
    const dataset = this.resolve(request.dataset);
    // Binding the query checks its columns and types against this dataset.
    if (request.query) planFor(dataset, request.query.text);
    return { schema: requestSchema(nodeLayout(dataset, this.options.location()), request) };
  }

  async *doGet(ticket: Ticket, ctx: CallContext): AsyncIterable<OutgoingFlightData> {
    const request = decodeTicket(ticket.ticket);
    yield* streamTicket(ticketDataset(this.options.store, request), request, ctx.signal);
  }

  bodyAllocator(ctx: CallContext): BodyAllocator {
    const store = this.options.store;
    const pending = pendingAllocations(ctx);
    const arena = callArena(ctx, store);
    return (header, bodyLength) => {
      // The region is laid out for its header, so the header must come first (as every Arrow writer does).
      if (header.length === 0) throw new FlightError(Code.INVALID_ARGUMENT, 'DoPut FlightData has data_body before data_header: send data_header first');
      const allocation = store.allocateMessage(header, bodyLength, arena);
      pending.set(allocation.message.body, allocation);
      return allocation.message.body;
    };
  }

  async *doPut(data: AsyncIterable<FlightData>, ctx: CallContext): AsyncIterable<PutResult> {
    const store = this.options.store;
    const pending = pendingAllocations(ctx);
    const arena = callArena(ctx, store);
    let tx: ReturnType<DatasetStore['beginPut']> | undefined;
    let committed = false;
    let declaredDictionaries = new Set<bigint>();
    try {
      let batch = 0;
      for await (const message of data) {
        // Readers get the header written into the body's region: validate exactly those bytes.
        const allocation = pending.get(message.dataBody);
        const header = allocation?.message.header ?? message.dataHeader;
        const info = parseMessageHeader(header);
        if (!tx) {
          const name = datasetNameOf(message.flightDescriptor);
          if (info.kind !== 'schema') {
            throw new FlightError(Code.INVALID_ARGUMENT, `DoPut must start with a Schema message, got ${info.kind}`);
          }
          tx = store.beginPut(name, header, arena);
          declaredDictionaries = new Set(dictionaryIds(header).map((d) => d.id));
          continue;
        }
        if (info.kind === 'schema') throw new FlightError(Code.INVALID_ARGUMENT, 'DoPut sent a second Schema message');
        if (info.kind !== 'record_batch' && info.kind !== 'dictionary_batch') {
          throw new FlightError(Code.INVALID_ARGUMENT, `DoPut cannot store ${info.kind} messages`);
        }
        if (info.kind === 'dictionary_batch' && !declaredDictionaries.has(info.dictionaryId ?? 0n)) {
          throw new FlightError(
            Code.INVALID_ARGUMENT,
            `DoPut sent a dictionary batch for id ${info.dictionaryId ?? 0n}, which its schema does not declare`,
          );
        }
        if (info.compressed) {
          throw new FlightError(Code.UNIMPLEMENTED, 'compressed IPC bodies are not supported: write without compression');
        }
        if (message.dataBody.length !== info.bodyLength) {
          throw new FlightError(
            Code.INVALID_ARGUMENT,
            `FlightData body is ${message.dataBody.length} bytes but its header declares ${info.bodyLength}`,
          );
        }
        if (allocation) {
          pending.delete(message.dataBody);
          tx.adopt(allocation, { kind: info.kind, rows: info.rows });
        } else tx.appendMessage(header, message.dataBody, { kind: info.kind, rows: info.rows });
        if (info.kind === 'record_batch') {
          yield { appMetadata: utf8.encode(JSON.stringify({ batch: batch++, rows: info.rows })) };
        }
      }
      if (!tx) throw new FlightError(Code.INVALID_ARGUMENT, 'DoPut stream ended before its Schema message');
      tx.commit();
      committed = true;
    } finally {
      if (tx && !committed) tx.abort();
      releaseCallAllocations(ctx);
    }
  }

  // eslint-disable-next-line require-yield -- a generator, so the refusal reaches the caller as the stream's error
  async *doExchange(): AsyncIterable<OutgoingFlightData> {
    throw new FlightError(Code.UNIMPLEMENTED, 'DoExchange is not supported by a cache node: write with DoPut, read with DoGet');
  }

  async *doAction(action: Action): AsyncIterable<Result> {
    if (action.type === 'fetch') {
      if (!this.options.peer) throw new FlightError(Code.UNIMPLEMENTED, 'fetch is an action of cluster shards; this node runs alone');
      const result = await fetchDataset(this.options.store, this.options.peer, new TextDecoder().decode(action.body));
      yield { body: utf8.encode(JSON.stringify(result)) };
      return;
    }
    if (action.type === 'select') {
      yield { body: utf8.encode(JSON.stringify(selectAction(this.options.store, new TextDecoder().decode(action.body)))) };
      return;
    }
    if (action.type === 'load') {
      yield { body: utf8.encode(JSON.stringify(await this.actions.load(new TextDecoder().decode(action.body)))) };
      return;
    }
    yield* this.actions.run(action);
  }

  async *listActions(): AsyncIterable<ActionType> {
    yield* this.actions.list();
  }

  /** The named dataset, or the default one (see flight-request.ts) when name is undefined. */
  private resolve(name: string | undefined): DatasetSnapshot {
    const store = this.options.store;
    return pickDataset(name, this.options.defaultDataset, (n) => store.get(n), () => store.list(), 'this node');
  }

  /** The FlightInfo of a rank's share: this node is the one location of every endpoint. */
  private flightInfo(dataset: DatasetSnapshot, request: ShareRequest, descriptor?: FlightDescriptor): FlightInfo {
    const layout = nodeLayout(dataset, this.options.location());
    if (!request.query) return flightInfoFor(layout, request, descriptor);
    const selection = selectionOf(dataset, planFor(dataset, request.query.text));
    return flightInfoFor(selectedLayout(layout, selection.stored, selection.rows.map((rows) => rows.length)), request, descriptor);
  }
}

const layouts = new WeakMap<DatasetSnapshot, Omit<DatasetLayout, 'partitions'>>();

/** A stored dataset as a one-partition layout at `location` (per-batch shape computed once per snapshot). */
export function nodeLayout(dataset: DatasetSnapshot, location: string): DatasetLayout {
  let shape = layouts.get(dataset);
  if (!shape) {
    const batches = dataset.messages.filter((m) => m.kind === 'record_batch');
    shape = {
      name: dataset.name,
      schemaHeader: dataset.schema.header,
      schemaEncapsulated: dataset.schema.encapsulated,
      batches: dataset.batchCount,
      rows: dataset.rows,
      batchRows: batches.map((m) => m.rows),
      batchHeaders: batches.map((m) => m.header),
      batchBytes: batches.map((m) => m.header.byteLength + m.body.byteLength),
      bytes: dataset.bytes,
      partitioned: false,
      dictionariesChange: changesDictionaries(dataset),
    };
    layouts.set(dataset, shape);
  }
  const host = hostId();
  return {
    ...shape,
    partitions: [{ index: 0, from: 0, to: dataset.batchCount, storedName: dataset.name, locations: [location], locationHosts: [host], placedHosts: [host] }],
  };
}

/** Releases the regions a DoPut call allocated that no write adopted, and closes the call's arena. */
export function releaseCallAllocations(ctx: CallContext): void {
  const pending = ctx.values.get('pending-bodies') as Map<Uint8Array, EncapsulatedRegion> | undefined;
  for (const allocation of pending?.values() ?? []) allocation.region.release();
  pending?.clear();
  (ctx.values.get('put-arena') as Arena | undefined)?.close();
}

/** The arena of a DoPut call: every region of the one dataset it writes, bodies decoded early included. */
function callArena(ctx: CallContext, store: DatasetStore): Arena {
  let arena = ctx.values.get('put-arena') as Arena | undefined;
  if (!arena) {
    arena = store.openArena();
    ctx.values.set('put-arena', arena);
  }
  return arena;
}

/** Regions allocated for a call's bodies that its handler has not adopted yet (released if the call fails). */
function pendingAllocations(ctx: CallContext): Map<Uint8Array, EncapsulatedRegion> {
  let pending = ctx.values.get('pending-bodies') as Map<Uint8Array, EncapsulatedRegion> | undefined;
  if (!pending) {
    pending = new Map();
    ctx.values.set('pending-bodies', pending);
  }
  return pending;
}
