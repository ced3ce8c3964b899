/**
 * Plain TypeScript shapes of the Arrow Flight protobuf messages (arrow.flight.protocol). Field numbers
 * are in codec.ts; these types carry no wire knowledge. Byte fields are Uint8Array views that may
 * alias the receive buffer: copy them if you keep them past the call.
 */

export enum DescriptorType {
  UNKNOWN = 0,
  PATH = 1,
  CMD = 2,
}

export interface FlightDescriptor {
  type: DescriptorType;
  cmd: Uint8Array;
  path: string[];
}

export interface Location {
  uri: string;
}

export interface Ticket {
  ticket: Uint8Array;
}

/** google.protobuf.Timestamp as milliseconds since the epoch is too coarse for Flight: keep both parts. */
export interface Timestamp {
  seconds: bigint;
  nanos: number;
}

export interface FlightEndpoint {
  ticket: Ticket;
  locations: Location[];
  expirationTime?: Timestamp;
  appMetadata: Uint8Array;
}

export interface FlightInfo {
  /** An encapsulated IPC Schema message (continuation marker, length, flatbuffer, padding). */
  schema: Uint8Array;
  flightDescriptor?: FlightDescriptor;
  endpoints: FlightEndpoint[];
  /** -1 when unknown. */
  totalRecords: bigint;
  /** -1 when unknown. */
  totalBytes: bigint;
  ordered: boolean;
  appMetadata: Uint8Array;
}

export interface PollInfo {
  info?: FlightInfo;
  flightDescriptor?: FlightDescriptor;
  progress?: number;
  expirationTime?: Timestamp;
}

export interface SchemaResult {
  /** An encapsulated IPC Schema message. */
  schema: Uint8Array;
}

export interface Criteria {
  expression: Uint8Array;
}

export interface Action {
  type: string;
  body: Uint8Array;
}

export interface ActionType {
  type: string;
  description: string;
}

export interface Result {
  body: Uint8Array;
}

export interface PutResult {
  appMetadata: Uint8Array;
}

export interface HandshakeRequest {
  protocolVersion: bigint;
  payload: Uint8Array;
}

export interface HandshakeResponse {
  protocolVersion: bigint;
  payload: Uint8Array;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the protobuf message Empty, which has no fields
export interface Empty {}

/**
 * A FlightData message as received. `dataHeader` is the raw flatbuffer Message (no continuation
 * marker or length prefix); `dataBody` starts at an 8-byte-aligned address (64 when the receiver's
 * allocator gives 64).
 */
export interface FlightData {
  flightDescriptor?: FlightDescriptor;
  dataHeader: Uint8Array;
  appMetadata: Uint8Array;
  dataBody: Uint8Array;
}

/**
 * A FlightData message to send. The body is a list of chunks written in order without being
 * concatenated, so stored Arrow buffers go to the socket as they are.
 */
export interface OutgoingFlightData {
  flightDescriptor?: FlightDescriptor;
  dataHeader: Uint8Array;
  appMetadata?: Uint8Array;
  body: readonly Uint8Array[];
  /** Sum of the chunk lengths (the data_body field length). */
  bodyLength: number;
}
