/**
 * The epoch suite's Node worker (protocol in worker.ts):
 *   node dist/bench/peers/node-worker.js flight --url grpc://HOST:PORT --name DATASET
 *   node dist/bench/peers/node-worker.js ipc --path FILE
 *   node dist/bench/peers/node-worker.js parquet --path DIR
 * `flight` reads with our FlightClient (GetFlightInfo + DoGet of every endpoint); `ipc` reads the whole
 * IPC file into memory and iterates apache-arrow's RecordBatchReader over it (views, no copies);
 * `parquet` streams every Parquet file of DIR, one row group at a time, through parquet-wasm.
 */
import { openAsBlob } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

import { RecordBatchReader } from 'apache-arrow';
import type { RecordBatch as WasmRecordBatch } from 'parquet-wasm';

import { NodeTally } from './node-tally.js';

type Epoch = (tally: NodeTally) => Promise<void>;

interface Contender {
  epoch: Epoch;
  close(): void;
}

async function flightContender(url: string, name: string): Promise<Contender> {
  // Imported only by this kind: merely loading node:http2 (which the client needs) slows the parquet
  // kind's parquet-wasm stream by about 1.6x in the same process (measured on Node 20.20).
  const { FlightClient, pathDescriptor } = await import('../../client/src/flight-client.js');
  const client = new FlightClient(url);
  await client.getFlightInfo(pathDescriptor(name));
  return {
    epoch: async (tally) => {
      const info = await client.getFlightInfo(pathDescriptor(name));
      for (const endpoint of info.endpoints) {
        for await (const batch of client.doGet(endpoint.ticket)) tally.addBatch(batch);
      }
      if (info.totalRecords >= 0n && BigInt(tally.rows) !== info.totalRecords) {
        throw new Error(`read ${tally.rows} rows of ${name}, its FlightInfo says ${info.totalRecords}`);
      }
    },
    close: () => client.close(),
  };
}

function ipcContender(path: string): Contender {
  return {
    epoch: async (tally) => {
      const bytes = await readFile(path);
      for (const batch of RecordBatchReader.from(bytes)) tally.addBatch(batch);
    },
    close: () => {},
  };
}

/** The .parquet files of a directory in name order, the order pyarrow.dataset reads them in. */
async function parquetPaths(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.parquet')).sort();
  if (names.length === 0) throw new Error(`node-worker: no .parquet files in ${dir}`);
  return names.map((name) => join(dir, name));
}

/**
 * Reads each file through a file-backed Blob, so parquet-wasm fetches one row group's byte ranges at
 * a time and WASM memory holds one decoded row group, not the file. Each decoded batch leaves WASM
 * memory as an IPC stream (the one copy out), which apache-arrow reads as views.
 */
async function parquetContender(dir: string): Promise<Contender> {
  // Imported here, when the parquet kind runs: the flight and ipc kinds leave WASM unloaded.
  const { ParquetFile } = await import('parquet-wasm');
  const { largestRowGroup } = await import('../../cache-server/loaders/parquet-reader.js');
  return {
    epoch: async (tally) => {
      for (const path of await parquetPaths(dir)) {
        const file = await ParquetFile.fromFile(await openAsBlob(path));
        try {
          const stream = await file.stream({ batchSize: largestRowGroup(file) });
          for await (const batch of stream as AsyncIterable<WasmRecordBatch>) {
            for (const arrowBatch of RecordBatchReader.from(batch.intoIPCStream())) tally.addBatch(arrowBatch);
          }
        } finally {
          file.free();
        }
      }
    },
    close: () => {},
  };
}

function emit(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined) throw new Error(`node-worker: ${flag} is required`);
  return value;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { url: { type: 'string' }, name: { type: 'string' }, path: { type: 'string' } },
  });
  const kind = positionals[0];
  let contender: Contender;
  if (kind === 'flight') contender = await flightContender(required(values.url, '--url'), required(values.name, '--name'));
  else if (kind === 'ipc') contender = ipcContender(required(values.path, '--path'));
  else if (kind === 'parquet') contender = await parquetContender(required(values.path, '--path'));
  else throw new Error(`node-worker: kind must be flight, ipc or parquet, got ${kind}`);
  emit({ ready: true, kind, pid: process.pid });
  for await (const line of createInterface({ input: process.stdin })) {
    const command = line.trim();
    if (command === 'exit') break;
    if (command !== 'run') {
      emit({ error: `unknown command ${JSON.stringify(command)}` });
      continue;
    }
    const tally = new NodeTally();
    const start = process.hrtime.bigint();
    await contender.epoch(tally);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    emit({ seconds, rows: tally.rows, bytes: tally.bytes, batches: tally.batches, checksum: tally.checksum });
  }
  contender.close();
}

main().catch((err: Error) => {
  console.error(`node-worker: ${err.stack ?? err.message}`);
  process.exit(1);
});
