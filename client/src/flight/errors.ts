/**
 * The one error type of flightcache. Every failure that reaches a client carries a gRPC status code;
 * the mapping to wire trailers lives in flight/grpc/status.ts and nowhere else.
 */

/** gRPC status codes (the Flight spec's FlightStatusCode values map onto these). */
export enum Code {
  OK = 0,
  CANCELLED = 1,
  UNKNOWN = 2,
  INVALID_ARGUMENT = 3,
  DEADLINE_EXCEEDED = 4,
  NOT_FOUND = 5,
  ALREADY_EXISTS = 6,
  PERMISSION_DENIED = 7,
  RESOURCE_EXHAUSTED = 8,
  FAILED_PRECONDITION = 9,
  ABORTED = 10,
  OUT_OF_RANGE = 11,
  UNIMPLEMENTED = 12,
  INTERNAL = 13,
  UNAVAILABLE = 14,
  DATA_LOSS = 15,
  UNAUTHENTICATED = 16,
}

/** An error with a gRPC status code, a human message, an optional cause and optional trailing metadata. */
export class FlightError extends Error {
  override readonly name = 'FlightError';

  constructor(
    readonly code: Code,
    message: string,
    options: { cause?: unknown; metadata?: Record<string, string | Buffer> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.metadata = options.metadata ?? {};
  }

  readonly metadata: Record<string, string | Buffer>;

  /** Wraps anything thrown into a FlightError, keeping FlightErrors as they are. */
  static from(err: unknown, fallback: Code = Code.INTERNAL): FlightError {
    if (err instanceof FlightError) return err;
    if (err instanceof Error) return new FlightError(fallback, err.message, { cause: err });
    return new FlightError(fallback, String(err));
  }

  /** The status code's canonical name, e.g. NOT_FOUND. */
  get codeName(): string {
    return Code[this.code] ?? `CODE_${this.code}`;
  }

  override toString(): string {
    return `${this.codeName}: ${this.message}`;
  }
}
