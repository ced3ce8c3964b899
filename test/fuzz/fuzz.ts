/**
 * Coverage-guided fuzzing of the network entry points (targets.ts), bounded in time:
 *
 *   node dist/test/fuzz/fuzz.js [--seconds 40] [--target flight-data,ticket] [--seed N] [--save]
 *
 * Each target gets an equal share of the time and starts from its seeds and its corpus
 * (test/fuzz/corpus/<target>/); --save writes the mutants that found new coverage into the corpus.
 * A crash (an error other than FlightError) is written to test/fuzz/crashes/<target>-<sha1>.bin and
 * the run exits 1; once fixed, the input goes into the corpus, which corpus.test.ts replays on every
 * test run.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../helpers/python.js';
import { corpusDir, corpusFiles } from './corpus.js';
import { CoverageTracker } from './coverage.js';
import { fuzz } from './fuzzer.js';
import { Random } from './mutate.js';
import { TARGETS } from './targets.js';

const sha1 = (data: Uint8Array): string => createHash('sha1').update(data).digest('hex');

/** Writes `data` into `dir` under its hash. */
function store(dir: string, name: string, data: Uint8Array): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, data);
  return file;
}

function main(): number {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '40' }, target: { type: 'string' }, seed: { type: 'string' }, save: { type: 'boolean', default: false } },
  });
  const seconds = Number(values.seconds);
  const names = values.target?.split(',');
  const targets = names ? TARGETS.filter((t) => names.includes(t.name)) : TARGETS;
  if (!(seconds > 0) || targets.length === 0 || (names && targets.length !== names.length)) {
    console.error(`usage: fuzz.js [--seconds S>0] [--target ${TARGETS.map((t) => t.name).join(',')}] [--seed N] [--save]`);
    return 2;
  }
  const seed = values.seed === undefined ? Date.now() % 2 ** 32 : Number(values.seed);
  const tracker = new CoverageTracker('/dist/cache-server/');
  let crashed = false;
  try {
    targets.forEach((target, i) => {
      const initial = [...target.seeds(), ...corpusFiles(target.name).map((f) => f.data)];
      const report = fuzz(target, initial, tracker, new Random(seed + i), { deadline: Date.now() + (seconds * 1000) / targets.length });
      if (values.save) for (const input of report.added) store(corpusDir(target.name), sha1(input).slice(0, 16), input);
      const crashes = report.crashes.map((c) => `${c.where} -> ${store(join(repoRoot(), 'test', 'fuzz', 'crashes'), `${target.name}-${sha1(c.input)}.bin`, c.input)}`);
      crashed ||= crashes.length > 0;
      const { execs, corpus, features } = report;
      console.log(JSON.stringify({ target: target.name, seed: seed + i, execs, corpus, added: report.added.length, features, crashes }));
    });
  } finally {
    tracker.close();
  }
  return crashed ? 1 : 0;
}

process.exitCode = main();
