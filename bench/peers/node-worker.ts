/**
 * The epoch suite's Node worker (protocol in worker.ts):
 *   node dist/bench/peers/node-worker.js flight --url grpc://HOST:PORT --name DATASET
 *   node dist/bench/peers/node-worker.js ipc --path FILE
 * `flight` reads with our FlightClient (GetFlightInfo + DoGet of every endpoint); `ipc` reads the whole
 * IPC file into memory and iterates apache-arrow's RecordBatchReader over it (views, no copies).
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

import { RecordBatchReader } from 'apache-arrow';

import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { NodeTally } from './node-tally.js';

type Epoch = (tally: NodeTally) => Promise<void>;

interface Contender {
  epoch: Epoch;
  close(): void;
}

async function flightContender(url: string, name: string): Promise<Contender> {
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
  else throw new Error(`node-worker: kind must be flight or ipc, got ${kind}`);
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
