/** The contract between bench/run.ts and the suites in bench/suites/. */

/** Options every suite receives from the command line. */
export interface SuiteOptions {
  /** Smaller data and fewer runs, for a fast sanity pass. */
  quick: boolean;
  /** Measure only this server (e.g. "pyarrow"); undefined measures all the suite knows. */
  only: string | undefined;
  /** Overrides the suite's number of measured runs. */
  runs: number | undefined;
}

/** What a suite hands back: a printable report and the data written by --json. */
export interface SuiteOutput {
  text: string;
  data: Record<string, unknown>;
}

/** A benchmark suite. */
export type Suite = (options: SuiteOptions) => Promise<SuiteOutput>;
