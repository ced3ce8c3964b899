/**
 * The mid-level Flight client: every RPC of arrow.flight.protocol.FlightService over the project's one
 * gRPC/http2 transport, with Basic -> Bearer auth and per-call deadlines. Record batches come back as
 * apache-arrow RecordBatches whose buffers are views on the received bodies (no copies).
 */
import type { RecordBatch, Schema, Table } from 'apache-arrow';
import { Code, FlightError } from './flight/errors.js';
import { GrpcClient } from './flight/http2/client.js';
import type { TlsMaterial } from './flight/http2/tls.js';
import type { CallOptions, Metadata } from './flight/grpc/method.js';
import { flightClientMethods as rpc } from './flight/service.js';
import {
  DescriptorType,
  type ActionType,
  type FlightData,
  type FlightDescriptor,
  type FlightInfo,
  type OutgoingFlightData,
  type PollInfo,
  type PutResult,
  type Result,
  type Ticket,
} from './flight/protocol/messages.js';
import { ArrowStreamDecoder, encodeTable, schemaFromFlatbuffer } from './flight/protocol/arrow-codec.js';
import { extractSchemaFromEncapsulated } from './flight/protocol/ipc-message.js';
import { DEFAULT_PLANNING_RETRY_MS, RETRY_SAFE_ACTIONS, retryUnavailable } from './planning-retry.js';

/** Options of a FlightClient. */
export interface FlightClientOptions {
  /** A bearer token obtained earlier. */
  token?: string;
  /** Default deadline of every call, in ms. */
  timeoutMs?: number;
  /** Metadata sent with every call. */
  metadata?: Metadata;
  /**
   * TLS of grpc+tls:// servers, PEM: `ca` the roots to trust (default: the system's), `cert` and `key`
   * the client certificate of mTLS (pyarrow's tls_root_certs, cert_chain, private_key).
   */
  tls?: TlsMaterial;
  /**
   * How long calls that plan or only read (ListFlights, GetFlightInfo, PollFlightInfo, GetSchema,
   * ListActions, RETRY_SAFE_ACTIONS) are retried on UNAVAILABLE before their first response, in ms
   * (default DEFAULT_PLANNING_RETRY_MS; 0: never): a standby coordinator refuses them so until it leads.
   */
  retryUnavailableMs?: number;
}

/** Builds a PATH descriptor. */
export function pathDescriptor(...path: string[]): FlightDescriptor {
  return { type: DescriptorType.PATH, cmd: new Uint8Array(), path };
}

/** Builds a CMD descriptor. */
export function cmdDescriptor(cmd: Uint8Array | string): FlightDescriptor {
  const bytes = typeof cmd === 'string' ? new TextEncoder().encode(cmd) : cmd;
  return { type: DescriptorType.CMD, cmd: bytes, path: [] };
}

/** Drains an async iterable into an array. */
async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Returns the one element of a unary call's responses. */
async function only<T>(items: AsyncIterable<T>, what: string): Promise<T> {
  const all = await collect(items);
  if (all.length !== 1) throw new FlightError(Code.INTERNAL, `${what} returned ${all.length} messages, expected 1`);
  return all[0]!;
}

/** A client of one Flight server. */
export class FlightClient {
  private readonly transport: GrpcClient;
  private token: string | undefined;

  constructor(
    readonly url: string,
    private readonly options: FlightClientOptions = {},
  ) {
    this.transport = new GrpcClient(url, options.tls === undefined ? {} : { tls: options.tls });
    this.token = options.token;
  }

  /** The TLS material of its connections (passed on to clients of the locations it is sent to). */
  get tls(): TlsMaterial | undefined {
    return this.options.tls;
  }

  /** The bearer token calls carry, if any. */
  get bearerToken(): string | undefined {
    return this.token;
  }

  /** Authenticates with Basic credentials; later calls carry the returned bearer token. */
  async handshake(user: string, password: string, options: CallOptions = {}): Promise<string> {
    const basic = Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
    const call = this.transport.call(rpc.handshake, [{ protocolVersion: 0n, payload: new Uint8Array() }], {
      ...this.callOptions(options),
      metadata: { ...this.options.metadata, ...options.metadata, authorization: `Basic ${basic}` },
    });
    const responses = await collect(call.responses);
    const headers = await call.headers;
    const header = headers['authorization'];
    const value = Array.isArray(header) ? header[0] : header;
    const fromHeader = value === undefined ? undefined : /^bearer (.+)$/i.exec(value.toString())?.[1];
    const fromPayload = responses.length > 0 ? new TextDecoder().decode(responses[0]!.payload) : '';
    const token = fromHeader ?? (fromPayload === '' ? undefined : fromPayload);
    if (token === undefined) throw new FlightError(Code.UNAUTHENTICATED, 'Handshake returned no bearer token');
    this.token = token;
    return token;
  }

  /** Lists the flights (datasets) the server offers; `criteria` is server-defined (a name prefix here). */
  listFlights(criteria = '', options: CallOptions = {}): AsyncIterable<FlightInfo> {
    return this.planning(options, (call) => this.transport.call(rpc.listFlights, [{ expression: new TextEncoder().encode(criteria) }], call).responses);
  }

