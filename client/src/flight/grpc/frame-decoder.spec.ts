import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Code, FlightError } from '../errors.js';
import { FrameDecoder } from './frame-decoder.js';
import { frameMessage } from './frame-encoder.js';
import type { MessageSink } from './method.js';

/** A sink that records the slices it was given and returns their concatenation. */
class RecordingSink implements MessageSink<Uint8Array> {
  readonly slices: Uint8Array[] = [];
  length = -1;

  begin(length: number): void {
    this.length = length;
  }

  push(slice: Uint8Array): void {
    this.slices.push(slice);
  }

  end(): Uint8Array {
    return Buffer.concat(this.slices);
  }
}

/** Frames messages and concatenates them into one wire body. */
function wire(messages: readonly Uint8Array[]): Buffer {
  return Buffer.concat(messages.flatMap((m) => frameMessage([m])));
}

/** Splits bytes at the given (sorted, deduplicated) cut points. */
function split(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    pieces.push(bytes.subarray(start, point));
    start = point;
  }
  return pieces;
}

/** Decodes the given chunks and returns the messages. */
function decodeAll(chunks: readonly Uint8Array[], max?: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const decoder = new FrameDecoder(() => new RecordingSink(), (m) => out.push(m), max);
  for (const chunk of chunks) decoder.push(chunk);
  decoder.finish();
  return out;
}

/** Runs fn and returns the FlightError it throws. */
function thrown(fn: () => void): FlightError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FlightError, `expected a FlightError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an error');
}

describe('FrameDecoder', () => {
  it('decodes any split of a sequence of framed messages into the same messages', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (messages, cuts) => {
          const decoded = decodeAll(split(wire(messages), cuts));
          assert.deepEqual(decoded.map((m) => Buffer.from(m)), messages.map((m) => Buffer.from(m)));
        },
      ),
    );
  });

  it('hands the sink subarrays of the incoming chunks rather than copies', () => {
    const body = wire([new Uint8Array([1, 2, 3, 4, 5, 6])]);
    const chunks = [body.subarray(0, 7), body.subarray(7)];
    const sinks: RecordingSink[] = [];
    const decoder = new FrameDecoder(
      () => {
        const sink = new RecordingSink();
        sinks.push(sink);
        return sink;
      },
      () => undefined,
    );
    for (const chunk of chunks) decoder.push(chunk);
    assert.equal(sinks.length, 1);
    assert.equal(sinks[0]!.length, 6);
    assert.deepEqual(
      sinks[0]!.slices.map((s) => [s.buffer === body.buffer, s.byteOffset - body.byteOffset, s.length]),
      [
        [true, 5, 2],
        [true, 7, 4],
      ],
    );
  });

  it('reports each message with its wire length', () => {
    const lengths: number[] = [];
    const decoder = new FrameDecoder(() => new RecordingSink(), (_m, length) => lengths.push(length));
    decoder.push(wire([new Uint8Array(0), new Uint8Array(3), new Uint8Array(70000)]));
    assert.deepEqual(lengths, [0, 3, 70000]);
  });

  it('rejects compressed messages with INTERNAL', () => {
    const err = thrown(() => decodeAll([Buffer.from([1, 0, 0, 0, 1, 42])]));
    assert.equal(err.code, Code.INTERNAL);
    assert.equal(err.message, 'compressed gRPC messages are not supported (no grpc-encoding was negotiated)');
  });

  it('rejects an unknown compressed flag with INTERNAL', () => {
    const err = thrown(() => decodeAll([Buffer.from([2, 0, 0, 0, 0])]));
    assert.equal(err.code, Code.INTERNAL);
    assert.equal(err.message, 'malformed gRPC message prefix: compressed flag is 2');
  });

  it('rejects a message above the limit with RESOURCE_EXHAUSTED naming both sizes', () => {
    const err = thrown(() => decodeAll([Buffer.from([0, 0xff, 0xff, 0xff, 0xff])], 1024));
    assert.equal(err.code, Code.RESOURCE_EXHAUSTED);
    assert.equal(err.message, 'gRPC message of 4294967295 bytes exceeds the maximum message size of 1024 bytes');
  });

  it('accepts a message of exactly the limit', () => {
    assert.deepEqual(decodeAll([wire([Buffer.alloc(16, 9)])], 16), [Buffer.alloc(16, 9)]);
  });

  it('rejects a body that ends in the middle of a message with INTERNAL', () => {
    const body = wire([new Uint8Array(10)]);
    const err = thrown(() => decodeAll([body.subarray(0, 8)]));
    assert.equal(err.code, Code.INTERNAL);
    assert.equal(err.message, 'stream ended in the middle of a message: received 3 of 10 bytes');
  });

  it('rejects a body that ends inside a prefix with INTERNAL', () => {
    const err = thrown(() => decodeAll([Buffer.from([0, 0])]));
    assert.equal(err.code, Code.INTERNAL);
    assert.equal(err.message, 'stream ended inside a message prefix: received 2 of 5 bytes');
  });

  it('propagates a sink error and stays failed afterwards', () => {
    const decoder = new FrameDecoder<Uint8Array>(
      () => ({
        begin: () => {
          throw new FlightError(Code.RESOURCE_EXHAUSTED, 'no memory for this message');
        },
        push: () => undefined,
        end: () => new Uint8Array(0),
      }),
      () => undefined,
    );
    const first = thrown(() => decoder.push(wire([new Uint8Array(4)])));
    assert.equal(first.toString(), 'RESOURCE_EXHAUSTED: no memory for this message');
    assert.equal(thrown(() => decoder.push(new Uint8Array(1))), first);
    assert.equal(thrown(() => decoder.finish()), first);
  });
  it('names what raises the limit when it was given a note', () => {
    const decoder = new FrameDecoder(() => new RecordingSink(), () => undefined, 4, 'Echo requests are limited by --max-request');
    assert.throws(() => decoder.push(wire([new Uint8Array(5)])), {
      code: Code.RESOURCE_EXHAUSTED,
      message: 'gRPC message of 5 bytes exceeds the maximum message size of 4 bytes: Echo requests are limited by --max-request',
    });
  });

  it('discard lets the sink of a half-received message go, once, and nothing after it is decoded', () => {
    const discarded: number[] = [];
    class DiscardingSink extends RecordingSink {
      discard(): void {
        discarded.push(this.length);
      }
    }
    const messages: Uint8Array[] = [];
    const decoder = new FrameDecoder(() => new DiscardingSink(), (m) => messages.push(m));
    const body = wire([Buffer.from('done'), Buffer.from('half-way')]);
    decoder.push(body.subarray(0, body.length - 3));
    decoder.discard();
    decoder.discard();
    assert.deepEqual(discarded, [8]);
    assert.deepEqual(messages.map(String), ['done']);
    assert.throws(() => decoder.push(body.subarray(body.length - 3)), { code: Code.CANCELLED, message: 'message decoding stopped' });
  });

  it('discard between messages has no sink to let go', () => {
    let discards = 0;
    const decoder = new FrameDecoder(() => Object.assign(new RecordingSink(), { discard: () => discards++ }), () => undefined);
    decoder.push(wire([Buffer.from('whole')]));
    decoder.discard();
    assert.equal(discards, 0);
  });
});
