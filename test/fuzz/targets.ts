/**
 * The fuzz targets: the entry points that take bytes from the network. Each may only throw
 * FlightError on bad input (the fuzzer reports anything else as a crash); the FlightData target also
 * checks that a message decoded in two pushes equals the message decoded in one.
 */
import { Dictionary, Int32, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { FlightError } from '../../client/src/flight/errors.js';
import * as codec from '../../client/src/flight/protocol/codec.js';
import { encodeTable } from '../../client/src/flight/protocol/arrow-codec.js';
import { decodeFlightData, encodeFlightData, FlightDataSink } from '../../client/src/flight/protocol/flight-data.js';
import { parseMessageHeader, readIpcMessages } from '../../client/src/flight/protocol/ipc-message.js';
import { describeSchema, dictionaryIds } from '../../client/src/flight/protocol/schema-compare.js';
import { DescriptorType, type FlightData, type OutgoingFlightData } from '../../client/src/flight/protocol/messages.js';
import { decodeCursor, encodeCursor } from '../../cache-server/node/cursor.js';
import { parseFlightRequest } from '../../cache-server/node/flight-request.js';
import { projectionOf } from '../../cache-server/node/read-plan.js';
import { bindQuery } from '../../cache-server/engine/sql/plan.js';
import { decodeTicket, encodeTicket } from '../../cache-server/node/ticket.js';
import { decodeFlightSqlAny, encodeFlightSqlAny } from '../../client/src/flight/protocol/flight-sql.js';
import { bindParameters, findPlaceholders } from '../../cache-server/flightsql/parameters.js';

/** One fuzz target. */
export interface FuzzTarget {
  readonly name: string;
  /** Runs the entry points on `data`; throws what they throw. */
  run(data: Uint8Array): void;
  /** Valid inputs the fuzzer starts from (besides the corpus files). */
  seeds(): Uint8Array[];
  /** Fragments worth inserting (field names, keywords). */
  tokens: readonly Uint8Array[];
}

/** A failure of the rule "bad input throws FlightError only": what a fuzzer reports. */
export class FuzzCrash extends Error {}

/** Runs `target` on `data` and returns the crash it causes (an error other than FlightError), if any. */
export function crashOf(target: FuzzTarget, data: Uint8Array): Error | undefined {
  try {
    target.run(data);
    return undefined;
  } catch (err) {
    if (err instanceof FlightError) return undefined;
    return err instanceof Error ? err : new FuzzCrash(`threw a non-Error: ${String(err)}`);
  }
}

/** Runs one entry point of several fed the same input: its FlightError is its answer, anything else a crash. */
function attempt(entry: () => unknown): void {
  try {
    entry();
  } catch (err) {
    if (!(err instanceof FlightError)) throw err;
  }
}

const text = (...values: string[]): Uint8Array[] => values.map((value) => Buffer.from(value, 'utf8'));
const concat = (chunks: readonly Uint8Array[]): Uint8Array => Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));

let samples: OutgoingFlightData[] | undefined;

/** Messages of a small table with an int, a string and a dictionary column (schema, dictionary, batch). */
function sampleMessages(): OutgoingFlightData[] {
  samples ??= encodeSample();
  return samples;
}

function encodeSample(): OutgoingFlightData[] {
  const table = new Table({
    id: vectorFromArray(Int32Array.from([1, 2, 3])),
    name: vectorFromArray(['a', 'bb', 'ccc'], new Utf8()),
    kind: vectorFromArray(['x', 'y', 'x'], new Dictionary(new Utf8(), new Int32())),
  });
  return [...encodeTable(table)];
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** Whether two decoded FlightData are the same message. */
function sameFlightData(a: FlightData, b: FlightData): boolean {
  const key = (fd: FlightData): string =>
    [hex(fd.dataHeader), hex(fd.appMetadata), hex(fd.dataBody), fd.flightDescriptor ? hex(codec.encodeFlightDescriptor(fd.flightDescriptor)) : '-'].join('|');
  return key(a) === key(b);
}

const flightData: FuzzTarget = {
  name: 'flight-data',
  run(data) {
    const whole = decodeFlightData(data);
    // The same bytes in two DATA frames, cut where the first byte says: the decoder is incremental.
    const cut = data.length === 0 ? 0 : data[0]! % (data.length + 1);
    const sink = new FlightDataSink();
    sink.begin(data.length);
    sink.push(data.subarray(0, cut));
    sink.push(data.subarray(cut));
    const pushed = sink.end();
    if (!sameFlightData(whole, pushed)) throw new FuzzCrash(`decoding in two pushes (cut at ${cut}) differs from decoding at once`);
    if (whole.dataHeader.length > 0) parseMessageHeader(whole.dataHeader);
  },
  seeds: () => [
    ...sampleMessages().map((m) => concat(encodeFlightData(m))),
    concat(encodeFlightData({ ...sampleMessages()[0]!, flightDescriptor: { type: DescriptorType.PATH, cmd: new Uint8Array(), path: ['train'] }, appMetadata: Buffer.from('m') })),
  ],
  tokens: [Uint8Array.of(0x0a), Uint8Array.of(0x12), Uint8Array.of(0x1a), Uint8Array.of(0xc2, 0x3e), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f)],
};

