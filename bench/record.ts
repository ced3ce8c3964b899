/** The envelope bench/run.ts wraps around every suite's data before writing it with --json. */
import type { MachineInfo } from './machine.js';
import type { LoadAverage, SourceState } from './provenance.js';

/** Who measured what, where and under which load: the fields every record carries. */
export interface RecordEnvelope {
  suite: string;
  quick: boolean;
  only: string | null;
  /** When the run finished (ISO). */
  date: string;
  /** HEAD when the run started; null when the tree is not a git checkout. */
  commit: string | null;
  /** Tracked files differed from HEAD when the run started; null without a checkout. */
  dirty: boolean | null;
  machine: MachineInfo;
  load: { before: LoadAverage; after: LoadAverage };
}

/** The envelope fields, in the order a record lists them. */
export const ENVELOPE_FIELDS = ['suite', 'quick', 'only', 'date', 'commit', 'dirty', 'machine', 'load'] as const;

/** What a run knew when it started and ended, from which the envelope is made. */
export interface RunContext {
  suite: string;
  quick: boolean;
  only: string | undefined;
  source: SourceState | null;
  machine: MachineInfo;
  loadBefore: LoadAverage;
  loadAfter: LoadAverage;
  finished: Date;
}

/** The envelope of a run. */
export function envelopeOf(run: RunContext): RecordEnvelope {
  return {
    suite: run.suite,
    quick: run.quick,
    only: run.only ?? null,
    date: run.finished.toISOString(),
    commit: run.source?.commit ?? null,
    dirty: run.source?.dirty ?? null,
    machine: run.machine,
    load: { before: run.loadBefore, after: run.loadAfter },
  };
}

/** The record written by --json: the envelope first, then the suite's data, which may not reuse an envelope field. */
export function makeRecord(envelope: RecordEnvelope, data: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const clash = ENVELOPE_FIELDS.find((field) => field in data);
  if (clash !== undefined) throw new Error(`suite ${envelope.suite} returned "${clash}", a field of the record envelope`);
  return { ...envelope, ...data };
}
