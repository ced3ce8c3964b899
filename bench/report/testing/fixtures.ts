/** Spec helper: the hand-made results records in bench/report/fixtures (test inputs, not measurements). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { repoRoot } from '../../../test/helpers/python.js';
import { parseRecord, type ResultRecord } from '../results.js';

/** The fixtures directory in the source tree. */
export function fixturesDir(): string {
  return join(repoRoot(), 'bench', 'report', 'fixtures');
}

/** The fixture record of a suite (doget, epoch, micro or scale). */
export function fixture(suite: string): ResultRecord {
  const file = join(fixturesDir(), `${suite}.json`);
  return parseRecord(file, JSON.parse(readFileSync(file, 'utf8')));
}
