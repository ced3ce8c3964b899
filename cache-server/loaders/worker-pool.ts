/**
 * Worker threads for one load, one per core by default: each starts from the module and setup it is
 * given and answers `ready`; `run` sends a request to the least busy worker and resolves with its
 * result. Requests and results move between threads by transfer, never by copy, where they hold
 * ArrayBuffers. `serveRequests` is the workers' side.
 */
import { availableParallelism } from 'node:os';
import { parentPort, Worker } from 'node:worker_threads';
import { Code, FlightError } from '../../client/src/flight/errors.js';

/** What a worker answers: started (with what it tells its pool), a request's result, or why it failed (id -1: it could not start). */
export type PoolReply<Ready, Result> =
  | { readonly kind: 'ready'; readonly ready: Ready }
  | { readonly kind: 'done'; readonly id: number; readonly result: Result }
  | { readonly kind: 'failed'; readonly id: number; readonly name: string; readonly message: string };

/** A request with the id its answer carries. */
export interface PoolRequest<Request> {
  readonly id: number;
  readonly request: Request;
}

/** A worker's error as its pool rejects with it: the thrown error's name and message, rebuilt. */
export class WorkerError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

interface Slot<Result> {
  readonly worker: Worker;
  readonly pending: Map<number, { resolve: (result: Result) => void; reject: (err: Error) => void }>;
}

/** A started pool of `size` workers running one module. */
export class WorkerPool<Request, Result, Ready> {
  #next = 0;
  #failure: FlightError | undefined;

  private constructor(
    private readonly slots: readonly Slot<Result>[],
    /** What the first worker answered when it started. */
    readonly ready: Ready,
    private readonly what: string,
  ) {}

  /**
   * Starts `workers` threads (default: one per core) of `module` with `setup` as their workerData;
   * a worker that cannot start rejects with a WorkerError of its message (`what` names the pool in crashes).
   */
  static async open<Request, Result, Ready>(module: URL, setup: unknown, what: string, workers = availableParallelism()): Promise<WorkerPool<Request, Result, Ready>> {
    const slots: Slot<Result>[] = [];
    const started = Array.from({ length: Math.max(1, workers) }, () => {
      const worker = new Worker(module, { workerData: setup });
      slots.push({ worker, pending: new Map() });
      return new Promise<Ready>((resolve, reject) => {
        worker.once('error', (err) => reject(new FlightError(Code.INTERNAL, `${what} worker failed: ${err.message}`)));
        worker.once('message', (reply: PoolReply<Ready, Result>) => {
          if (reply.kind === 'ready') resolve(reply.ready);
          else reject(new WorkerError(reply.kind === 'failed' ? reply.name : 'Error', reply.kind === 'failed' ? reply.message : 'no answer'));
        });
      });
    });
    let ready: Ready;
    try {
      ready = (await Promise.all(started))[0]!;
    } catch (err) {
      await Promise.all(slots.map((s) => s.worker.terminate()));
      throw err;
    }
    const pool = new WorkerPool<Request, Result, Ready>(slots, ready, what);
    for (const slot of slots) pool.#listen(slot);
    return pool;
  }

  #listen(slot: Slot<Result>): void {
    slot.worker.on('message', (reply: PoolReply<Ready, Result>) => {
      if (reply.kind === 'ready') return;
      const waiter = slot.pending.get(reply.id);
      if (!waiter) return;
      slot.pending.delete(reply.id);
      if (reply.kind === 'done') waiter.resolve(reply.result);
      else waiter.reject(new WorkerError(reply.name, reply.message));
    });
    slot.worker.on('error', (err) => {
      this.#failure = new FlightError(Code.INTERNAL, `${this.what} worker failed: ${err.message}`, { cause: err });
      for (const waiter of slot.pending.values()) waiter.reject(this.#failure);
      slot.pending.clear();
    });
  }

  /** The result of `request` from the worker with the fewest requests waiting; `transfer` moves to it. */
  run(request: Request, transfer: readonly ArrayBuffer[] = []): Promise<Result> {
    if (this.#failure) return Promise.reject(this.#failure);
    const slot = this.slots.reduce((best, s) => (s.pending.size < best.pending.size ? s : best));
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, request } satisfies PoolRequest<Request>, [...transfer]);
    });
  }

  /** How many threads run. */
  get size(): number {
    return this.slots.length;
  }

  /** Stops every worker (requests still running are dropped). */
  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

/**
 * The worker's side: answers `ready` with what `start` returns (or the error it throws), then runs
 * `handle` on each request as it comes and sends back its result, transferring `transfer`.
 */
export function serveRequests<Request, Result, Ready, State>(
  start: () => { state: State; ready: Ready },
  handle: (state: State, request: Request) => Promise<{ result: Result; transfer?: ArrayBuffer[] }>,
): void {
  const port = parentPort!;
  const failed = (id: number, err: unknown): PoolReply<Ready, Result> => ({
    kind: 'failed',
    id,
    name: err instanceof Error ? err.name : 'Error',
    message: err instanceof Error ? err.message : String(err),
  });
  let state: State;
  try {
    const started = start();
    state = started.state;
    port.postMessage({ kind: 'ready', ready: started.ready } satisfies PoolReply<Ready, Result>);
  } catch (err) {
    port.postMessage(failed(-1, err));
    return;
  }
  port.on('message', ({ id, request }: PoolRequest<Request>) => {
    handle(state, request).then(
      ({ result, transfer }) => port.postMessage({ kind: 'done', id, result } satisfies PoolReply<Ready, Result>, transfer ?? []),
      (err: unknown) => port.postMessage(failed(id, err)),
    );
  });
}
