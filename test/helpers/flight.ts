/** Assertions and builders shared by the tests that drive a cache node with our client. */
import assert from 'node:assert/strict';
import { cmdDescriptor } from '../../client/src/flight-client.js';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { FlightDescriptor } from '../../client/src/flight/protocol/messages.js';

/** Asserts that a promise rejects with a FlightError of that code and message (exact, or matching). */
export async function rejectsWith(promise: Promise<unknown>, code: Code, message: string | RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof FlightError, `expected FlightError, got ${String(err)}`);
    assert.equal(err.codeName, Code[code]);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

/** A CMD descriptor holding a JSON command. */
export function jsonCommand(value: unknown): FlightDescriptor {
  return cmdDescriptor(JSON.stringify(value));
}

/** Drains an async iterable into an array. */
export async function drain<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
