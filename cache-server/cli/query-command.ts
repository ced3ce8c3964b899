/** `flightcache query "SELECT ..."`: runs a statement over Flight SQL and prints a table or writes Arrow IPC. */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { Table, type RecordBatch } from 'apache-arrow';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { ArrowStreamDecoder, schemaFromFlatbuffer } from '../../client/src/flight/protocol/arrow-codec.js';
import { encapsulate, extractSchemaFromEncapsulated, parseMessageHeader } from '../../client/src/flight/protocol/ipc-message.js';
import { LocationClients } from '../../client/src/share-reader.js';
import { queryInfo, queryStreams } from '../../client/src/query.js';
import { connectionOptions, withClient } from './client-commands.js';
import type { Command } from './main.js';

const EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** A cell as text: NULL for nulls, JSON for nested values. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value !== 'object') return String(value);
  const plain = (value as { toJSON?: () => unknown }).toJSON?.() ?? value;
  return JSON.stringify(plain, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** The table as aligned text: a header, one line per row, then the row count. */
export function formatTable(table: Table): string {
  const names = table.schema.fields.map((f) => f.name);
  const rows = [names, ...table.toArray().map((row) => names.map((_, i) => cell(row[names[i]!])))];
  const widths = names.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return `${lines.join('\n')}\n(${table.numRows} row${table.numRows === 1 ? '' : 's'})\n`;
}

async function write(out: WriteStream | NodeJS.WriteStream, chunk: Uint8Array | string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

export const queryCommand: Command = {
  options: { ...connectionOptions, format: { type: 'string' }, output: { type: 'string' } },
  async run(positionals, flags) {
    if (positionals.length !== 1) throw new FlightError(Code.INVALID_ARGUMENT, 'expected exactly one SQL statement, quoted: flightcache query "SELECT ..."');
    const sql = positionals[0]!;
    const format = (flags.format as string | undefined) ?? 'table';
    if (format !== 'table' && format !== 'ipc') throw new FlightError(Code.INVALID_ARGUMENT, `--format must be table or ipc, got "${format}"`);
    const file = typeof flags.output === 'string' ? createWriteStream(flags.output) : undefined;
    const out = file ?? process.stdout;
    await withClient(flags, async (client) => {
      const locations = new LocationClients(client, () => client.bearerToken);
      try {
        const info = await queryInfo(locations, sql);
        const batches: RecordBatch[] = [];
        let schemaWritten = false;
        for await (const stream of queryStreams(locations, info)) {
          const decoder = new ArrowStreamDecoder();
          for (const data of stream) {
            if (format === 'table') {
              const decoded = decoder.decode(data.dataHeader, data.dataBody);
              if (decoded.kind === 'batch') batches.push(decoded.batch);
              continue;
            }
            // An IPC stream holds its schema once; the later endpoints' schemas are the same.
            if (parseMessageHeader(data.dataHeader).kind === 'schema' && schemaWritten) continue;
            schemaWritten = true;
            await write(out, encapsulate(data.dataHeader));
            await write(out, data.dataBody);
          }
        }
        if (format === 'table') {
          const table = batches.length > 0 ? new Table(batches) : new Table(schemaFromFlatbuffer(extractSchemaFromEncapsulated(info.schema)));
          await write(out, formatTable(table));
        } else {
          if (!schemaWritten) await write(out, info.schema);
          await write(out, EOS);
        }
      } finally {
        locations.close();
      }
    });
    if (file) {
      file.end();
      await once(file, 'finish');
    }
  },
};