const ipcHeader: FuzzTarget = {
  name: 'ipc-header',
  run(data) {
    const info = parseMessageHeader(data);
    if (info.kind === 'schema') {
      describeSchema(data);
      dictionaryIds(data);
    }
  },
  seeds: () => sampleMessages().map((m) => m.dataHeader),
  tokens: [Uint8Array.of(0xff, 0xff, 0xff, 0xff), Uint8Array.of(0, 0, 0, 0), Uint8Array.of(4, 0, 0, 0), Uint8Array.of(0x10, 0, 0, 0)],
};

const ipcStream: FuzzTarget = {
  name: 'ipc-stream',
  run(data) {
    readIpcMessages(data);
  },
  seeds: () => {
    const messages = sampleMessages();
    const encapsulated = messages.flatMap((m) => {
      const prefix = Buffer.alloc(8);
      const padded = Math.ceil(m.dataHeader.length / 8) * 8;
      prefix.writeUInt32LE(0xffffffff, 0);
      prefix.writeInt32LE(padded, 4);
      return [prefix, Buffer.concat([Buffer.from(m.dataHeader), Buffer.alloc(padded - m.dataHeader.length)]), ...m.body];
    });
    return [concat([...encapsulated, Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0)])];
  },
  tokens: [Uint8Array.of(0xff, 0xff, 0xff, 0xff), Uint8Array.of(0, 0, 0, 0), ...text('ARROW1')],
};

/** A cursor as DoGet issues them. */
const cursor = encodeCursor({ dataset: 'd', world: 2, rank: 1, position: 3, batch: 4, done: 10, options: 0, batches: 8, rows: 800 });

const ticket: FuzzTarget = {
  name: 'ticket',
  run(data) {
    attempt(() => decodeTicket(data));
    attempt(() => decodeCursor(Buffer.from(data).toString('utf8')));
  },
  seeds: () => [
    encodeTicket({ dataset: 'train' }),
    encodeTicket({
      dataset: 'train#p0',
      global: 'train',
      offset: 4,
      runs: [{ from: 0, to: 3 }, { from: 5, to: 6 }],
      skip: 2,
      share: { world: 4, rank: 1, position: 3, options: 0, batches: 10, rows: 1000 },
      columns: [1, 0],
      shuffle: { seed: 7, epoch: 2 },
      batchRows: 64,
    }),
    Buffer.from(cursor),
  ],
  tokens: text('"v":2', '"dataset"', '"g"', '"o"', '"b"', '"k"', '"share"', '"c"', '"s"', '"br"', '"w"', '"r"', '"p"', '"n"', '"m"', '[0,1]', '-1', '1e309', '9007199254740993', 'null', '{}', '[]'),
};

