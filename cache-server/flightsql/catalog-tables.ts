/**
 * The answers to CommandGetCatalogs, CommandGetDbSchemas, CommandGetTables and CommandGetTableTypes.
 * Every dataset a caller may read is a TABLE in the one catalog "flightcache" and its one schema
 * "public"; a query names it by its dataset name alone (FROM train).
 */
import { Binary, Field, Schema, Table } from 'apache-arrow';
import { binaryColumn, stringColumn, tableOf, utf8Field } from './result-table.js';
import type { FlightSqlMessage } from '../../client/src/flight/protocol/flight-sql.js';

/** The catalog every dataset is listed in. */
export const CATALOG = 'flightcache';
/** The database schema every dataset is listed in. */
export const DB_SCHEMA = 'public';
/** The one table type. */
export const TABLE_TYPE = 'TABLE';

/** A dataset as a table: its name and its Arrow schema as an encapsulated IPC message. */
export interface CatalogTable {
  readonly name: string;
  readonly schema: Uint8Array;
}

const CATALOGS = new Schema([utf8Field('catalog_name', false)]);
const DB_SCHEMAS = new Schema([utf8Field('catalog_name', true), utf8Field('db_schema_name', false)]);
const TABLE_FIELDS = [utf8Field('catalog_name', true), utf8Field('db_schema_name', true), utf8Field('table_name', false), utf8Field('table_type', false)];
const TABLES = new Schema(TABLE_FIELDS);
const TABLES_WITH_SCHEMA = new Schema([...TABLE_FIELDS, new Field('table_schema', new Binary(), false)]);
const TABLE_TYPES = new Schema([utf8Field('table_type', false)]);

/** Whether `value` matches a Flight SQL filter pattern ("%": any run of characters, "_": one character). */
export function matchesPattern(value: string, pattern: string | undefined): boolean {
  if (pattern === undefined) return true;
  const regex = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(`^${regex}$`, 's').test(value);
}

/** Whether a `catalog` argument (undefined: any) selects the one catalog. */
const catalogSelected = (catalog: string | undefined): boolean => catalog === undefined || catalog === CATALOG;

/** CommandGetCatalogs: the one catalog. */
export function catalogsTable(): Table {
  return tableOf(CATALOGS, [stringColumn([CATALOG])]);
}

/** CommandGetDbSchemas: the one schema, when the catalog and pattern select it. */
export function dbSchemasTable(command: Extract<FlightSqlMessage, { kind: 'CommandGetDbSchemas' }>): Table {
  const selected = catalogSelected(command.catalog) && matchesPattern(DB_SCHEMA, command.dbSchemaFilterPattern);
  return tableOf(DB_SCHEMAS, selected ? [stringColumn([CATALOG]), stringColumn([DB_SCHEMA])] : []);
}

/** CommandGetTables: the readable datasets the filters select, by name, with their schemas when asked. */
export function tablesTable(command: Extract<FlightSqlMessage, { kind: 'CommandGetTables' }>, tables: readonly CatalogTable[]): Table {
  const selected =
    catalogSelected(command.catalog) &&
    matchesPattern(DB_SCHEMA, command.dbSchemaFilterPattern) &&
    (command.tableTypes.length === 0 || command.tableTypes.includes(TABLE_TYPE));
  const rows = selected
    ? tables.filter((t) => matchesPattern(t.name, command.tableNameFilterPattern)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    : [];
  const schema = command.includeSchema ? TABLES_WITH_SCHEMA : TABLES;
  if (rows.length === 0) return tableOf(schema, []);
  const columns = [
    stringColumn(rows.map(() => CATALOG)),
    stringColumn(rows.map(() => DB_SCHEMA)),
    stringColumn(rows.map((t) => t.name)),
    stringColumn(rows.map(() => TABLE_TYPE)),
  ];
  if (command.includeSchema) columns.push(binaryColumn(rows.map((t) => t.schema)));
  return tableOf(schema, columns);
}

/** CommandGetTableTypes: TABLE. */
export function tableTypesTable(): Table {
  return tableOf(TABLE_TYPES, [stringColumn([TABLE_TYPE])]);
}
