/** Test helpers for a real API server: polling until it shows what a test waits for, and its error messages. */

/** Resolves with the first defined result of `probe` (errors count as not yet), or fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The message of an API server's error response (the Status body), else the error as text. */
export function errorMessage(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  return typeof body === 'string' ? (JSON.parse(body) as { message: string }).message : String(err);
}

/** Resolves once `read` fails with 404 (the object is gone), or fails after `timeoutMs` naming `what`. */
export function waitGone(what: string, read: () => Promise<unknown>, timeoutMs?: number): Promise<true> {
  return waitFor(
    what,
    async () => {
      try {
        await read();
        return undefined;
      } catch (err) {
        return (err as { code?: number }).code === 404 ? true : undefined;
      }
    },
    timeoutMs,
  );
}
