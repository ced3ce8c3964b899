/**
 * The Flight service as roles see it (FlightService), and its binding to the gRPC transport: the ten
 * RPCs of arrow.flight.protocol.FlightService with their message codecs. Roles implement
 * FlightService and never see gRPC framing or http2.
 */
import { Code, FlightError } from './errors.js';
import type { BoundMethod, CallContext, MessageLimit, MessageSink, MethodDef, RequestBuffer, RequestMemory } from './grpc/method.js';
import * as codec from './protocol/codec.js';
import { encodeFlightData, FlightDataSink, defaultBodyAllocator, type BodyAllocator } from './protocol/flight-data.js';
import type {
  Action,
  ActionType,
  Criteria,
  FlightData,
  FlightDescriptor,
  FlightInfo,
  HandshakeRequest,
  HandshakeResponse,
  OutgoingFlightData,
  PollInfo,
  PutResult,
  Result,
  SchemaResult,
  Ticket,
} from './protocol/messages.js';

/** What a Flight role implements. Unary RPCs return a Promise, streaming ones an AsyncIterable. */
export interface FlightService {
  handshake(requests: AsyncIterable<HandshakeRequest>, ctx: CallContext): AsyncIterable<HandshakeResponse>;
  listFlights(criteria: Criteria, ctx: CallContext): AsyncIterable<FlightInfo>;
  getFlightInfo(descriptor: FlightDescriptor, ctx: CallContext): Promise<FlightInfo>;
  pollFlightInfo(descriptor: FlightDescriptor, ctx: CallContext): Promise<PollInfo>;
  getSchema(descriptor: FlightDescriptor, ctx: CallContext): Promise<SchemaResult>;
  doGet(ticket: Ticket, ctx: CallContext): AsyncIterable<OutgoingFlightData>;
  doPut(data: AsyncIterable<FlightData>, ctx: CallContext): AsyncIterable<PutResult>;
  doExchange(data: AsyncIterable<FlightData>, ctx: CallContext): AsyncIterable<OutgoingFlightData>;
  doAction(action: Action, ctx: CallContext): AsyncIterable<Result>;
  listActions(ctx: CallContext): AsyncIterable<ActionType>;
  /** Where the bodies of incoming FlightData land for this call (DoPut, DoExchange). */
  bodyAllocator(ctx: CallContext): BodyAllocator;
}

const SERVICE = '/arrow.flight.protocol.FlightService/';

/**
 * A sink that gathers one small protobuf message and decodes it. With `memory` (a server's budget)
 * the message is copied into charged memory from its length prefix on and the charge ends once it
 * is decoded or discarded; without it, the received slices are kept until the message is complete.
 */
class SmallMessageSink<T> implements MessageSink<T> {
  private parts: Uint8Array[] = [];
  private length = 0;
  private buffer: RequestBuffer | undefined;
  private filled = 0;

  constructor(
    private readonly decode: (bytes: Uint8Array) => T,
    private readonly memory?: RequestMemory,
  ) {}

  begin(length: number): void {
    this.parts = [];
    this.length = length;
    this.filled = 0;
    this.buffer = this.memory && length > 0 ? this.memory(length) : undefined;
  }

  push(slice: Uint8Array): void {
    if (!this.buffer) return void this.parts.push(slice);
    this.buffer.bytes.set(slice, this.filled);
    this.filled += slice.length;
  }

  end(): T {
    if (this.buffer) {
      try {
        return this.decode(this.buffer.bytes);
      } finally {
        this.discard();
      }
    }
    if (this.parts.length === 1) return this.decode(this.parts[0]!);
    const bytes = new Uint8Array(this.length);
    let offset = 0;
    for (const part of this.parts) {
      bytes.set(part, offset);
      offset += part.length;
    }
    return this.decode(bytes);
  }

  discard(): void {
    this.buffer?.release();
    this.buffer = undefined;
  }
}

/** The codec pair of a small protobuf message. */
interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

const c = {
  handshakeRequest: { encode: codec.encodeHandshakeRequest, decode: codec.decodeHandshakeRequest },
  handshakeResponse: { encode: codec.encodeHandshakeResponse, decode: codec.decodeHandshakeResponse },
  criteria: { encode: codec.encodeCriteria, decode: codec.decodeCriteria },
  flightInfo: { encode: codec.encodeFlightInfo, decode: codec.decodeFlightInfo },
  descriptor: { encode: codec.encodeFlightDescriptor, decode: codec.decodeFlightDescriptor },
  pollInfo: { encode: codec.encodePollInfo, decode: codec.decodePollInfo },
  schemaResult: { encode: codec.encodeSchemaResult, decode: codec.decodeSchemaResult },
  ticket: { encode: codec.encodeTicket, decode: codec.decodeTicket },
  putResult: { encode: codec.encodePutResult, decode: codec.decodePutResult },
  action: { encode: codec.encodeAction, decode: codec.decodeAction },
  result: { encode: codec.encodeResult, decode: codec.decodeResult },
  empty: { encode: codec.encodeEmpty, decode: codec.decodeEmpty },
  actionType: { encode: codec.encodeActionType, decode: codec.decodeActionType },
};

