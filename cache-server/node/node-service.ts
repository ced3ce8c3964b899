/**
 * The Flight service of one cache node: datasets written with DoPut, read with DoGet, described by
 * ListFlights/GetFlightInfo/GetSchema, managed with DoAction. No gRPC or http2 here.
 */
import { Code, FlightError } from '../flight/errors.js';
import type { CallContext } from '../flight/grpc/method.js';
import type { FlightService } from '../flight/service.js';
import type { BodyAllocator } from '../flight/protocol/flight-data.js';
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
} from '../flight/protocol/messages.js';
import { encapsulate, parseMessageHeader } from '../flight/protocol/ipc-message.js';
import { ProjectionPlan, columnIndices } from '../flight/protocol/ipc-projection.js';
import { dictionaryIds } from '../flight/protocol/schema-compare.js';
import type { DatasetSnapshot, DatasetStore } from '../storage/dataset-store.js';
import type { EncapsulatedRegion } from '../storage/stored-message.js';
import type { TokenAuth } from '../auth/token-auth.js';
import { decodeTicket, encodeTicket, type TicketShare } from './ticket.js';
import { checkFingerprint, encodeCursor } from './cursor.js';
import { parseFlightRequest, type ShareRequest } from './flight-request.js';
import { planShare, type SharePlan } from './share-plan.js';
import { NodeActions } from './node-actions.js';

/** Options of a node's Flight service. */
export interface NodeServiceOptions {
  store: DatasetStore;
  /** Present when the node was started with credentials. */
  auth?: TokenAuth;
  /** The location advertised in FlightInfo endpoints, e.g. grpc://10.0.0.5:8815. */
  location: () => string;
  /** The dataset that path [RANK, WORLD] reads when the node holds several. */
  defaultDataset?: string;
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

/** The Flight service of a single cache node. */
export class NodeService implements FlightService {
  /** The node's actions (also behind the ops endpoints). */
  readonly actions: NodeActions;

  constructor(private readonly options: NodeServiceOptions) {
    this.actions = new NodeActions(options.store);
  }

  async *handshake(requests: AsyncIterable<HandshakeRequest>, ctx: CallContext): AsyncIterable<HandshakeResponse> {
    // Clients may send payloads (the legacy handshake) or nothing; either way credentials travel in headers.
    for await (const _request of requests) break;
    const auth = this.options.auth;
    if (!auth) {
      yield { protocolVersion: 0n, payload: new Uint8Array() };
      return;
    }
    const token = auth.issueToken(ctx.metadata);
    ctx.setResponseHeaders({ authorization: `Bearer ${token}` });
    yield { protocolVersion: 0n, payload: utf8.encode(token) };
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
    const projection = projectionOf(dataset, request);
    return { schema: projection ? encapsulate(projection.plan.schema) : dataset.schema.encapsulated };
  }

  async *doGet(ticket: Ticket, ctx: CallContext): AsyncIterable<OutgoingFlightData> {
    const request = decodeTicket(ticket.ticket);
    const name = request.dataset;
    const dataset = this.options.store.get(name);
    if (!dataset) throw new FlightError(Code.INVALID_ARGUMENT, `ticket names unknown dataset "${name}" (dropped?)`);
    const fingerprint = { batches: dataset.batchCount, rows: dataset.rows };
    // Tickets without a range (issued before ranges existed) read the whole dataset as rank 0 of 1.
    const share: TicketShare = request.share ?? { world: 1, rank: 0, position: 0, ...fingerprint };
    const { from, to } = request.range ?? { from: 0, to: dataset.batchCount };
    checkFingerprint(name, share, fingerprint, 'ticket');
    const projection = request.columns ? new ProjectionPlan(dataset.schema.header, request.columns) : undefined;
    yield { dataHeader: projection ? projection.schema : dataset.schema.header, body: [], bodyLength: 0 };
    let batch = 0;
    for (const message of dataset.messages) {
      if (ctx.signal.aborted || batch >= to) return;
      if (message.kind !== 'record_batch') {
        // Every dictionary stored before the range's last batch, in order: replacements and deltas stay correct.
        if (projection && !projection.dictionaryIds.has(parseMessageHeader(message.header).dictionaryId ?? 0n)) continue;
        yield { dataHeader: message.header, body: [message.body], bodyLength: message.body.length };
        continue;
      }
      if (batch >= from) {
        const cursor = encodeCursor({ dataset: name, world: share.world, rank: share.rank, position: share.position + batch - from, batch, ...fingerprint });
        const data = projection
          ? projection.projectRecordBatch(message.header, message.body)
          : { header: message.header, body: [message.body], bodyLength: message.body.length };
        yield { dataHeader: data.header, body: data.body, bodyLength: data.bodyLength, appMetadata: utf8.encode(cursor) };
      }
      batch++;
    }
  }

  bodyAllocator(ctx: CallContext): BodyAllocator {
    const store = this.options.store;
    const pending = pendingAllocations(ctx);
    return (header, bodyLength) => {
      const allocation = store.allocateMessage(header, bodyLength);
      pending.set(allocation.message.body, allocation);
      return allocation.message.body;
    };
  }

