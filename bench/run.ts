/**
 * Benchmark harness: `npm run bench -- <suite> [--quick] [--json out.json] [--only NAME[,NAME...]] [--runs N]`.
 * Prints the machine and the suite's report; --json also writes both to a file, in the envelope of
 * bench/record.ts (commit, dirty flag, machine, load before and after). Suites load lazily, so one
 * suite's missing prerequisites never stop another.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { repoRoot } from '../test/helpers/python.js';
import { parseBenchArgs } from './args.js';
import { collectMachine, formatMachine } from './machine.js';
import { currentLoad, sourceState } from './provenance.js';
import { envelopeOf, makeRecord } from './record.js';
import type { Suite } from './suite.js';

const SUITES: Record<string, () => Promise<Suite>> = {
  cluster: async () => (await import('./suites/cluster.js')).runCluster,
  doget: async () => (await import('./suites/doget.js')).runDoget,
  epoch: async () => (await import('./suites/epoch.js')).runEpoch,
  feed: async () => (await import('./suites/feed.js')).runFeed,
  load: async () => (await import('./suites/load.js')).runLoad,
  micro: async () => (await import('./suites/micro.js')).runMicro,
  pushdown: async () => (await import('./suites/pushdown.js')).runPushdown,
  scale: async () => (await import('./suites/scale.js')).runScale,
  soak: async () => (await import('./suites/soak.js')).runSoak,
  tokenize: async () => (await import('./suites/tokenize.js')).runTokenize,
  torch: async () => (await import('./suites/torch.js')).runTorch,
};

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2), Object.keys(SUITES));
  const machine = await collectMachine();
  const source = await sourceState(repoRoot());
  console.log(formatMachine(machine));
  const commit = source === null ? 'none (not a git checkout)' : `${source.commit}${source.dirty ? ' (uncommitted changes to tracked files)' : ''}`;
  console.log(`commit:  ${commit}`);
  console.log(`\n== ${args.suite}${args.quick ? ' (quick)' : ''} ==`);
  const suite = await SUITES[args.suite]!();
  const loadBefore = currentLoad();
  const output = await suite({ quick: args.quick, only: args.only, runs: args.runs });
  const loadAfter = currentLoad();
  console.log(output.text);
  console.log(`load average before / after: ${loadBefore.one.toFixed(2)} / ${loadAfter.one.toFixed(2)}`);
  if (args.json) {
    mkdirSync(dirname(args.json), { recursive: true });
    const envelope = envelopeOf({ suite: args.suite, quick: args.quick, only: args.only, source, machine, loadBefore, loadAfter, finished: new Date() });
    const record = makeRecord(envelope, output.data);
    writeFileSync(args.json, `${JSON.stringify(record, null, 2)}\n`);
    console.log(`wrote ${args.json}`);
  }
}

main().catch((err: Error) => {
  console.error(`bench: ${err.message}`);
  process.exit(1);
});
