/**
 * Flight SQL (arrow.flight.protocol.sql) on top of a node's or a coordinator's FlightService.
 * Descriptors, tickets and action bodies that hold a google.protobuf.Any of a Flight SQL message are
 * answered here; everything else goes to the wrapped service unchanged. A statement runs through the
 * wrapped service's own SQL command (`{"sql": ...}` in a GetFlightInfo descriptor): its endpoints'
 * tickets are that command's tickets inside TicketStatementQuery, which DoGet unwraps and hands back,
 * so authorization, shares and streaming are the plain Flight path's. Metadata results (catalogs,
 * schemas, tables, table types, SqlInfo) are small tables served by whichever process was asked.
 */
import { readFileSync } from 'node:fs';
import { Schema, type RecordBatch, type Table } from 'apache-arrow';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { CallContext } from '../../client/src/flight/grpc/method.js';
import type { FlightService } from '../../client/src/flight/service.js';
import { ArrowStreamDecoder, encodeTable, schemaFromFlatbuffer } from '../../client/src/flight/protocol/arrow-codec.js';
import { extractSchemaFromEncapsulated } from '../../client/src/flight/protocol/ipc-message.js';
import {
  decodeFlightSqlAny,
  decodeFlightSqlAs,
  encodeFlightSqlAny,
  encodeFlightSqlValue,
  looksLikeAny,
  type FlightSqlMessage,
  type UnsupportedFlightSqlMessage,
} from '../../client/src/flight/protocol/flight-sql.js';
import {
  DescriptorType,
  type Action,
  type ActionType,
  type FlightData,
  type FlightDescriptor,
  type FlightInfo,
  type OutgoingFlightData,
  type PutResult,
  type Result,
} from '../../client/src/flight/protocol/messages.js';
import { identityOf } from '../auth/token-auth.js';
import { releaseCallAllocations } from '../node/node-service.js';
import { catalogsTable, dbSchemasTable, tablesTable, tableTypesTable, type CatalogTable } from './catalog-tables.js';
import { encapsulatedSchema } from './result-table.js';
import { bindParameters, parameterLiterals } from './parameters.js';
import { parameterSchema } from './parameter-schema.js';
import { PreparedStatements } from './prepared-statements.js';
import { sqlInfoTable } from './sql-info.js';

/** Flight SQL action types flightcache serves. */
const CREATE = 'CreatePreparedStatement';
const CLOSE = 'ClosePreparedStatement';
/** Flight SQL action types flightcache refuses with UNIMPLEMENTED. */
const UNSUPPORTED_ACTIONS = ['CreatePreparedSubstraitPlan', 'BeginTransaction', 'BeginSavepoint', 'EndTransaction', 'EndSavepoint', 'CancelQuery'];

const EMPTY: Uint8Array = new Uint8Array(0);
const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

type Metadata = Extract<FlightSqlMessage, { kind: 'CommandGetSqlInfo' | 'CommandGetCatalogs' | 'CommandGetDbSchemas' | 'CommandGetTables' | 'CommandGetTableTypes' }>;
const METADATA_KINDS: readonly string[] = ['CommandGetSqlInfo', 'CommandGetCatalogs', 'CommandGetDbSchemas', 'CommandGetTables', 'CommandGetTableTypes'];

/** The wrapped service's SQL command for `sql`: the one way a query runs. */
function sqlCommand(sql: string): FlightDescriptor {
  return { type: DescriptorType.CMD, cmd: new TextEncoder().encode(JSON.stringify({ sql })), path: [] };
}

/** UNIMPLEMENTED naming a Flight SQL message or action flightcache does not serve. */
function unsupported(name: string): FlightError {
  return new FlightError(
    Code.UNIMPLEMENTED,
    `Flight SQL ${name} is not supported: flightcache serves read-only queries (statements, prepared statements with parameters, ` +
      'SqlInfo, catalogs, schemas, tables and table types); write datasets with Flight DoPut',
  );
}

/** Refuses a transaction id: every query runs on its own. */
function noTransaction(transactionId: Uint8Array | undefined): void {
  if (transactionId !== undefined) throw unsupported('transactions (transaction_id)');
}

/** The Flight SQL message of a descriptor, or undefined when it is a plain Flight descriptor. */
function flightSqlCommand(descriptor: FlightDescriptor): FlightSqlMessage | UnsupportedFlightSqlMessage | undefined {
  if (descriptor.type !== DescriptorType.CMD || !looksLikeAny(descriptor.cmd)) return undefined;
  return decodeFlightSqlAny(descriptor.cmd);
}

const userOf = (ctx: CallContext): string => identityOf(ctx)?.user ?? '';

