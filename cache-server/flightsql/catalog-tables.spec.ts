import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Table, Type } from 'apache-arrow';
import { catalogsTable, dbSchemasTable, matchesPattern, tablesTable, tableTypesTable, type CatalogTable } from './catalog-tables.js';
import { sqlInfoTable, SqlInfo } from './sql-info.js';

const rows = (table: Table): unknown[] => table.toArray().map((row) => ({ ...row.toJSON() }));
const fields = (table: Table): string[] => table.schema.fields.map((f) => `${f.name}: ${String(f.type)}${f.nullable ? '' : ' not null'}`);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

const TABLES: CatalogTable[] = [
  { name: 'valid', schema: utf8('schema of valid') },
  { name: 'train', schema: utf8('schema of train') },
  { name: 'train_2', schema: utf8('schema of train_2') },
];

test('filter patterns: % any run, _ one character, everything else literal', () => {
  assert.equal(matchesPattern('train_2', 'train%'), true);
  assert.equal(matchesPattern('trainX2', 'train_2'), true);
  assert.equal(matchesPattern('train', 'train_'), false);
  assert.equal(matchesPattern('a.b', 'a.b'), true);
  assert.equal(matchesPattern('axb', 'a.b'), false);
  assert.equal(matchesPattern('anything', undefined), true);
});

test('one catalog, flightcache, with one schema, public', () => {
  assert.deepStrictEqual(fields(catalogsTable()), ['catalog_name: Utf8 not null']);
  assert.deepStrictEqual(rows(catalogsTable()), [{ catalog_name: 'flightcache' }]);
  assert.deepStrictEqual(fields(dbSchemasTable({ kind: 'CommandGetDbSchemas' })), ['catalog_name: Utf8', 'db_schema_name: Utf8 not null']);
  assert.deepStrictEqual(rows(dbSchemasTable({ kind: 'CommandGetDbSchemas' })), [{ catalog_name: 'flightcache', db_schema_name: 'public' }]);
  assert.deepStrictEqual(rows(dbSchemasTable({ kind: 'CommandGetDbSchemas', catalog: '' })), []);
  assert.deepStrictEqual(rows(dbSchemasTable({ kind: 'CommandGetDbSchemas', dbSchemaFilterPattern: 'pub%' })), [{ catalog_name: 'flightcache', db_schema_name: 'public' }]);
});

test('tables are the datasets sorted by name, filtered by name pattern and type, with schemas when asked', () => {
  const plain = tablesTable({ kind: 'CommandGetTables', tableTypes: [], includeSchema: false }, TABLES);
  assert.deepStrictEqual(fields(plain), ['catalog_name: Utf8', 'db_schema_name: Utf8', 'table_name: Utf8 not null', 'table_type: Utf8 not null']);
  assert.deepStrictEqual(rows(plain).map((r) => (r as { table_name: string }).table_name), ['train', 'train_2', 'valid']);
  const withSchema = tablesTable({ kind: 'CommandGetTables', tableNameFilterPattern: 'train%', tableTypes: ['TABLE'], includeSchema: true }, TABLES);
  assert.deepStrictEqual(fields(withSchema).at(-1), 'table_schema: Binary not null');
  assert.deepStrictEqual(rows(withSchema), [
    { catalog_name: 'flightcache', db_schema_name: 'public', table_name: 'train', table_type: 'TABLE', table_schema: utf8('schema of train') },
    { catalog_name: 'flightcache', db_schema_name: 'public', table_name: 'train_2', table_type: 'TABLE', table_schema: utf8('schema of train_2') },
  ]);
  assert.equal(tablesTable({ kind: 'CommandGetTables', tableTypes: ['VIEW'], includeSchema: false }, TABLES).numRows, 0);
  assert.equal(tablesTable({ kind: 'CommandGetTables', catalog: 'other', tableTypes: [], includeSchema: false }, TABLES).numRows, 0);
});

test('the one table type is TABLE', () => {
  assert.deepStrictEqual(rows(tableTypesTable()), [{ table_type: 'TABLE' }]);
});

test('SqlInfo answers the ids asked, in order, in the spec dense union', () => {
  const table = sqlInfoTable([SqlInfo.FLIGHT_SQL_SERVER_NAME, 12345, SqlInfo.FLIGHT_SQL_SERVER_READ_ONLY, SqlInfo.FLIGHT_SQL_SERVER_TRANSACTION, SqlInfo.FLIGHT_SQL_SERVER_VERSION], '9.9.9');
  assert.deepStrictEqual(fields(table)[0], 'info_name: Uint32 not null');
  const union = table.schema.fields[1]!;
  assert.equal(union.type.typeId, Type.Union);
  assert.deepStrictEqual(union.type.children.map((f: { name: string }) => f.name), ['string_value', 'bool_value', 'bigint_value', 'int32_bitmask', 'string_list', 'int32_to_int32_list_map']);
  assert.deepStrictEqual(rows(table), [
    { info_name: 0, value: 'flightcache' },
    { info_name: 3, value: true },
    { info_name: 8, value: 0 },
    { info_name: 1, value: '9.9.9' },
  ]);
  assert.equal(sqlInfoTable([], '1').numRows, 16);
});
