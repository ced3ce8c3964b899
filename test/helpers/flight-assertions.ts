/** Assertions shared by the Flight layer's specs. */
import assert from 'node:assert/strict';
import { FlightError, type Code } from '../../client/src/flight/errors.js';

/** Collects all items of an async iterable. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Awaits a promise that must reject with a FlightError, and returns that error. */
export async function failure(promise: Promise<unknown>): Promise<FlightError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof FlightError, `expected a FlightError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

/** Runs `run`, which must throw a FlightError, and returns its code and message. */
export function errorOf(run: () => unknown): { code: Code; message: string } {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof FlightError, `expected a FlightError, got ${String(err)}`);
    return { code: err.code, message: err.message };
  }
  assert.fail('expected an error');
}