/** Wraps `inner` (a node's or coordinator's service, authorization included) with Flight SQL. */
export function withFlightSql(inner: FlightService): FlightService {
  const prepared = new PreparedStatements();

  /** The SQL a statement or prepared-statement command runs (parameters substituted). */
  function statementSql(command: FlightSqlMessage, ctx: CallContext): string | undefined {
    if (command.kind === 'CommandStatementQuery') {
      noTransaction(command.transactionId);
      return command.query;
    }
    if (command.kind !== 'CommandPreparedStatementQuery') return undefined;
    const statement = prepared.get(command.preparedStatementHandle, userOf(ctx));
    return bindParameters(statement.query, statement.literals ?? []);
  }

  /** The datasets the caller may read, as tables (ListFlights of the wrapped service filters by scope). */
  async function readableTables(ctx: CallContext): Promise<CatalogTable[]> {
    const tables: CatalogTable[] = [];
    for await (const info of inner.listFlights({ expression: EMPTY }, ctx)) {
      const name = info.flightDescriptor?.path[0];
      if (name !== undefined) tables.push({ name, schema: info.schema });
    }
    return tables;
  }

  async function metadataTable(command: Metadata, ctx: CallContext): Promise<Table> {
    switch (command.kind) {
      case 'CommandGetSqlInfo':
        return sqlInfoTable(command.info, VERSION);
      case 'CommandGetCatalogs':
        return catalogsTable();
      case 'CommandGetDbSchemas':
        return dbSchemasTable(command);
      case 'CommandGetTables':
        return tablesTable(command, await readableTables(ctx));
      case 'CommandGetTableTypes':
        return tableTypesTable();
    }
  }

  /** Checks a decoded command is one GetFlightInfo/GetSchema serve. */
  function servedCommand(command: FlightSqlMessage | UnsupportedFlightSqlMessage): FlightSqlMessage {
    if (command.kind === 'unsupported') throw unsupported(command.name);
    if (command.kind === 'CommandStatementQuery' || command.kind === 'CommandPreparedStatementQuery' || METADATA_KINDS.includes(command.kind)) return command;
    throw new FlightError(Code.INVALID_ARGUMENT, `Flight SQL ${command.kind} is not a command: send it where the protocol says (a ticket or an action body)`);
  }

  async function getFlightInfo(descriptor: FlightDescriptor, ctx: CallContext): Promise<FlightInfo> {
    const decoded = flightSqlCommand(descriptor);
    if (!decoded) return inner.getFlightInfo(descriptor, ctx);
    const command = servedCommand(decoded);
    const sql = statementSql(command, ctx);
    if (sql !== undefined) {
      const info = await inner.getFlightInfo(sqlCommand(sql), ctx);
      return {
        ...info,
        flightDescriptor: descriptor,
        endpoints: info.endpoints.map((e) => ({ ...e, ticket: { ticket: encodeFlightSqlAny({ kind: 'TicketStatementQuery', statementHandle: e.ticket.ticket }) } })),
      };
    }
    const table = await metadataTable(command as Metadata, ctx);
    return {
      schema: encapsulatedSchema(table.schema),
      flightDescriptor: descriptor,
      // No location: read the ticket from this same server.
      endpoints: [{ ticket: { ticket: descriptor.cmd.slice() }, locations: [], appMetadata: EMPTY }],
      totalRecords: BigInt(table.numRows),
      totalBytes: -1n,
      ordered: true,
      appMetadata: EMPTY,
    };
  }

  async function* bindParametersPut(command: FlightSqlMessage | UnsupportedFlightSqlMessage, data: AsyncIterable<FlightData>, ctx: CallContext): AsyncIterable<PutResult> {
    if (command.kind === 'unsupported') throw unsupported(command.name);
    if (command.kind !== 'CommandPreparedStatementQuery') {
      throw new FlightError(Code.INVALID_ARGUMENT, `Flight SQL ${command.kind} cannot be sent with DoPut: DoPut binds the parameters of a CommandPreparedStatementQuery`);
    }
    const statement = prepared.get(command.preparedStatementHandle, userOf(ctx));
    const decoder = new ArrowStreamDecoder();
    const batches: RecordBatch[] = [];
    for await (const message of data) {
      const decoded = decoder.decode(message.dataHeader, message.dataBody);
      if (decoded.kind === 'batch') batches.push(decoded.batch);
    }
    const literals = parameterLiterals(batches);
    // Checked now, so a mismatch fails the bind rather than the later execution.
    bindParameters(statement.query, literals);
    statement.literals = literals;
    yield { appMetadata: encodeFlightSqlValue({ kind: 'DoPutPreparedStatementResult', preparedStatementHandle: command.preparedStatementHandle }) };
  }

  async function* createPrepared(action: Action, ctx: CallContext): AsyncIterable<Result> {
    const request = decodeFlightSqlAs(action.body, 'ActionCreatePreparedStatementRequest');
    noTransaction(request.transactionId);
    // Parameters are typed from the columns they are compared with (JDBC binds by these types).
    const parameters = await parameterSchema(request.query, async (dataset) => {
      const { schema } = await inner.getSchema({ type: DescriptorType.PATH, cmd: EMPTY, path: [dataset] }, ctx);
      try {
        return schemaFromFlatbuffer(extractSchemaFromEncapsulated(schema));
      } catch (err) {
        // A column type apache-arrow JS cannot decode: the parameters go untyped (utf8) rather than the prepare failing.
        if (err instanceof FlightError && err.code === Code.UNIMPLEMENTED) return new Schema([]);
        throw err;
      }
    });
    // A query without parameters is planned now: bad SQL fails the prepare, and the result schema is known.
    const datasetSchema = parameters ? EMPTY : (await inner.getSchema(sqlCommand(request.query), ctx)).schema;
    const handle = prepared.create(request.query, userOf(ctx));
    const parameterSchemaBytes = parameters ? encapsulatedSchema(parameters) : EMPTY;
    yield { body: encodeFlightSqlAny({ kind: 'ActionCreatePreparedStatementResult', preparedStatementHandle: handle, datasetSchema, parameterSchema: parameterSchemaBytes }) };
  }

  return {
    handshake: (requests, ctx) => inner.handshake(requests, ctx),
    listFlights: (criteria, ctx) => inner.listFlights(criteria, ctx),
    getFlightInfo,
    async pollFlightInfo(descriptor, ctx) {
      if (!flightSqlCommand(descriptor)) return inner.pollFlightInfo(descriptor, ctx);
      return { info: await getFlightInfo(descriptor, ctx), progress: 1 };
    },
    async getSchema(descriptor, ctx) {
      const decoded = flightSqlCommand(descriptor);
      if (!decoded) return inner.getSchema(descriptor, ctx);
      const command = servedCommand(decoded);
      const sql = statementSql(command, ctx);
      if (sql !== undefined) return inner.getSchema(sqlCommand(sql), ctx);
      return { schema: encapsulatedSchema((await metadataTable(command as Metadata, ctx)).schema) };
    },
    async *doGet(ticket, ctx): AsyncIterable<OutgoingFlightData> {
      if (!looksLikeAny(ticket.ticket)) return yield* inner.doGet(ticket, ctx);
      const command = decodeFlightSqlAny(ticket.ticket);
      if (command.kind === 'TicketStatementQuery') return yield* inner.doGet({ ticket: command.statementHandle }, ctx);
      if (command.kind === 'unsupported') throw unsupported(command.name);
      if (!METADATA_KINDS.includes(command.kind)) throw new FlightError(Code.INVALID_ARGUMENT, `Flight SQL ${command.kind} is not a ticket`);
      yield* encodeTable(await metadataTable(command as Metadata, ctx));
    },
    async *doPut(data, ctx) {
      const iterator = data[Symbol.asyncIterator]();
      const first = await iterator.next();
      async function* all(): AsyncIterable<FlightData> {
        if (first.done) return;
        yield first.value;
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
      }
      const descriptor = first.done ? undefined : first.value.flightDescriptor;
      const command = descriptor && flightSqlCommand(descriptor);
      if (!command) return yield* inner.doPut(all(), ctx);
      try {
        yield* bindParametersPut(command, all(), ctx);
      } finally {
        // The wrapped service's body allocator placed the parameter batches; nothing keeps them.
        releaseCallAllocations(ctx);
      }
    },
    doExchange: (data, ctx) => inner.doExchange(data, ctx),
    async *doAction(action, ctx) {
      if (action.type === CREATE) return yield* createPrepared(action, ctx);
      if (action.type === CLOSE) {
        prepared.close(decodeFlightSqlAs(action.body, 'ActionClosePreparedStatementRequest').preparedStatementHandle, userOf(ctx));
        return;
      }
      if (UNSUPPORTED_ACTIONS.includes(action.type)) throw unsupported(action.type);
      yield* inner.doAction(action, ctx);
    },
    async *listActions(ctx): AsyncIterable<ActionType> {
      yield* inner.listActions(ctx);
      yield { type: CREATE, description: 'Flight SQL: prepare a query (ActionCreatePreparedStatementRequest in an Any); ? or $N placeholders take parameters bound with DoPut' };
      yield { type: CLOSE, description: 'Flight SQL: close a prepared statement (ActionClosePreparedStatementRequest in an Any)' };
    },
    bodyAllocator: (ctx) => inner.bodyAllocator(ctx),
  };
}
