import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Code, FlightError } from '../errors.js';
import { MessageQueue } from './message-queue.js';

/** Records pause/resume calls. */
function recorder(): { events: string[]; pause(): void; resume(): void } {
  const events: string[] = [];
  return { events, pause: () => events.push('pause'), resume: () => events.push('resume') };
}

/** Collects what an iterable yields, or the error it ends with. */
async function drain<T>(iterable: AsyncIterable<T>): Promise<{ values: T[]; error?: unknown }> {
  const values: T[] = [];
  try {
    for await (const value of iterable) values.push(value);
    return { values };
  } catch (error) {
    return { values, error };
  }
}

describe('MessageQueue', () => {
  it('pauses the stream past the message limit and resumes once back within it', async () => {
    const flow = recorder();
    const queue = new MessageQueue<number>(flow, { maxMessages: 2, maxBytes: 1000 });
    for (const n of [1, 2, 3]) queue.push(n, 1);
    assert.deepEqual(flow.events, ['pause']);
    const iterator = queue[Symbol.asyncIterator]();
    assert.deepEqual(await iterator.next(), { value: 1, done: false });
    assert.deepEqual(flow.events, ['pause', 'resume']);
  });

  it('pauses past the byte limit but still lets a single large message through', async () => {
    const flow = recorder();
    const queue = new MessageQueue<string>(flow, { maxMessages: 10, maxBytes: 100 });
    queue.push('big', 500);
    assert.deepEqual(flow.events, ['pause']);
    queue.end();
    assert.deepEqual(await drain(queue), { values: ['big'] });
    assert.deepEqual(flow.events, ['pause', 'resume']);
  });

  it('hands a message straight to a waiting consumer without queueing', async () => {
    const flow = recorder();
    const queue = new MessageQueue<number>(flow, { maxMessages: 0, maxBytes: 0 });
    const iterator = queue[Symbol.asyncIterator]();
    const next = iterator.next();
    queue.push(7, 10);
    assert.deepEqual(await next, { value: 7, done: false });
    assert.deepEqual(flow.events, []);
  });

  it('delivers queued messages before the error of fail(err, false)', async () => {
    const queue = new MessageQueue<number>(recorder());
    const err = new FlightError(Code.NOT_FOUND, 'gone');
    queue.push(1, 1);
    queue.fail(err, false);
    assert.deepEqual(await drain(queue), { values: [1], error: err });
  });

  it('drops queued messages on fail(err, true)', async () => {
    const queue = new MessageQueue<number>(recorder());
    const err = new FlightError(Code.CANCELLED, 'stop');
    queue.push(1, 1);
    queue.fail(err, true);
    assert.deepEqual(await drain(queue), { values: [], error: err });
  });

  it('tells its owner when the consumer stops early and ignores later messages', async () => {
    let stops = 0;
    const flow = recorder();
    const queue = new MessageQueue<number>(flow, { maxMessages: 1, maxBytes: 100 }, () => stops++);
    queue.push(1, 1);
    queue.push(2, 1);
    for await (const value of queue) {
      assert.equal(value, 1);
      break;
    }
    queue.push(3, 1);
    assert.equal(stops, 1);
    assert.equal(queue.closed, true);
    assert.deepEqual(flow.events, ['pause', 'resume']);
  });

  it('does not report a stop after the queue already ended', async () => {
    let stops = 0;
    const queue = new MessageQueue<number>(recorder(), undefined, () => stops++);
    queue.push(1, 1);
    queue.end();
    for await (const value of queue) {
      assert.equal(value, 1);
      break;
    }
    assert.equal(stops, 0);
  });

  it('can be iterated only once', () => {
    const queue = new MessageQueue<number>(recorder());
    queue[Symbol.asyncIterator]();
    assert.throws(() => queue[Symbol.asyncIterator](), /can be iterated only once/);
  });
});
