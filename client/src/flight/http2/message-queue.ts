/**
 * The single-consumer async iterable between a decoding http2 stream and the code that reads its
 * messages (a server handler's requests, a client's responses). It applies backpressure: when more
 * than `maxMessages` messages or `maxBytes` bytes wait unconsumed, it pauses the stream, which stops
 * HTTP/2 WINDOW_UPDATEs and so stops the peer once the flow-control window is full.
 */
import { Code, FlightError } from '../errors.js';

/** What the queue pauses and resumes (an http2 stream). */
export interface FlowControl {
  pause(): void;
  resume(): void;
}

/** Limits of unconsumed messages before the stream is paused. */
export interface QueueLimits {
  maxMessages: number;
  maxBytes: number;
}

/** Up to 32 messages or 16 MiB wait for the consumer; a single larger message still gets through. */
export const DEFAULT_QUEUE_LIMITS: QueueLimits = { maxMessages: 32, maxBytes: 16 * 1024 * 1024 };

interface Waiter<T> {
  resolve(result: IteratorResult<T>): void;
  reject(err: FlightError): void;
}

/** A queue of decoded messages, iterable once, that ends normally or with a FlightError. */
export class MessageQueue<T> implements AsyncIterable<T> {
  private readonly items: Array<{ value: T; bytes: number }> = [];
  private queuedBytes = 0;
  private paused = false;
  private ended = false;
  private stopped = false;
  private error: FlightError | undefined;
  private waiter: Waiter<T> | undefined;
  private iterated = false;

  /**
   * @param flow the stream to pause and resume.
   * @param onStop called when the consumer stops early (break / return()), so the owner can cancel.
   */
  constructor(
    private readonly flow: FlowControl,
    private readonly limits: QueueLimits = DEFAULT_QUEUE_LIMITS,
    private readonly onStop?: () => void,
  ) {}

  /** True once the consumer stopped or the queue ended or failed: further pushes are dropped. */
  get closed(): boolean {
    return this.stopped || this.ended || this.error !== undefined;
  }

  /** Adds a decoded message of `bytes` wire bytes. */
  push(value: T, bytes: number): void {
    if (this.closed) return;
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter.resolve({ value, done: false });
      return;
    }
    this.items.push({ value, bytes });
    this.queuedBytes += bytes;
    if (!this.paused && (this.items.length > this.limits.maxMessages || this.queuedBytes > this.limits.maxBytes)) {
      this.paused = true;
      this.flow.pause();
    }
  }

  /** Ends the queue normally: the consumer gets the queued messages, then done. */
  end(): void {
    if (this.closed) return;
    this.ended = true;
    this.wake();
  }

  /** Ends the queue with an error; `discard` drops queued messages so the consumer sees the error next. */
  fail(err: FlightError, discard: boolean): void {
    if (this.closed) return;
    this.error = err;
    if (discard) this.clear();
    this.wake();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.iterated) throw new FlightError(Code.FAILED_PRECONDITION, 'a message stream can be iterated only once');
    this.iterated = true;
    return {
      next: () => this.next(),
      return: async (): Promise<IteratorResult<T>> => {
        const wasOpen = !this.closed;
        this.discard();
        if (wasOpen) this.onStop?.();
        return { value: undefined, done: true };
      },
    };
  }

  private next(): Promise<IteratorResult<T>> {
    const item = this.items.shift();
    if (item) {
      this.queuedBytes -= item.bytes;
      if (this.paused && this.items.length <= this.limits.maxMessages && this.queuedBytes <= this.limits.maxBytes) {
        this.paused = false;
        this.flow.resume();
      }
      return Promise.resolve({ value: item.value, done: false });
    }
    if (this.error) return Promise.reject(this.error);
    if (this.ended || this.stopped) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Drops queued messages, ignores further ones and lets the stream flow (its data is discarded). */
  discard(): void {
    this.stopped = true;
    this.clear();
    this.wake();
  }

  private clear(): void {
    this.items.length = 0;
    this.queuedBytes = 0;
    if (this.paused) {
      this.paused = false;
      this.flow.resume();
    }
  }

  private wake(): void {
    if (!this.waiter || this.items.length > 0) return;
    const waiter = this.waiter;
    this.waiter = undefined;
    if (this.error) waiter.reject(this.error);
    else waiter.resolve({ value: undefined, done: true });
  }
}