  async *doPut(data: AsyncIterable<FlightData>, ctx: CallContext): AsyncIterable<PutResult> {
    const store = this.options.store;
    const pending = pendingAllocations(ctx);
    let tx: ReturnType<DatasetStore['beginPut']> | undefined;
    let committed = false;
    let declaredDictionaries = new Set<bigint>();
    try {
      let batch = 0;
      for await (const message of data) {
        const info = parseMessageHeader(message.dataHeader);
        if (!tx) {
          const name = datasetNameOf(message.flightDescriptor);
          if (info.kind !== 'schema') {
            throw new FlightError(Code.INVALID_ARGUMENT, `DoPut must start with a Schema message, got ${info.kind}`);
          }
          tx = store.beginPut(name, message.dataHeader);
          declaredDictionaries = new Set(dictionaryIds(message.dataHeader).map((d) => d.id));
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
        const allocation = pending.get(message.dataBody);
        if (allocation) {
          pending.delete(message.dataBody);
          tx.adopt(allocation, { kind: info.kind, rows: info.rows });
        } else tx.appendMessage(message.dataHeader, message.dataBody, { kind: info.kind, rows: info.rows });
        if (info.kind === 'record_batch') {
          yield { appMetadata: utf8.encode(JSON.stringify({ batch: batch++, rows: info.rows })) };
        }
      }
      if (!tx) throw new FlightError(Code.INVALID_ARGUMENT, 'DoPut stream ended before its Schema message');
      tx.commit();
      committed = true;
    } finally {
      if (tx && !committed) tx.abort();
      for (const allocation of pending.values()) allocation.region.release();
      pending.clear();
    }
  }

  async *doExchange(): AsyncIterable<OutgoingFlightData> {
    throw new FlightError(Code.UNIMPLEMENTED, 'DoExchange is not supported by a cache node: write with DoPut, read with DoGet');
  }

  async *doAction(action: Action): AsyncIterable<Result> {
    yield* this.actions.run(action);
  }

  async *listActions(): AsyncIterable<ActionType> {
    yield* this.actions.list();
  }

  /** The named dataset, or the default one (see flight-request.ts) when name is undefined. */
  private resolve(name: string | undefined): DatasetSnapshot {
    if (name !== undefined) return this.dataset(name);
    if (this.options.defaultDataset !== undefined) return this.dataset(this.options.defaultDataset);
    const all = this.options.store.list();
    if (all.length === 1) return all[0]!;
    if (all.length === 0) throw new FlightError(Code.NOT_FOUND, 'no dataset to read: path [RANK, WORLD] reads the default dataset and this node holds none');
    throw new FlightError(
      Code.FAILED_PRECONDITION,
      `path [RANK, WORLD] reads the default dataset, but this node holds ${all.length} datasets (${all.map((d) => d.name).join(', ')}) ` +
        'and was started without --default-dataset: use [name, RANK, WORLD] or start it with --default-dataset NAME',
    );
  }

  /** The committed dataset of that name, or NOT_FOUND. */
  private dataset(name: string): DatasetSnapshot {
    const dataset = this.options.store.get(name);
    if (!dataset) throw new FlightError(Code.NOT_FOUND, `unknown dataset "${name}"`);
    return dataset;
  }

  /** The FlightInfo of a rank's share: one endpoint per contiguous range, each with this node's location. */
  private flightInfo(dataset: DatasetSnapshot, request: ShareRequest, descriptor?: FlightDescriptor): FlightInfo {
    const projection = projectionOf(dataset, request);
    const plan = planShare(dataset.name, { batches: dataset.batchCount, rows: dataset.rows }, request, projection?.columns);
    const { rows, bytes } = shareTotals(dataset, plan, projection?.plan);
    return {
      schema: projection ? encapsulate(projection.plan.schema) : dataset.schema.encapsulated,
      flightDescriptor: descriptor ?? { type: DescriptorType.PATH, cmd: new Uint8Array(), path: [dataset.name] },
      endpoints: plan.ranges.map((range) => ({
        ticket: {
          ticket: encodeTicket({
            dataset: dataset.name,
            range: { from: range.from, to: range.to },
            share: { world: plan.world, rank: plan.rank, position: range.position, ...plan.fingerprint },
            ...(plan.columns ? { columns: [...plan.columns] } : {}),
          }),
        },
        locations: [{ uri: this.options.location() }],
        appMetadata: new Uint8Array(),
      })),
      totalRecords: BigInt(rows),
      totalBytes: BigInt(bytes),
      ordered: true,
      appMetadata: new Uint8Array(),
    };
  }
}

/** The column indices and projection plan of a request naming columns; undefined when it names none. */
function projectionOf(dataset: DatasetSnapshot, request: ShareRequest): { columns: number[]; plan: ProjectionPlan } | undefined {
  if (!request.columns) return undefined;
  const columns = columnIndices(dataset.schema.header, request.columns);
  return { columns, plan: new ProjectionPlan(dataset.schema.header, columns) };
}

/**
 * Rows and bytes of a planned share. Bytes are those of its record batches; a share of every batch
 * reports the dataset's stored bytes, so ListFlights totals match the stats action. A projected
 * share reports the body bytes its projected batches will send.
 */
function shareTotals(dataset: DatasetSnapshot, plan: SharePlan, projection?: ProjectionPlan): { rows: number; bytes: number } {
  const wanted = (batch: number): boolean => plan.ranges.some((r) => batch >= r.from && batch < r.to);
  let rows = 0;
  let bytes = 0;
  let count = 0;
  let batch = 0;
  for (const message of dataset.messages) {
    if (message.kind !== 'record_batch') continue;
    if (wanted(batch)) {
      rows += message.rows;
      bytes += projection ? projection.bodyLength(message.header) : message.header.byteLength + message.body.byteLength;
      count++;
    }
    batch++;
  }
  return { rows, bytes: count === dataset.batchCount && !projection ? dataset.bytes : bytes };
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
