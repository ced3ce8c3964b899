/** The fuzz corpus in the source tree: test/fuzz/corpus/<target>/<file>, one input a file. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/python.js';

/** The corpus directory of a target. */
export function corpusDir(target: string): string {
  return join(repoRoot(), 'test', 'fuzz', 'corpus', target);
}

/** The corpus files of a target, by name (none when it has no directory). */
export function corpusFiles(target: string): { name: string; data: Buffer }[] {
  let names: string[];
  try {
    names = readdirSync(corpusDir(target)).sort();
  } catch {
    return [];
  }
  return names.map((name) => ({ name, data: readFileSync(join(corpusDir(target), name)) }));
}
