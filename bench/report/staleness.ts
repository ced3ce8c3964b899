/**
 * Whether a record still measures the code: stale when the commit it names is gone, when it was
 * taken with uncommitted changes, when it names no commit, or when a later commit touched a path its
 * suite measures (bench/measures.ts). The report writes one line per record, naming those commits.
 */
import { execFileSync } from 'node:child_process';

import { measuredPaths } from '../measures.js';
import type { ResultRecord } from './results.js';

/** A record's standing against the checkout it is rendered in. */
export type Staleness =
  | { state: 'current'; commit: string }
  | { state: 'changed'; commit: string; since: string[] }
  | { state: 'no-commit' }
  | { state: 'dirty'; commit: string }
  | { state: 'unknown-commit'; commit: string }
  | { state: 'no-git' };

/** Decides a record's staleness. */
export type StalenessCheck = (record: ResultRecord) => Staleness;

/** Commits shown by name in a line; more are summarised so the line stays readable. */
const SHOWN_COMMITS = 12;
const short = (commit: string): string => commit.slice(0, 12);
// Pathspecs from the repository's top, whatever directory git runs in.
const SPECS_AND_DOCS = [':(top,exclude,glob)**/*.spec.ts', ':(top,exclude,glob)**/*.md'];
const fromTop = (path: string): string => `:(top)${path === '.' ? '' : path}`;

function git(repo: string, args: readonly string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Staleness from the git history of the checkout holding dir: commits after the record's commit (`git log
 * COMMIT..HEAD`) that touch the suite's measured paths, specs and docs aside.
 */
export function gitStaleness(dir: string): StalenessCheck {
  return (record) => {
    if (record.commit === null) return { state: 'no-commit' };
    if (record.dirty === true) return { state: 'dirty', commit: record.commit };
    try {
      git(dir, ['rev-parse', 'HEAD']);
    } catch {
      return { state: 'no-git' };
    }
    try {
      git(dir, ['cat-file', '-e', `${record.commit}^{commit}`]);
    } catch {
      return { state: 'unknown-commit', commit: record.commit };
    }
    const log = git(dir, ['log', '--format=%H', `${record.commit}..HEAD`, '--', ...measuredPaths(record.suite).map(fromTop), ...SPECS_AND_DOCS]);
    const since = log.split('\n').filter((line) => line !== '');
    return since.length === 0 ? { state: 'current', commit: record.commit } : { state: 'changed', commit: record.commit, since };
  };
}

/** The report's line for a record's staleness; a hash is the only thing in it with digits. */
export function stalenessLine(staleness: Staleness): string {
  const redo = 're-measure it with the command below.';
  switch (staleness.state) {
    case 'current':
      return `Current: nothing this suite measures changed after the record's commit \`${short(staleness.commit)}\`.`;
    case 'changed': {
      const shown = staleness.since.slice(0, SHOWN_COMMITS).map((c) => `\`${short(c)}\``);
      const more = staleness.since.length > SHOWN_COMMITS ? ' and older ones' : '';
      return `**Stale:** code this suite measures changed after the record's commit \`${short(staleness.commit)}\`, in ${shown.join(', ')}${more}; ${redo}`;
    }
    case 'no-commit':
      return `**Stale:** the record names no commit, so the code it measured is unknown; ${redo}`;
    case 'dirty':
      return `**Stale:** the record was taken with uncommitted changes on top of \`${short(staleness.commit)}\`, so the code it measured is unknown; ${redo}`;
    case 'unknown-commit':
      return `**Stale:** the record's commit \`${short(staleness.commit)}\` is not in this checkout's history; ${redo}`;
    case 'no-git':
      return 'Staleness unknown: git cannot read this checkout\'s history.';
  }
}

/** A line stalenessLine writes: any such line, whatever its commits; nothing else (no figures) fits. */
export const STALENESS_LINE = /^(?:\*\*Stale:\*\*|Current:|Staleness unknown:)(?:[^\d`]|`[0-9a-f]{7,40}`)*$/;
