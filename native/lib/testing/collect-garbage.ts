/**
 * Test support: a full garbage collection without starting node with --expose-gc, followed by the
 * event-loop turns on which Node runs the finalizers of collected external ArrayBuffers.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/** Collects garbage `rounds` times, letting queued finalizers run after each. */
export async function collectGarbage(rounds = 2): Promise<void> {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  for (let i = 0; i < rounds; i++) {
    gc();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
