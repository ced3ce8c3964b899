/** Command-line parsing of the benchmark harness. */
import { parseArgs } from 'node:util';

/** Parsed command line of the harness. */
export interface BenchArgs {
  suite: string;
  quick: boolean;
  json: string | undefined;
  only: string | undefined;
  runs: number | undefined;
}

/** The usage text listing the known suites. */
export function usage(suites: readonly string[]): string {
  return `usage: npm run bench -- <suite> [--quick] [--json out.json] [--only NAME[,NAME...]] [--runs N]\nsuites: ${suites.join(', ')}`;
}

/** Parses argv (without node and script) against the known suites; throws with the usage text on bad input. */
export function parseBenchArgs(argv: readonly string[], suites: readonly string[]): BenchArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      only: { type: 'string' },
      runs: { type: 'string' },
    },
  });
  const [suite, ...extra] = positionals;
  if (suite === undefined || extra.length > 0 || !suites.includes(suite)) throw new Error(usage(suites));
  const runs = values.runs === undefined ? undefined : Number(values.runs);
  if (runs !== undefined && !(Number.isInteger(runs) && runs > 0)) throw new Error(`--runs must be a positive integer\n${usage(suites)}`);
  return { suite, quick: values.quick ?? false, json: values.json, only: values.only, runs };
}