/** Definition of an RPC whose messages are all small protobufs. */
function smallDef<Req, Res>(
  name: string,
  requestStream: boolean,
  responseStream: boolean,
  req: Codec<Req>,
  res: Codec<Res>,
): MethodDef<Req, Res> {
  return {
    path: SERVICE + name,
    requestStream,
    responseStream,
    requestSink: () => new SmallMessageSink(req.decode),
    encodeRequest: (value) => [req.encode(value)],
    responseSink: () => new SmallMessageSink(res.decode),
    encodeResponse: (value) => [res.encode(value)],
  };
}

/** Views a received FlightData as one to send (a proxy forwarding what it read). */
function toOutgoing(data: FlightData): OutgoingFlightData {
  const out: OutgoingFlightData = {
    dataHeader: data.dataHeader,
    appMetadata: data.appMetadata,
    body: data.dataBody.length > 0 ? [data.dataBody] : [],
    bodyLength: data.dataBody.length,
  };
  if (data.flightDescriptor) out.flightDescriptor = data.flightDescriptor;
  return out;
}

/** A sink of FlightData that yields it in its outgoing shape. */
function outgoingSink(allocate: BodyAllocator): MessageSink<OutgoingFlightData> {
  const inner = new FlightDataSink(allocate);
  return {
    begin: (length) => inner.begin(length),
    push: (slice) => inner.push(slice),
    end: () => toOutgoing(inner.end()),
  };
}

/** Client-side method definitions: what a FlightClient sends and receives. */
export const flightClientMethods = {
  handshake: smallDef('Handshake', true, true, c.handshakeRequest, c.handshakeResponse),
  listFlights: smallDef('ListFlights', false, true, c.criteria, c.flightInfo),
  getFlightInfo: smallDef('GetFlightInfo', false, false, c.descriptor, c.flightInfo),
  pollFlightInfo: smallDef('PollFlightInfo', false, false, c.descriptor, c.pollInfo),
  getSchema: smallDef('GetSchema', false, false, c.descriptor, c.schemaResult),
  doAction: smallDef('DoAction', false, true, c.action, c.result),
  listActions: smallDef('ListActions', false, true, c.empty, c.actionType),
  /** DoGet with bodies landing in memory from `allocate` (default: fresh aligned ArrayBuffers). */
  doGet: (allocate: BodyAllocator = defaultBodyAllocator): MethodDef<Ticket, FlightData> => ({
    path: SERVICE + 'DoGet',
    requestStream: false,
    responseStream: true,
    requestSink: () => new SmallMessageSink(c.ticket.decode),
    encodeRequest: (t) => [c.ticket.encode(t)],
    responseSink: () => new FlightDataSink(allocate),
    encodeResponse: (d) => encodeFlightData(toOutgoing(d)),
  }),
  doPut: {
    path: SERVICE + 'DoPut',
    requestStream: true,
    responseStream: true,
    requestSink: () => outgoingSink(defaultBodyAllocator),
    encodeRequest: (d: OutgoingFlightData) => encodeFlightData(d),
    responseSink: () => new SmallMessageSink(c.putResult.decode),
    encodeResponse: (r: PutResult) => [c.putResult.encode(r)],
  } satisfies MethodDef<OutgoingFlightData, PutResult>,
  doExchange: {
    path: SERVICE + 'DoExchange',
    requestStream: true,
    responseStream: true,
    requestSink: () => outgoingSink(defaultBodyAllocator),
    encodeRequest: (d: OutgoingFlightData) => encodeFlightData(d),
    responseSink: () => new FlightDataSink(defaultBodyAllocator),
    encodeResponse: (d: FlightData) => encodeFlightData(toOutgoing(d)),
  } satisfies MethodDef<OutgoingFlightData, FlightData>,
};

/** Takes the single request of a unary-request call. */
async function single<T>(requests: AsyncIterable<T>): Promise<T> {
  for await (const request of requests) return request;
  throw new FlightError(Code.INTERNAL, 'expected exactly one request message, got none');
}

/** The handler of a unary-request, unary-response RPC. */
function unaryAnswer<Req, Res>(answer: (request: Req, ctx: CallContext) => Promise<Res>): BoundMethod<Req, Res>['handler'] {
  return async function* (requests, ctx) {
    yield await answer(await single(requests), ctx);
  };
}

