/** The loads a process runs: one at a time per dataset name, each cancellable, with its progress kept for `stats`. */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { LoadProgress } from './dataset-loader.js';
import { logEvent, silentLogger, type Logger } from '../logger.js';

/** How many finished loads `list` still shows. */
const RECENT = 8;

/** Progress of the loads running and of the last ones finished. */
export class LoadRegistry {
  readonly #active = new Map<string, { progress: LoadProgress; controller: AbortController }>();
  readonly #recent: LoadProgress[] = [];

  /** `logger` gets one line as each load starts and one as it ends. */
  constructor(private readonly logger: Logger = silentLogger) {}

  /** Runs `body` as the load of `name`; ALREADY_EXISTS while another load of that name runs. */
  async run<T>(name: string, source: string, body: (progress: LoadProgress, signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.#active.has(name)) throw new FlightError(Code.ALREADY_EXISTS, `a load of "${name}" is already running`);
    const progress: LoadProgress = { name, source, state: 'listing', files: 0, filesTotal: 0, rows: 0, bytes: 0, bytesTotal: 0 };
    const controller = new AbortController();
    this.#active.set(name, { progress, controller });
    const started = Date.now();
    logEvent(this.logger, 'info', 'load_started', { dataset: name, source }, 'load started');
    try {
      const result = await body(progress, controller.signal);
      const { rows, files, bytes } = progress;
      logEvent(this.logger, 'info', 'load_done', { dataset: name, source, rows, files, bytes, ms: Date.now() - started }, 'load done');
      return result;
    } catch (err) {
      const error = FlightError.from(err);
      logEvent(this.logger, 'warn', 'load_failed', { dataset: name, source, code: error.codeName, error: error.message, file: progress.file }, 'load failed');
      throw err;
    } finally {
      this.#active.delete(name);
      this.#recent.unshift(progress);
      this.#recent.length = Math.min(this.#recent.length, RECENT);
    }
  }

  /** Cancels the running load of `name`; false when there is none. */
  cancel(name: string): boolean {
    const load = this.#active.get(name);
    if (!load) return false;
    load.controller.abort();
    return true;
  }

  /** Running loads first, then the last finished, newest first (copies). */
  list(): LoadProgress[] {
    return [...[...this.#active.values()].map((l) => l.progress), ...this.#recent].map((p) => ({ ...p }));
  }
}
