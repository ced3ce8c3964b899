/**
 * The fuzzing loop: starting from a target's seeds and corpus, mutate corpus entries and keep each
 * mutant that reaches a block or block-count bucket no input reached before (coverage.ts); an input
 * that makes the target throw anything but FlightError is a crash.
 */
import { CoverageTracker } from './coverage.js';
import { Random, mutate } from './mutate.js';
import { crashOf, type FuzzTarget } from './targets.js';

/** Inputs are cut to this length: the entry points' size limits are checked before parsing. */
export const MAX_INPUT_BYTES = 4096;

/** A crash: the input and what it threw. */
export interface Crash {
  /** The error's name, message and top stack frame: crashes with the same one count once. */
  where: string;
  input: Uint8Array;
}

/** What one fuzzing run of a target did. */
export interface FuzzReport {
  target: string;
  execs: number;
  /** Inputs kept (seeds and corpus included). */
  corpus: number;
  /** Mutants kept for new coverage, in the order found. */
  added: Uint8Array[];
  features: number;
  crashes: Crash[];
}

/** When a run stops: at a time (ms since the epoch) or after a number of executions; with stopAtCrash, at the first crash too. */
export type FuzzBudget = ({ deadline: number } | { execs: number }) & { stopAtCrash?: boolean };

/** Fuzzes `target` from `initial` inputs within `budget`, with coverage of the scripts `tracker` watches. */
export function fuzz(target: FuzzTarget, initial: readonly Uint8Array[], tracker: CoverageTracker, rng: Random, budget: FuzzBudget): FuzzReport {
  const seen = new Set<string>();
  const corpus: Uint8Array[] = [];
  const crashes = new Map<string, Crash>();
  const added: Uint8Array[] = [];
  let execs = 0;
  const runOne = (data: Uint8Array): boolean => {
    // Counters were reset by the previous take; the mutator runs outside the watched scripts.
    const crash = crashOf(target, data);
    const features = tracker.take();
    execs++;
    if (crash) {
      const where = `${crash.name}: ${crash.message.slice(0, 160)} @ ${(crash.stack ?? '').split('\n')[1]?.trim() ?? '?'}`;
      if (!crashes.has(where)) crashes.set(where, { where, input: data });
      return false;
    }
    let fresh = false;
    for (const feature of features) {
      if (seen.has(feature)) continue;
      seen.add(feature);
      fresh = true;
    }
    return fresh;
  };
  tracker.take();
  for (const data of initial) {
    runOne(data);
    corpus.push(data);
  }
  const more = (): boolean =>
    !(budget.stopAtCrash && crashes.size > 0) && ('deadline' in budget ? Date.now() < budget.deadline : execs < budget.execs);
  while (more() && corpus.length > 0) {
    const mutant = mutate(rng.pick(corpus), rng, rng.pick(corpus), target.tokens, MAX_INPUT_BYTES);
    if (runOne(mutant)) {
      corpus.push(mutant);
      added.push(mutant);
    }
  }
  return { target: target.name, execs, corpus: corpus.length, added, features: seen.size, crashes: [...crashes.values()] };
}