  /** Describes one flight. */
  getFlightInfo(descriptor: FlightDescriptor, options: CallOptions = {}): Promise<FlightInfo> {
    return only(this.planning(options, (call) => this.transport.call(rpc.getFlightInfo, [descriptor], call).responses), 'GetFlightInfo');
  }

  /** Polls a long-running flight description. */
  pollFlightInfo(descriptor: FlightDescriptor, options: CallOptions = {}): Promise<PollInfo> {
    return only(this.planning(options, (call) => this.transport.call(rpc.pollFlightInfo, [descriptor], call).responses), 'PollFlightInfo');
  }

  /** Returns a flight's Arrow schema. */
  async getSchema(descriptor: FlightDescriptor, options: CallOptions = {}): Promise<Schema> {
    const result = await only(this.planning(options, (call) => this.transport.call(rpc.getSchema, [descriptor], call).responses), 'GetSchema');
    return schemaFromFlatbuffer(extractSchemaFromEncapsulated(result.schema));
  }

  /** Streams the raw FlightData of a ticket (bodies in fresh 8-byte-aligned memory). */
  doGetRaw(ticket: Ticket, options: CallOptions = {}): AsyncIterable<FlightData> {
    return this.transport.call(rpc.doGet(), [ticket], this.callOptions(options)).responses;
  }

  /** Streams a ticket's record batches, decoded without copying the bodies. */
  async *doGet(ticket: Ticket, options: CallOptions = {}): AsyncIterable<RecordBatch> {
    const decoder = new ArrowStreamDecoder();
    for await (const data of this.doGetRaw(ticket, options)) {
      const decoded = decoder.decode(data.dataHeader, data.dataBody);
      if (decoded.kind === 'batch') yield decoded.batch;
    }
  }

  /** Uploads raw FlightData (the first message must be the Schema); returns the server's PutResults. */
  async doPutRaw(
    descriptor: FlightDescriptor,
    data: Iterable<OutgoingFlightData> | AsyncIterable<OutgoingFlightData>,
    options: CallOptions = {},
  ): Promise<PutResult[]> {
    async function* withDescriptor(): AsyncIterable<OutgoingFlightData> {
      let first = true;
      for await (const message of data) {
        yield first ? { ...message, flightDescriptor: descriptor } : message;
        first = false;
      }
    }
    return collect(this.transport.call(rpc.doPut, withDescriptor(), this.callOptions(options)).responses);
  }

  /** Uploads an apache-arrow Table or batches. */
  doPut(descriptor: FlightDescriptor, data: Table | Iterable<RecordBatch>, options: CallOptions = {}): Promise<PutResult[]> {
    return this.doPutRaw(descriptor, encodeTable(data), options);
  }

  /** Exchanges FlightData with the server. */
  doExchange(
    data: Iterable<OutgoingFlightData> | AsyncIterable<OutgoingFlightData>,
    options: CallOptions = {},
  ): AsyncIterable<FlightData> {
    return this.transport.call(rpc.doExchange, data, this.callOptions(options)).responses;
  }

  /** Runs an action, streaming its results (retried on UNAVAILABLE when it is one of RETRY_SAFE_ACTIONS). */
  doAction(type: string, body: Uint8Array | string = new Uint8Array(), options: CallOptions = {}): AsyncIterable<Result> {
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    const run = (call: CallOptions): AsyncIterable<Result> => this.transport.call(rpc.doAction, [{ type, body: bytes }], call).responses;
    return RETRY_SAFE_ACTIONS.has(type) ? this.planning(options, run) : run(this.callOptions(options));
  }

  /** Runs an action whose single result is JSON. */
  async action<T = unknown>(type: string, body: Uint8Array | string = new Uint8Array(), options: CallOptions = {}): Promise<T> {
    const result = await only(this.doAction(type, body, options), `action ${type}`);
    return JSON.parse(new TextDecoder().decode(result.body)) as T;
  }

  /** Lists the server's actions. */
  listActions(options: CallOptions = {}): Promise<ActionType[]> {
    return collect(this.planning(options, (call) => this.transport.call(rpc.listActions, [{}], call).responses));
  }

  /** Closes the connection. */
  close(): void {
    this.transport.close();
  }

  /** A call that changes nothing, retried on UNAVAILABLE before its first response (planning-retry.ts). */
  private planning<T>(options: CallOptions, call: (options: CallOptions) => AsyncIterable<T>): AsyncIterable<T> {
    return retryUnavailable(this.options.retryUnavailableMs ?? DEFAULT_PLANNING_RETRY_MS, this.callOptions(options), call);
  }

  /** Merges per-call options with the client's defaults and the bearer token. */
  private callOptions(options: CallOptions): CallOptions {
    const metadata: Metadata = { ...this.options.metadata, ...options.metadata };
    if (this.token !== undefined && metadata['authorization'] === undefined) metadata['authorization'] = `Bearer ${this.token}`;
    const merged: CallOptions = { ...options, metadata };
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    if (timeoutMs !== undefined) merged.timeoutMs = timeoutMs;
    return merged;
  }
}
