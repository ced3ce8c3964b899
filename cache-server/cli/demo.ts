/**
 * `flightcache demo` (what `npm start` runs): a local node with two demo datasets (vega-datasets'
 * flights-200k and generated token sequences), streamed by a client for two epochs, then left running.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { connect } from '../../client/src/dataset.js';
import { encodeTable } from '../flight/protocol/arrow-codec.js';
import { Code, FlightError } from '../flight/errors.js';
import { createLogger } from '../logger.js';
import { loadFlightData, loadIpcBytes } from '../loaders/flight-data-loader.js';
import { startCacheNode } from '../node/cache-node.js';
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

    const node = await startCacheNode({ port, logger: createLogger('flightcache', process.env.FLIGHTCACHE_LOG_LEVEL ?? 'warn') });
    closeOnSignals(node);
    const flights = loadIpcBytes(node.store, 'flights', readFileSync(flightsPath()));
    const tokens = loadFlightData(node.store, 'tokens', encodeTable(tokenBatches({ targetBytes: tokenMb * 1e6 })));
    console.log(readyLine(node.url));
    console.log(`loaded flights (${flights.rows} rows, ${formatBytes(flights.bytes)}) and tokens (${tokens.rows} rows, ${formatBytes(tokens.bytes)})`);

    const connection = await connect(node.url);
    const totalBytes = flights.bytes + tokens.bytes;
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const started = performance.now();
      let rows = 0;
      let bytes = 0;
      for (const name of ['flights', 'tokens']) {
        for await (const batch of connection.dataset(name).batches()) {
          rows += batch.numRows;
          for (const child of batch.data.children) bytes += child.byteLength;
          progress(`epoch ${epoch}/${epochs}`, bytes, totalBytes, bytes / ((performance.now() - started) / 1000));
        }
      }
      const seconds = (performance.now() - started) / 1000;
      if (process.stderr.isTTY) process.stderr.write('\n');
      console.log(
        `epoch ${epoch}: ${rows} rows in ${seconds.toFixed(2)} s: ${Math.round(rows / seconds).toLocaleString('en-US')} rows/s, ${(bytes / seconds / 1e9).toFixed(2)} GB/s`,
      );
    }
    connection.close();
    if (flags.exit) {
      await node.close();
      return;
    }
    console.log(`\nthe node keeps serving at ${node.url} (Ctrl-C stops it). Read it from Python:\n`);
    console.log('  import pyarrow.flight as fl');
    console.log(`  client = fl.connect("${node.url}")`);
    console.log('  table = client.do_get(client.get_flight_info(fl.FlightDescriptor.for_path("tokens")).endpoints[0].ticket).read_all()');
  },
};
