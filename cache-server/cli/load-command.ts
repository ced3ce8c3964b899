/**
 * `flightcache load SOURCE --name N`: the server (a node, or a coordinator whose shards) reads the
 * files itself; this command sends the `load` action and, while it runs, polls `stats` for the load's
 * progress: a bar on a terminal, JSON lines otherwise. A failed load exits non-zero with the server's
 * message, which names the failing file and why.
 */
import { resolve } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { LoadProgress, LoadResult } from '../loaders/dataset-loader.js';
import { FORMATS } from '../loaders/source-files.js';
import type { NodeStats } from '../node/node-actions.js';
import { connectionOptions, formatBytes, withClient } from './client-commands.js';
import type { Command } from './main.js';

const POLL_MS = 500;

/** Reports progress somewhere: a terminal bar or JSON lines. */
interface ProgressView {
  update(progress: LoadProgress): void;
  stop(): void;
}

function barView(): ProgressView {
  const bar = new SingleBar(
    { format: '{bar} {percentage}% | {files}/{filesTotal} files | {rows} rows | {done}/{total}{tokens}', hideCursor: true },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      const tokens = p.tokens !== undefined ? ` | ${p.tokens} tokens, ${p.tokensPerSecond ?? 0} tokens/s` : '';
      const payload = { files: p.files, filesTotal: p.filesTotal, rows: p.rows, done: formatBytes(p.bytes), total: formatBytes(p.bytesTotal), tokens };
      if (!started) bar.start(Math.max(1, p.bytesTotal), p.bytes, payload);
      else bar.update(p.bytes, payload);
      started = true;
    },
    stop: () => started && bar.stop(),
  };
}

function jsonView(): ProgressView {
  let last = '';
  return {
    update(p) {
      const tokens = p.tokens !== undefined ? { tokens: p.tokens, tokensPerSecond: p.tokensPerSecond ?? 0 } : {};
      const line = JSON.stringify({ progress: { files: p.files, filesTotal: p.filesTotal, rows: p.rows, bytes: p.bytes, bytesTotal: p.bytesTotal, ...tokens } });
      if (line !== last) process.stdout.write(`${line}\n`);
      last = line;
    },
    stop: () => {},
  };
}

/**
 * The `tokenize` option from --tokenize COLUMN --tokenizer FILE | --tiktoken ENCODING --max-length L
 * [--pack | --truncate [--pad]] [--no-special-tokens]; the server checks the combination.
 */
function tokenizeOption(flags: Record<string, string | boolean | undefined>): Record<string, unknown> | undefined {
  const tokenizeFlags = ['tokenizer', 'tiktoken', 'max-length', 'pack', 'truncate', 'pad', 'no-special-tokens'];
  if (flags.tokenize === undefined) {
    const stray = tokenizeFlags.find((f) => flags[f] !== undefined);
    if (stray !== undefined) throw new FlightError(Code.INVALID_ARGUMENT, `--${stray} needs --tokenize COLUMN`);
    return undefined;
  }
  const maxLength = Number(flags['max-length']);
  if (flags['max-length'] === undefined || !Number.isInteger(maxLength)) throw new FlightError(Code.INVALID_ARGUMENT, '--tokenize needs --max-length L (an integer)');
  const tokenizer = typeof flags.tokenizer === 'string' && !flags.tokenizer.startsWith('s3://') ? resolve(flags.tokenizer) : flags.tokenizer;
  return {
    column: flags.tokenize,
    ...(tokenizer !== undefined ? { tokenizer } : {}),
    ...(flags.tiktoken !== undefined ? { tiktoken: flags.tiktoken } : {}),
    max_length: maxLength,
    pack: flags.pack === true,
    truncate: flags.truncate === true,
    pad: flags.pad === true,
    special_tokens: flags['no-special-tokens'] !== true,
  };
}

/** `--partition col=v1,v2` flags (repeatable) as the action's "partitions" option. */
function partitionOption(flags: unknown): Record<string, string[]> | undefined {
  if (!Array.isArray(flags) || flags.length === 0) return undefined;
  const out: Record<string, string[]> = {};
  for (const flag of flags as string[]) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new FlightError(Code.INVALID_ARGUMENT, `--partition must be COLUMN=VALUE[,VALUE...], got ${JSON.stringify(flag)}`);
    out[flag.slice(0, eq)] = [...(out[flag.slice(0, eq)] ?? []), ...flag.slice(eq + 1).split(',')];
  }
  return out;
}

export const loadCommand: Command = {
  options: {
    ...connectionOptions,
    name: { type: 'string' },
    format: { type: 'string' },
    columns: { type: 'string' },
    filter: { type: 'string' },
    split: { type: 'string' },
    snapshot: { type: 'string' },
    partition: { type: 'string', multiple: true },
    's3-profile': { type: 'string' },
    tokenize: { type: 'string' },
    tokenizer: { type: 'string' },
    tiktoken: { type: 'string' },
    'max-length': { type: 'string' },
    pack: { type: 'boolean' },
    truncate: { type: 'boolean' },
    pad: { type: 'boolean' },
    'no-special-tokens': { type: 'boolean' },
  },
  async run(positionals, flags) {
    if (positionals.length !== 1) throw new FlightError(Code.INVALID_ARGUMENT, 'load needs exactly one SOURCE (a file, directory or glob)');
    const name = flags.name;
    if (typeof name !== 'string' || name === '') throw new FlightError(Code.INVALID_ARGUMENT, 'load needs --name N');
    const format = flags.format as string | undefined;
    if (format !== undefined && !(FORMATS as readonly string[]).includes(format)) {
      throw new FlightError(Code.INVALID_ARGUMENT, `--format must be one of ${FORMATS.join(', ')}, got "${format}"`);
    }
    const columns = typeof flags.columns === 'string' ? flags.columns.split(',').map((c) => c.trim()) : undefined;
    // The server reads the files: a relative path means this directory's.
    const source = positionals[0]!.startsWith('s3://') ? positionals[0]! : resolve(positionals[0]!);
    const options = {
      columns,
      filter: flags.filter,
      split: flags.split,
      snapshot: flags.snapshot,
      partitions: partitionOption(flags.partition),
      s3: flags['s3-profile'] ? { profile: flags['s3-profile'] } : undefined,
      tokenize: tokenizeOption(flags),
    };
    const body = JSON.stringify({ name, source, format, options });
    const tty = process.stdout.isTTY === true;
    const view = tty ? barView() : jsonView();
    await withClient(flags, async (client) => {
      let polling = true;
      const poll = (async () => {
        while (polling) {
          await new Promise((r) => setTimeout(r, POLL_MS));
          if (!polling) break;
          const stats = await client.action<NodeStats>('stats').catch(() => undefined);
          const progress = stats?.loads?.find((l) => l.name === name && l.state === 'loading');
          if (progress && polling) view.update(progress);
        }
      })();
      let result: LoadResult;
      try {
        result = await client.action<LoadResult>('load', body, { timeoutMs: 24 * 3600_000 });
      } finally {
        polling = false;
        await poll;
        view.stop();
      }
      const tokens = result.tokens !== undefined ? `, ${result.tokens} tokens` : '';
      if (tty) console.log(`loaded ${result.loaded}: ${result.rows} rows in ${result.batches} batches from ${result.files} files, ${formatBytes(result.bytes)}${tokens}`);
      else process.stdout.write(`${JSON.stringify({ result })}\n`);
    });
  },
};