/** The handler of a unary-request, streaming-response RPC. */
function streamingAnswer<Req, Res>(answer: (request: Req, ctx: CallContext) => AsyncIterable<Res>): BoundMethod<Req, Res>['handler'] {
  return async function* (requests, ctx) {
    yield* answer(await single(requests), ctx);
  };
}

/** Request message limits of the Flight RPCs, each checked on the gRPC length prefix. */
export interface FlightRequestLimits {
  /** DoPut and DoExchange: one FlightData, a whole record batch. */
  readonly data: MessageLimit;
  /**
   * GetFlightInfo, PollFlightInfo, GetSchema, DoAction and DoGet: commands, actions and tickets.
   * Handshake, ListFlights and ListActions, whose requests hold a payload, a name prefix or nothing,
   * get 1/64 of it.
   */
  readonly control: MessageLimit;
}

/** Erases a bound method's message types for the transport's method table. */
function bind<Req, Res>(def: MethodDef<Req, Res>, handler: BoundMethod<Req, Res>['handler'], requestLimit: MessageLimit): BoundMethod {
  return { def, handler, requestLimit } as unknown as BoundMethod;
}

/** The server side of a small-message method, its requests received into `memory`. */
function charged<Req, Res>(def: MethodDef<Req, Res>, req: Codec<Req>, memory: RequestMemory | undefined): MethodDef<Req, Res> {
  return { ...def, requestSink: () => new SmallMessageSink(req.decode, memory) };
}

/**
 * Binds a FlightService to the ten Flight RPCs for a GrpcServer, each with its request limit. With
 * `memory`, every request byte buffered before it is decoded (small messages, FlightData's header,
 * metadata and descriptor) is charged to it; FlightData bodies go to the service's bodyAllocator.
 */
export function bindFlightService(service: FlightService, limits: FlightRequestLimits, memory?: RequestMemory): BoundMethod[] {
  const f = flightClientMethods;
  const m = {
    handshake: charged(f.handshake, c.handshakeRequest, memory),
    listFlights: charged(f.listFlights, c.criteria, memory),
    getFlightInfo: charged(f.getFlightInfo, c.descriptor, memory),
    pollFlightInfo: charged(f.pollFlightInfo, c.descriptor, memory),
    getSchema: charged(f.getSchema, c.descriptor, memory),
    doAction: charged(f.doAction, c.action, memory),
    listActions: charged(f.listActions, c.empty, memory),
  };
  const { data, control } = limits;
  const tiny: MessageLimit = { bytes: Math.floor(control.bytes / 64), raisedBy: `1/64 of ${control.raisedBy}` };
  const doGet: MethodDef<Ticket, OutgoingFlightData> = {
    ...f.doGet(),
    requestSink: () => new SmallMessageSink(c.ticket.decode, memory),
    responseSink: () => outgoingSink(defaultBodyAllocator),
    encodeResponse: encodeFlightData,
  };
  const incoming = (ctx: CallContext): FlightDataSink => new FlightDataSink(service.bodyAllocator(ctx), undefined, memory);
  const doPut: MethodDef<FlightData, PutResult> = {
    ...f.doPut,
    requestSink: incoming,
    encodeRequest: (d) => encodeFlightData(toOutgoing(d)),
  };
  const doExchange: MethodDef<FlightData, OutgoingFlightData> = {
    ...f.doExchange,
    requestSink: incoming,
    encodeRequest: (d) => encodeFlightData(toOutgoing(d)),
    responseSink: () => outgoingSink(defaultBodyAllocator),
    encodeResponse: encodeFlightData,
  };
  return [
    bind(m.handshake, (reqs, ctx) => service.handshake(reqs, ctx), tiny),
    bind(m.listFlights, streamingAnswer((req, ctx) => service.listFlights(req, ctx)), tiny),
    bind(m.getFlightInfo, unaryAnswer((req, ctx) => service.getFlightInfo(req, ctx)), control),
    bind(m.pollFlightInfo, unaryAnswer((req, ctx) => service.pollFlightInfo(req, ctx)), control),
    bind(m.getSchema, unaryAnswer((req, ctx) => service.getSchema(req, ctx)), control),
    bind(doGet, streamingAnswer((req, ctx) => service.doGet(req, ctx)), control),
    bind(doPut, (reqs, ctx) => service.doPut(reqs, ctx), data),
    bind(doExchange, (reqs, ctx) => service.doExchange(reqs, ctx), data),
    bind(m.doAction, streamingAnswer((req, ctx) => service.doAction(req, ctx)), control),
    bind(m.listActions, streamingAnswer((_req, ctx) => service.listActions(ctx)), tiny),
  ];
}
