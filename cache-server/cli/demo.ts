/**
 * `flightcache demo` (what `npm start` runs): an embedded local cluster (a coordinator and two shard
 * processes, two replicas) fills two demo datasets through `load`, as a user would: vega-datasets'
 * flights-200k Arrow file, and generated token sequences the demo writes as Arrow IPC stream files
 * (one per shard, which each read theirs). Both are streamed to a two-rank trainer for two shuffled
 * epochs; the cluster is then left running.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import { RecordBatchStreamWriter } from 'apache-arrow';
import { connect } from '../../client/src/dataset.js';
import { FlightClient } from '../../client/src/flight-client.js';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { createLogger } from '../logger.js';
import type { LoadResult } from '../loaders/dataset-loader.js';
import { startCoordinator } from '../cluster/coordinator.js';
import { LocalShards } from '../cluster/local-shards.js';
import { tokenBatches } from '../demo/token-dataset.js';
import { parsePort } from '../config.js';
import { formatBytes } from './client-commands.js';
import { closeOnSignals, readyLine } from './process-lifecycle.js';
import type { Command } from './main.js';

/** Path of flights-200k.arrow inside the installed vega-datasets package. */
function flightsPath(): string {
  const entry = createRequire(import.meta.url).resolve('vega-datasets');
  return join(dirname(entry), '..', 'data', 'flights-200k.arrow');
}

/** Writes the generated token batches as `files` Arrow IPC stream files under `dir`, batches dealt round-robin. */
async function writeTokenFiles(dir: string, targetBytes: number, files: number): Promise<void> {
  const outputs = Array.from({ length: files }, (_, i) => {
    const out = createWriteStream(join(dir, `part-${i}.arrows`));
    const writer = new RecordBatchStreamWriter();
    writer.pipe(out);
    return { out, writer };
  });
  let i = 0;
  for (const batch of tokenBatches({ targetBytes })) {
    const { out, writer } = outputs[i++ % files]!;
    writer.write(batch);
    // Let the file stream drain so at most one batch per file waits in memory.
    if (out.writableNeedDrain) await once(out, 'drain');
  }
  await Promise.all(outputs.map(async ({ out, writer }) => {
    writer.finish();
    await once(out, 'finish');
  }));
}

/** Draws a one-line progress bar on stderr when it is a terminal. */
function progress(label: string, done: number, total: number, bytesPerSecond: number): void {
  if (!process.stderr.isTTY) return;
  const width = 30;
  const filled = Math.min(width, Math.round((done / Math.max(total, 1)) * width));
  const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
  process.stderr.write(`\r${label} [${bar}] ${Math.round((done / Math.max(total, 1)) * 100)}% ${(bytesPerSecond / 1e9).toFixed(2)} GB/s  `);
}

export const demoCommand: Command = {
  options: {
    port: { type: 'string' },
    epochs: { type: 'string' },
    'token-mb': { type: 'string' },
    exit: { type: 'boolean' },
  },
  async run(_positionals, flags) {
    const port = parsePort((flags.port as string | undefined) ?? '8815', '--port');
    const epochs = Number((flags.epochs as string | undefined) ?? '2');
    const tokenMb = Number((flags['token-mb'] as string | undefined) ?? '300');
    if (!Number.isInteger(epochs) || epochs < 0) throw new FlightError(Code.INVALID_ARGUMENT, '--epochs must be a whole number');
    if (!(tokenMb > 0)) throw new FlightError(Code.INVALID_ARGUMENT, '--token-mb must be positive');

    const shards = 2;
    const replicas = 2;
    const logger = createLogger('flightcache', process.env.FLIGHTCACHE_LOG_LEVEL ?? 'warn');
    const coordinator = await startCoordinator({ port, replicas, logger });
    const local = new LocalShards({ count: shards, host: '127.0.0.1', state: coordinator.state, logger, logLevel: logger.level });
    const cluster = { close: async () => Promise.all([local.close(), coordinator.close()]).then(() => undefined) };
    closeOnSignals(cluster);
    await local.start();
    const dir = await mkdtemp(join(tmpdir(), 'flightcache-demo-'));
    let flights: LoadResult;
    let tokens: LoadResult;
    const client = new FlightClient(coordinator.url);
    try {
      await writeTokenFiles(dir, tokenMb * 1e6, shards);
      const load = (name: string, source: string) => client.action<LoadResult>('load', JSON.stringify({ name, source }), { timeoutMs: 600_000 });
      [flights, tokens] = await Promise.all([load('flights', flightsPath()), load('tokens', dir)]);
    } finally {
      client.close();
      await rm(dir, { recursive: true, force: true });
    }
    console.log(readyLine(coordinator.url));
    console.log(
      `loaded flights (${flights.rows} rows, ${formatBytes(flights.bytes)}) and tokens (${tokens.rows} rows, ${formatBytes(tokens.bytes)}) ` +
        `into ${shards} shards x ${replicas} replicas`,
    );

    // The trainer: two ranks read their shares concurrently, shuffled differently each epoch.
    const connection = await connect(coordinator.url);
    const totalBytes = flights.bytes + tokens.bytes;
    const ranks = 2;
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const started = performance.now();
      let rows = 0;
      let bytes = 0;
      const rank = async (r: number): Promise<void> => {
        for (const name of ['flights', 'tokens']) {
          for await (const { batch } of connection.dataset(name).read({ rank: r, worldSize: ranks, shuffle: true, seed: 42, epoch })) {
            rows += batch.numRows;
            for (const child of batch.data.children) bytes += child.byteLength;
            progress(`epoch ${epoch}/${epochs}`, bytes, totalBytes, bytes / ((performance.now() - started) / 1000));
          }
        }
      };
      await Promise.all(Array.from({ length: ranks }, (_, r) => rank(r)));
      const seconds = (performance.now() - started) / 1000;
      if (process.stderr.isTTY) process.stderr.write('\n');
      console.log(
        `epoch ${epoch}: ${rows} rows in ${seconds.toFixed(2)} s: ${Math.round(rows / seconds).toLocaleString('en-US')} rows/s, ${(bytes / seconds / 1e9).toFixed(2)} GB/s`,
      );
    }
    connection.close();
    if (flags.exit) {
      await cluster.close();
      return;
    }
    console.log(`\nthe cluster keeps serving at ${coordinator.url} (Ctrl-C stops it). Read it from Python:\n`);
    console.log('  from flightcache.torch import FlightCacheDataset   # pip install ./client/python');
    console.log(`  for batch in FlightCacheDataset("${coordinator.url}", "tokens", batch_size=1024, shuffle=True): ...`);
  },
};
