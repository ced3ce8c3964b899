/**
 * Coverage feedback for the fuzzer from V8's precise block coverage (node:inspector, same thread):
 * after each input, the blocks of the project's compiled code, with their counts bucketed as AFL
 * does, become feature strings; an input that shows a feature never seen is kept.
 */
import { Session } from 'node:inspector';

interface CoverageRange {
  startOffset: number;
  endOffset: number;
  count: number;
}

interface ScriptCoverage {
  url: string;
  functions: { ranges: CoverageRange[] }[];
}

/** AFL-style count buckets: 0, 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+. */
function bucket(count: number): number {
  if (count <= 3) return count;
  if (count < 8) return 4;
  if (count < 16) return 8;
  if (count < 32) return 16;
  return count < 128 ? 32 : 128;
}

/** Block coverage of the scripts whose URL contains `scope`, taken (and reset) after each input. */
export class CoverageTracker {
  readonly #session = new Session();

  constructor(private readonly scope: string) {
    this.#session.connect();
    this.post('Profiler.enable');
    this.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
    this.post('Profiler.takePreciseCoverage');
  }

  /** The features of everything that ran since the last call. */
  take(): Set<string> {
    const { result } = this.post('Profiler.takePreciseCoverage') as { result: ScriptCoverage[] };
    const features = new Set<string>();
    for (const script of result) {
      if (!script.url.includes(this.scope)) continue;
      for (const fn of script.functions) {
        // V8 reports a block only where its count differs from the enclosing one: a block that did
        // not run shows as a range with count 0, so the zeros are features too.
        for (const range of fn.ranges) features.add(`${script.url}:${range.startOffset}:${bucket(range.count)}`);
      }
    }
    return features;
  }

  close(): void {
    this.post('Profiler.stopPreciseCoverage');
    this.#session.disconnect();
  }

  /** Runs an inspector command; a same-thread session answers before post returns. */
  private post(method: string, params?: object): unknown {
    let answered = false;
    let failure: Error | null = null;
    let value: unknown;
    this.#session.post(method, params, (err: Error | null, result?: unknown) => {
      answered = true;
      failure = err;
      value = result;
    });
    if (!answered) throw new Error(`inspector ${method} did not answer synchronously`);
    if (failure) throw failure;
    return value;
  }
}
