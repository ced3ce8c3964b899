/**
 * The answer to CommandGetSqlInfo: the server facts an ADBC or JDBC driver asks for on connecting
 * (name, version, read-only, SQL yes, Substrait and transactions no), as the spec's
 * <info_name: uint32, value: dense_union<...>> table.
 */
import { DenseUnion, Field, Int32, Int64, List, Map_, Schema, Struct, Table, Uint32, Bool, Utf8, makeData, type Data } from 'apache-arrow';
import { columnOf, stringColumn, tableOf } from './result-table.js';

/** SqlInfo ids (FlightSql.proto enum SqlInfo) that flightcache answers. */
export const SqlInfo = {
  FLIGHT_SQL_SERVER_NAME: 0,
  FLIGHT_SQL_SERVER_VERSION: 1,
  FLIGHT_SQL_SERVER_ARROW_VERSION: 2,
  FLIGHT_SQL_SERVER_READ_ONLY: 3,
  FLIGHT_SQL_SERVER_SQL: 4,
  FLIGHT_SQL_SERVER_SUBSTRAIT: 5,
  FLIGHT_SQL_SERVER_TRANSACTION: 8,
  FLIGHT_SQL_SERVER_CANCEL: 9,
  FLIGHT_SQL_SERVER_STATEMENT_TIMEOUT: 100,
  FLIGHT_SQL_SERVER_TRANSACTION_TIMEOUT: 101,
  SQL_DDL_CATALOG: 500,
  SQL_DDL_SCHEMA: 501,
  SQL_DDL_TABLE: 502,
  SQL_IDENTIFIER_QUOTE_CHAR: 504,
  SQL_ALL_TABLES_ARE_SELECTABLE: 506,
  SQL_SUPPORTS_COLUMN_ALIASING: 515,
} as const;

/** A value of the union: its member (type code) and the value. */
type InfoValue = { code: 0; value: string } | { code: 1; value: boolean } | { code: 2; value: bigint } | { code: 3; value: number };

const str = (value: string): InfoValue => ({ code: 0, value });
const bool = (value: boolean): InfoValue => ({ code: 1, value });
const int32 = (value: number): InfoValue => ({ code: 3, value });

/** What this server answers, by id. `version` is flightcache's. */
function infoValues(version: string): Map<number, InfoValue> {
  return new Map<number, InfoValue>([
    [SqlInfo.FLIGHT_SQL_SERVER_NAME, str('flightcache')],
    [SqlInfo.FLIGHT_SQL_SERVER_VERSION, str(version)],
    // The Arrow columnar format version of the IPC messages served (MetadataVersion V5).
    [SqlInfo.FLIGHT_SQL_SERVER_ARROW_VERSION, str('1.5.0')],
    // Datasets are written with plain Flight DoPut, never through Flight SQL.
    [SqlInfo.FLIGHT_SQL_SERVER_READ_ONLY, bool(true)],
    [SqlInfo.FLIGHT_SQL_SERVER_SQL, bool(true)],
    [SqlInfo.FLIGHT_SQL_SERVER_SUBSTRAIT, bool(false)],
    // SqlSupportedTransaction NONE.
    [SqlInfo.FLIGHT_SQL_SERVER_TRANSACTION, int32(0)],
    [SqlInfo.FLIGHT_SQL_SERVER_CANCEL, bool(false)],
    // Prepared statements live until closed (or the server restarts).
    [SqlInfo.FLIGHT_SQL_SERVER_STATEMENT_TIMEOUT, int32(0)],
    [SqlInfo.FLIGHT_SQL_SERVER_TRANSACTION_TIMEOUT, int32(0)],
    [SqlInfo.SQL_DDL_CATALOG, bool(false)],
    [SqlInfo.SQL_DDL_SCHEMA, bool(false)],
    [SqlInfo.SQL_DDL_TABLE, bool(false)],
    [SqlInfo.SQL_IDENTIFIER_QUOTE_CHAR, str('"')],
    [SqlInfo.SQL_ALL_TABLES_ARE_SELECTABLE, bool(true)],
    [SqlInfo.SQL_SUPPORTS_COLUMN_ALIASING, bool(true)],
  ]);
}

const MEMBERS = [
  new Field('string_value', new Utf8(), false),
  new Field('bool_value', new Bool(), false),
  new Field('bigint_value', new Int64(), false),
  new Field('int32_bitmask', new Int32(), false),
  new Field('string_list', new List(new Field('item', new Utf8(), true)), false),
  new Field(
    'int32_to_int32_list_map',
    new Map_(new Field('entries', new Struct<{ key: Int32; value: List<Int32> }>([new Field('key', new Int32(), false), new Field('value', new List(new Field('item', new Int32(), true)), true)]), false)),
    false,
  ),
];
const VALUE_TYPE = new DenseUnion([0, 1, 2, 3, 4, 5], MEMBERS);

/** The schema of a CommandGetSqlInfo result. */
export const SQL_INFO_SCHEMA = new Schema([new Field('info_name', new Uint32(), false), new Field('value', VALUE_TYPE, false)]);

/** An empty member column (no value of the union uses it). */
function emptyMember(field: Field): Data {
  const type = field.type;
  if (type instanceof List) return makeData({ type, length: 0, nullCount: 0, valueOffsets: new Int32Array([0]), child: emptyMember(type.children[0]!) });
  if (type instanceof Map_) return makeData({ type, length: 0, nullCount: 0, valueOffsets: new Int32Array([0]), child: emptyMember(type.children[0]!) });
  if (type instanceof Struct) return makeData({ type, length: 0, nullCount: 0, children: type.children.map(emptyMember) });
  return columnOf([], type);
}

/** The CommandGetSqlInfo table for the ids asked (all it knows when none are), in the order asked. */
export function sqlInfoTable(ids: readonly number[], version: string): Table {
  const known = infoValues(version);
  const rows = (ids.length === 0 ? [...known.keys()] : ids.filter((id) => known.has(id))).map((id) => ({ id, ...known.get(id)! }));
  if (rows.length === 0) return tableOf(SQL_INFO_SCHEMA, []);
  const members = MEMBERS.map((field, code) => {
    const values = rows.filter((r) => r.code === code).map((r) => r.value);
    if (values.length === 0) return emptyMember(field);
    return code === 0 ? stringColumn(values as string[]) : columnOf(values, field.type);
  });
  const seen = [0, 0, 0, 0];
  const offsets = new Int32Array(rows.map((r) => seen[r.code]!++));
  const value = makeData({
    type: VALUE_TYPE,
    length: rows.length,
    nullCount: 0,
    typeIds: new Int8Array(rows.map((r) => r.code)),
    valueOffsets: offsets,
    children: members,
  });
  return tableOf(SQL_INFO_SCHEMA, [columnOf(rows.map((r) => r.id), new Uint32()), value]);
}
