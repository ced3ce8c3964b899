/** The client commands of the CLI: put, ls, get, drop, stats. Bodies travel as raw IPC, so every Arrow type works. */
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { LocationClients, readShareMessages } from '../../client/src/share-reader.js';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { loadClientTls } from '../config.js';
import { encapsulate, parseMessageHeader, readIpcMessages } from '../../client/src/flight/protocol/ipc-message.js';
import type { OutgoingFlightData } from '../../client/src/flight/protocol/messages.js';
import type { NodeStats } from '../node/node-actions.js';
import type { Command } from './main.js';

export const connectionOptions = {
  endpoint: { type: 'string' },
  user: { type: 'string' },
  password: { type: 'string' },
  token: { type: 'string' },
  timeout: { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
} as const;

export type Flags = Record<string, string | boolean | undefined>;

/** Opens an authenticated client from the common flags. */
async function clientFrom(flags: Flags): Promise<FlightClient> {
  const endpoint = (flags.endpoint as string | undefined) ?? process.env.FLIGHTCACHE_ENDPOINT ?? 'grpc://127.0.0.1:8815';
  const timeout = flags.timeout as string | undefined;
  const timeoutMs = timeout === undefined ? undefined : Number(timeout) * 1000;
  if (timeoutMs !== undefined && !(timeoutMs > 0)) {
    throw new FlightError(Code.INVALID_ARGUMENT, `--timeout must be a positive number of seconds, got "${timeout}"`);
  }
  const tls = loadClientTls(flags);
  const client = new FlightClient(endpoint, {
    ...(tls ? { tls } : {}),
    ...(typeof flags.token === 'string' ? { token: flags.token } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
  if (typeof flags.user === 'string') await client.handshake(flags.user, (flags.password as string | undefined) ?? '');
  return client;
}

/** Runs `body` with a client and closes it afterwards. */
export async function withClient(flags: Flags, body: (client: FlightClient) => Promise<void>): Promise<void> {
  const client = await clientFrom(flags);
  try {
    await body(client);
  } finally {
    client.close();
  }
}

/** Requires exactly one positional argument. */
function one(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new FlightError(Code.INVALID_ARGUMENT, `expected exactly one ${what}`);
  return positionals[0]!;
}

/** Formats a byte count for people. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

const put: Command = {
  options: { ...connectionOptions, name: { type: 'string' } },
  async run(positionals, flags) {
    const file = one(positionals, 'FILE (an Arrow IPC file or stream)');
    const name = flags.name;
    if (typeof name !== 'string' || name === '') throw new FlightError(Code.INVALID_ARGUMENT, 'put needs --name N');
    const ipc = readIpcMessages(await readFile(file));
    const messages: OutgoingFlightData[] = [
      { dataHeader: ipc.schema, body: [], bodyLength: 0 },
      ...ipc.messages.map((m) => ({ dataHeader: m.header, body: [m.body], bodyLength: m.body.length })),
    ];
    const rows = ipc.messages.reduce((sum, m) => sum + (m.info.kind === 'record_batch' ? m.info.rows : 0), 0);
    await withClient(flags, async (client) => {
      const results = await client.doPutRaw(pathDescriptor(name), messages);
      console.log(`put ${name}: ${rows} rows in ${results.length} batches`);
    });
  },
};

const ls: Command = {
  options: connectionOptions,
  async run(_positionals, flags) {
    await withClient(flags, async (client) => {
      const rows: string[][] = [['NAME', 'ROWS', 'BYTES']];
      for await (const info of client.listFlights()) {
        rows.push([info.flightDescriptor?.path.join('/') ?? '?', String(info.totalRecords), formatBytes(Number(info.totalBytes))]);
      }
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
    });
  },
};

const get: Command = {
  options: { ...connectionOptions, out: { type: 'string' } },
  async run(positionals, flags) {
    const name = one(positionals, 'dataset name');
    const out = typeof flags.out === 'string' ? createWriteStream(flags.out) : undefined;
    const write = async (chunk: Uint8Array): Promise<void> => {
      if (out && !out.write(chunk)) await once(out, 'drain');
    };
    await withClient(flags, async (client) => {
      let bytes = 0;
      let rows = 0;
      let first = true;
      const counts = { schema: 0, record_batch: 0, dictionary_batch: 0 } as Record<string, number>;
      const locations = new LocationClients(client, () => client.bearerToken);
      try {
        for await (const { data, restart } of readShareMessages(locations, name)) {
          // Every stream starts with the schema; an IPC stream file holds it once.
          const header = parseMessageHeader(data.dataHeader);
          if (restart && !first) continue;
          first = false;
          await write(encapsulate(data.dataHeader));
          await write(data.dataBody);
          bytes += data.dataBody.length;
          counts[header.kind] = (counts[header.kind] ?? 0) + 1;
          if (header.kind === 'record_batch') rows += header.rows;
        }
      } finally {
        locations.close();
      }
      if (out) {
        await write(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
        out.end();
        await once(out, 'finish');
      }
      console.log(`${name}: ${rows} rows in ${counts.record_batch} record batches and ${counts.dictionary_batch} dictionary batches, ${formatBytes(bytes)}${out ? ` written to ${flags.out}` : ''}`);
    });
  },
};

const drop: Command = {
  options: connectionOptions,
  async run(positionals, flags) {
    const name = one(positionals, 'dataset name');
    await withClient(flags, async (client) => {
      await client.action('drop', name);
      console.log(`dropped ${name}`);
    });
  },
};

const stats: Command = {
  options: connectionOptions,
  async run(_positionals, flags) {
    await withClient(flags, async (client) => {
      console.log(JSON.stringify(await client.action<NodeStats>('stats'), null, 2));
    });
  },
};

export const clientCommands: Record<string, Command> = { put, ls, get, drop, stats };