const jsonCommand: FuzzTarget = {
  name: 'json-command',
  run(data) {
    // A command's columns are then looked up in a real schema (int, string and dictionary columns).
    const schema = sampleMessages()[0]!.dataHeader;
    attempt(() => {
      const request = parseFlightRequest({ type: DescriptorType.CMD, cmd: data, path: [] });
      // A query ("sql"/"filter") is bound to the schema as GetFlightInfo binds it.
      if (request.query) bindQuery(request.query, schema);
      return projectionOf(schema, request);
    });
    const path = Buffer.from(data).toString('utf8').split('/');
    attempt(() => parseFlightRequest({ type: DescriptorType.PATH, cmd: new Uint8Array(), path }));
  },
  seeds: () =>
    text(
      '{"dataset":"d","rank":1,"world_size":2}',
      '{"dataset":"d","rank":0,"world_size":1,"columns":["kind","id"],"shuffle":true,"seed":7,"epoch":3,"batch_rows":5}',
      `{"rank":0,"world_size":3,"resume":{"world_size":2,"cursors":[null,"${cursor}"]}}`,
      `{"dataset":"d","rank":1,"world_size":2,"start_after":"${cursor}"}`,
      'train/1/4',
      `{"sql":"SELECT id, kind AS k FROM d WHERE id > 3 AND kind LIKE 'a%' OR split_hash(id) < 0.5 LIMIT 5"}`,
      '{"dataset":"d","filter":"id IN (1, 2) OR kind IS NULL OR NOT (name >= \'x\')","rank":1,"world_size":2}',
    ),
  tokens: text('"id"', '"name"', '"kind"', '"dataset"', '"rank"', '"world_size"', '"start_after"', '"resume"', '"cursors"', '"columns"', '"shuffle"', '"seed"', '"epoch"', '"batch_rows"', 'true', 'null', '-1', '1e309', '0.5', '[', ']', '{', '}', ',', '"sql"', '"filter"', 'SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'LIKE', 'IN', 'CAST', ' AS ', '(', ')', "'", 'LIMIT', 'TABLESAMPLE BERNOULLI(5) REPEATABLE(1)'),
};

const protobuf: FuzzTarget = {
  name: 'protobuf',
  run(data) {
    for (const decode of [codec.decodeFlightDescriptor, codec.decodeTicket, codec.decodeAction, codec.decodeCriteria, codec.decodeHandshakeRequest]) {
      attempt(() => decode(data));
    }
  },
  seeds: () => [
    codec.encodeFlightDescriptor({ type: DescriptorType.PATH, cmd: new Uint8Array(), path: ['train', '0', '2'] }),
    codec.encodeFlightDescriptor({ type: DescriptorType.CMD, cmd: Buffer.from('{"rank":0}'), path: [] }),
    codec.encodeAction({ type: 'drop', body: Buffer.from('train') }),
    codec.encodeHandshakeRequest({ protocolVersion: 3n, payload: Buffer.from('p') }),
  ],
  tokens: [Uint8Array.of(0x08), Uint8Array.of(0x0a), Uint8Array.of(0x12), Uint8Array.of(0x1a), Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)],
};

const flightSql: FuzzTarget = {
  name: 'flight-sql',
  run(data) {
    attempt(() => decodeFlightSqlAny(data));
    // The same bytes as a prepared statement's query text: placeholders found, then bound.
    const sql = Buffer.from(data).toString('utf8');
    attempt(() => bindParameters(sql, findPlaceholders(sql).map(() => "'x'")));
  },
  seeds: () => [
    encodeFlightSqlAny({ kind: 'CommandStatementQuery', query: "SELECT a FROM t WHERE b = ? AND c = 'it''s' -- ?" }),
    encodeFlightSqlAny({ kind: 'CommandGetTables', catalog: 'flightcache', tableNameFilterPattern: 't%', tableTypes: ['TABLE'], includeSchema: true }),
    encodeFlightSqlAny({ kind: 'CommandGetSqlInfo', info: [0, 1, 504] }),
    encodeFlightSqlAny({ kind: 'ActionCreatePreparedStatementResult', preparedStatementHandle: Buffer.from('h'), datasetSchema: Buffer.from('s'), parameterSchema: new Uint8Array() }),
    ...text('SELECT $1, $2 FROM t /* ? */ WHERE "?" = $1'),
  ],
  tokens: [...text('type.googleapis.com/arrow.flight.protocol.sql.', 'CommandStatementQuery', 'CommandGetTables', '?', '$1', "'", '"', '--', '/*', '*/'), Uint8Array.of(0x0a), Uint8Array.of(0x12), Uint8Array.of(0x28)],
};

/** Every target, by name. */
export const TARGETS: readonly FuzzTarget[] = [flightData, ipcHeader, ipcStream, ticket, jsonCommand, protobuf, flightSql];
