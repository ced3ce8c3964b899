/**
 * Splits a gRPC request/response body into messages. Each message is a 5-byte prefix (compressed flag,
 * uint32 big-endian length) followed by `length` bytes. The decoder is a state machine over the DATA
 * chunks as they arrive: message bytes go to a MessageSink as subarrays of those chunks, never copied
 * here (the sink copies once into memory it owns). Only a prefix split across chunks is buffered.
 */
import { Code, FlightError } from '../errors.js';
import type { MessageSink } from './method.js';

/** Length of the gRPC message prefix. */
export const PREFIX_BYTES = 5;

/** Largest message accepted by default: 2 GiB - 1, the most a Node Buffer or protobuf bytes field holds. */
export const DEFAULT_MAX_MESSAGE_BYTES = 2 ** 31 - 1;

const enum State {
  Prefix,
  Body,
  Failed,
}

/** Decodes length-prefixed gRPC messages from consecutive body chunks. */
export class FrameDecoder<T> {
  private state = State.Prefix;
  private readonly prefix = new Uint8Array(PREFIX_BYTES);
  private prefixFill = 0;
  private sink: MessageSink<T> | undefined;
  private length = 0;
  private remaining = 0;
  private failure: FlightError | undefined;

  /**
   * @param newSink creates the sink for the next message.
   * @param onMessage receives each decoded message with its length on the wire (without prefix).
   * @param maxMessageBytes messages longer than this fail with RESOURCE_EXHAUSTED before any byte is sunk.
   * @param limitNote appended to that refusal: which limit applies and what raises it.
   */
  constructor(
    private readonly newSink: () => MessageSink<T>,
    private readonly onMessage: (message: T, length: number) => void,
    private readonly maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
    private readonly limitNote?: string,
  ) {}

  /** Feeds one chunk; throws a FlightError for malformed input, after which the decoder stays failed. */
  push(chunk: Uint8Array): void {
    if (this.failure) throw this.failure;
    try {
      this.consume(chunk);
    } catch (err) {
      this.state = State.Failed;
      this.failure = FlightError.from(err);
      throw this.failure;
    }
  }

  /** Stops decoding for good: a message still being received is discarded by its sink. */
  discard(): void {
    const sink = this.sink;
    this.sink = undefined;
    this.state = State.Failed;
    this.failure ??= new FlightError(Code.CANCELLED, 'message decoding stopped');
    sink?.discard?.();
  }

  /** Declares the end of the body; throws INTERNAL if it ended inside a message. */
  finish(): void {
    if (this.failure) throw this.failure;
    if (this.state === State.Body) {
      this.state = State.Failed;
      this.failure = new FlightError(
        Code.INTERNAL,
        `stream ended in the middle of a message: received ${this.length - this.remaining} of ${this.length} bytes`,
      );
      throw this.failure;
    }
    if (this.prefixFill > 0) {
      this.state = State.Failed;
      this.failure = new FlightError(
        Code.INTERNAL,
        `stream ended inside a message prefix: received ${this.prefixFill} of ${PREFIX_BYTES} bytes`,
      );
      throw this.failure;
    }
  }

  private consume(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.state === State.Prefix) {
        if (this.prefixFill === 0 && chunk.length - offset >= PREFIX_BYTES) {
          this.startMessage(chunk, offset);
          offset += PREFIX_BYTES;
        } else {
          const n = Math.min(PREFIX_BYTES - this.prefixFill, chunk.length - offset);
          this.prefix.set(chunk.subarray(offset, offset + n), this.prefixFill);
          this.prefixFill += n;
          offset += n;
          if (this.prefixFill === PREFIX_BYTES) {
            this.prefixFill = 0;
            this.startMessage(this.prefix, 0);
          }
        }
      } else {
        const n = Math.min(this.remaining, chunk.length - offset);
        this.sink!.push(chunk.subarray(offset, offset + n));
        offset += n;
        this.remaining -= n;
        if (this.remaining === 0) this.endMessage();
      }
    }
  }

  /** Validates a complete prefix at `bytes[at..at+5)` and opens the message's sink. */
  private startMessage(bytes: Uint8Array, at: number): void {
    const flag = bytes[at]!;
    if (flag === 1) {
      throw new FlightError(Code.INTERNAL, 'compressed gRPC messages are not supported (no grpc-encoding was negotiated)');
    }
    if (flag !== 0) throw new FlightError(Code.INTERNAL, `malformed gRPC message prefix: compressed flag is ${flag}`);
    const length = ((bytes[at + 1]! << 24) >>> 0) + (bytes[at + 2]! << 16) + (bytes[at + 3]! << 8) + bytes[at + 4]!;
    if (length > this.maxMessageBytes) {
      throw new FlightError(
        Code.RESOURCE_EXHAUSTED,
        `gRPC message of ${length} bytes exceeds the maximum message size of ${this.maxMessageBytes} bytes` +
          (this.limitNote === undefined ? '' : `: ${this.limitNote}`),
      );
    }
    this.length = length;
    this.remaining = length;
    this.sink = this.newSink();
    this.sink.begin(length);
    if (length === 0) this.endMessage();
    else this.state = State.Body;
  }

  private endMessage(): void {
    const sink = this.sink!;
    this.sink = undefined;
    this.state = State.Prefix;
    this.onMessage(sink.end(), this.length);
  }
}
