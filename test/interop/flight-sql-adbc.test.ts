/**
 * Flight SQL from the ADBC Flight SQL driver (adbc-driver-flightsql from PyPI) and pyarrow.flight,
 * against `flightcache serve` alone, with credentials, and as a coordinator with two shards:
 * test/python/flight_sql_check.py puts two datasets and reports what the clients see.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { startProcess, type StartedProcess } from '../helpers/process.js';
import { repoRoot, runPython } from '../helpers/python.js';

const CLI = join(repoRoot(), 'dist', 'cache-server', 'cli', 'main.js');
const REFUSAL = 'is not supported: flightcache serves read-only queries (statements, prepared statements with parameters, SqlInfo, catalogs, schemas, tables and table types); write datasets with Flight DoPut';

interface ClientError {
  type: string;
  message: string;
}

interface CatalogReport {
  info: Record<string, string>;
  objects: Array<{ catalog: string; schema: string; table: string; type: string; columns: Array<[string, number]> }>;
  filtered: string[];
  train_schema_equal: boolean;
  valid_schema_equal: boolean;
  missing_table: ClientError | null;
  table_types: string[];
  ingest: ClientError | null;
  refused: Record<'update' | 'substrait' | 'transaction', ClientError | null>;
  plain_tables: { schema: string[]; names: string[]; train_schema_equal: boolean };
}

async function serve(...args: string[]): Promise<StartedProcess> {
  return startProcess(process.execPath, [CLI, 'serve', '--port', '0', ...args], /^flightcache ready (grpc:\/\/\S+)$/, {
    env: { ...process.env, FLIGHTCACHE_LOG_LEVEL: 'warn' },
  });
}

async function stop(server: StartedProcess): Promise<void> {
  const status = await server.stop();
  assert.deepEqual(status, { code: 0, signal: null }, `server did not exit cleanly on SIGTERM: ${server.stderr()}`);
}

/** What every role answers: the catalog as ADBC and pyarrow list it, and the refusals. */
function assertCatalog(report: CatalogReport): void {
  assert.deepEqual(report.info, { vendor_name: 'flightcache', vendor_version: '0.1.0', vendor_arrow_version: '1.5.0' });
  assert.deepEqual(report.objects, [
    { catalog: 'flightcache', schema: 'public', table: 'train', type: 'TABLE', columns: [['id', 1], ['lang', 2], ['score', 3]] },
    { catalog: 'flightcache', schema: 'public', table: 'valid', type: 'TABLE', columns: [['id', 1]] },
  ]);
  assert.deepEqual(report.filtered, ['train']);
  assert.equal(report.train_schema_equal, true);
  assert.equal(report.valid_schema_equal, true);
  assert.deepEqual(report.missing_table, { type: 'ProgrammingError', message: 'NOT_FOUND: No table found' });
  assert.deepEqual(report.table_types, ['TABLE']);
  assert.deepEqual(report.ingest, {
    type: 'NotSupportedError',
    message: `NOT_IMPLEMENTED: [FlightSQL] Flight SQL CommandStatementIngest ${REFUSAL} (Unimplemented; FlightSQL.BulkIngest.Execute)`,
  });
  const unimplemented = (name: string): ClientError => ({ type: 'ArrowNotImplementedError', message: `Flight returned unimplemented error, with message: Flight SQL ${name} ${REFUSAL}` });
  assert.deepEqual(report.refused, {
    update: unimplemented('CommandStatementUpdate'),
    substrait: unimplemented('CommandStatementSubstraitPlan'),
    transaction: unimplemented('BeginTransaction'),
  });
  assert.deepEqual(report.plain_tables, {
    schema: ['catalog_name: string', 'db_schema_name: string', 'table_name: string not null', 'table_type: string not null', 'table_schema: binary not null'],
    names: ['train', 'valid'],
    train_schema_equal: true,
  });
}

test('a single node lists its datasets as tables to ADBC and pyarrow.flight, and refuses what it does not serve by name', async () => {
  const server = await serve();
  try {
    assertCatalog(await runPython<CatalogReport>('flight_sql_check.py', [server.url, 'catalog']));
  } finally {
    await stop(server);
  }
});

test('with credentials, ADBC connects with username and password and sees the same', async () => {
  const server = await serve('--user', 'ada', '--password', 'lovelace');
  try {
    assertCatalog(await runPython<CatalogReport>('flight_sql_check.py', [server.url, 'catalog', 'ada', 'lovelace']));
  } finally {
    await stop(server);
  }
});

test('a coordinator lists the cluster datasets as tables', async () => {
  const cluster = await serve('--shards', '2');
  try {
    assertCatalog(await runPython<CatalogReport>('flight_sql_check.py', [cluster.url, 'catalog']));
  } finally {
    await stop(cluster);
  }
});
