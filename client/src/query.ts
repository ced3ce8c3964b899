/**
 * SQL queries over Flight SQL: a CommandStatementQuery sent with GetFlightInfo to the head (a node or
 * a coordinator), whose endpoints are read in order, each from the first of its locations that
 * answers. An endpoint's stream is taken whole before it counts, so a replica that fails midway
 * adds no row twice.
 */
import { Table, type RecordBatch } from 'apache-arrow';
import type { FlightData, FlightInfo } from './flight/protocol/messages.js';
import { ArrowStreamDecoder, schemaFromFlatbuffer } from './flight/protocol/arrow-codec.js';
import { encodeFlightSqlAny } from './flight/protocol/flight-sql.js';
import { extractSchemaFromEncapsulated } from './flight/protocol/ipc-message.js';
import type { CallOptions } from './flight/grpc/method.js';
import { cmdDescriptor } from './flight-client.js';
import { isFailover, type LocationClients } from './share-reader.js';

/** The FlightInfo of a statement: its result schema and the endpoints that stream it. */
export function queryInfo(clients: LocationClients, sql: string, options: CallOptions = {}): Promise<FlightInfo> {
  return clients.head.getFlightInfo(cmdDescriptor(encodeFlightSqlAny({ kind: 'CommandStatementQuery', query: sql })), options);
}

/** The raw FlightData of each endpoint of a statement's result, one complete stream per endpoint, in order. */
export async function* queryStreams(clients: LocationClients, info: FlightInfo, options: CallOptions = {}): AsyncIterable<FlightData[]> {
  for (const endpoint of info.endpoints) {
    const locations = endpoint.locations.length === 0 ? [''] : endpoint.locations.map((l) => l.uri);
    for (let i = 0; i < locations.length; i++) {
      try {
        const stream: FlightData[] = [];
        for await (const data of clients.get(locations[i]!).doGetRaw(endpoint.ticket, options)) stream.push(data);
        yield stream;
        break;
      } catch (err) {
        if (i === locations.length - 1 || !isFailover(err)) throw err;
      }
    }
  }
}

/** Runs a statement and reads its whole result into a Table (the result schema's, when no row matched). */
export async function queryTable(clients: LocationClients, sql: string, options: CallOptions = {}): Promise<Table> {
  const info = await queryInfo(clients, sql, options);
  const batches: RecordBatch[] = [];
  for await (const stream of queryStreams(clients, info, options)) {
    const decoder = new ArrowStreamDecoder();
    for (const data of stream) {
      const decoded = decoder.decode(data.dataHeader, data.dataBody);
      if (decoded.kind === 'batch') batches.push(decoded.batch);
    }
  }
  return batches.length > 0 ? new Table(batches) : new Table(schemaFromFlatbuffer(extractSchemaFromEncapsulated(info.schema)));
}
