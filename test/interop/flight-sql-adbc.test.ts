/**
 * Flight SQL from the ADBC Flight SQL driver (adbc-driver-flightsql from PyPI), pyarrow.flight, the
 * Python package's Client.query, the TS client's Connection.query and `flightcache query`, against
 * `flightcache serve` alone, with credentials, and as a coordinator with two shards:
 * test/python/flight_sql_check.py puts two datasets and reports what the Python clients see.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { tableFromIPC } from 'apache-arrow';
import { connect } from '../../client/src/dataset.js';
import { startProcess, type StartedProcess } from '../helpers/process.js';
import { repoRoot, runPython } from '../helpers/python.js';

const CLI = join(repoRoot(), 'dist', 'cache-server', 'cli', 'main.js');
process.env.PYTHONPATH = join(repoRoot(), 'client', 'python', 'src');
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

interface QueryReport {
  [check: string]: boolean | number | string[] | ClientError | null | { schema: string[]; rows: Array<Record<string, unknown>> };
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

/** What every role answers to queries, from ADBC (statements, prepared statements), pyarrow.flight and the Python package. */
function assertQueries(report: QueryReport): void {
  const ids = (...values: number[]) => ({ schema: ['id: int64'], rows: values.map((id) => ({ id })) });
  assert.deepEqual(report, {
    statement_equal: true,
    limit: ids(1, 2),
    alias: { schema: ['language: string', 'id: int64'], rows: [{ language: 'fr', id: 2 }, { language: '日本', id: 5 }] },
    computed: {
      schema: ['id: int64', 'twice: double', 'upper(train.lang): string', 'odd: bool'],
      rows: [
        { id: 2, twice: 3, 'upper(train.lang)': 'FR', odd: false },
        { id: 4, twice: null, 'upper(train.lang)': 'EN', odd: false },
        { id: 5, twice: 9, 'upper(train.lang)': '日本', odd: true },
      ],
    },
    star_equal: true,
    parameters_equal: true,
    rebound: ids(2),
    numbered: ids(2, 3),
    quote_in_parameter: ids(),
    unicode_parameter: { schema: ['id: int64', 'lang: string'], rows: [{ id: 5, lang: '日本' }] },
    date_parameter: ids(2, 3),
    empty_equal: true,
    parameter_schema: ['parameter_1: string', 'parameter_2: double', 'parameter_3: int64', 'parameter_4: string'],
    bad_column: {
      type: 'ProgrammingError',
      message: 'INVALID_ARGUMENT: [FlightSQL] unknown column "nope" in the select list (columns: id, lang, score) (InvalidArgument; Prepare)',
    },
    aggregate: {
      type: 'NotSupportedError',
      message: 'NOT_IMPLEMENTED: [FlightSQL] aggregate function count is not supported at 1:8 (Unimplemented; ExecuteQuery)',
    },
    missing_dataset: { type: 'ProgrammingError', message: 'NOT_FOUND: [FlightSQL] unknown dataset "missing" (NotFound; Prepare)' },
    parameter_count: {
      type: 'ProgrammingError',
      message: 'INVALID_ARGUMENT: [FlightSQL] the query takes 2 parameter(s) but 1 were bound (InvalidArgument; ExecuteQuery)',
    },
    plain_equal: true,
    plain_total_records: 3,
    plain_bad_sql: { type: 'ArrowInvalid', message: 'Flight returned invalid argument error, with message: unknown column "nope" in the select list (columns: id, lang, score)' },
    package_equal: true,
  });
}

/** Connection.query of the TS client: the rows of a statement, and the result schema when none match. */
async function assertTsQuery(url: string, credentials: { user?: string; password?: string } = {}): Promise<void> {
  const connection = await connect(url, credentials);
  try {
    const table = await connection.query("SELECT id, lang FROM train WHERE score > 1 AND lang <> 'fr'");
    assert.deepEqual(table.schema.fields.map((f) => `${f.name}: ${String(f.type)}`), ['id: Int64', 'lang: Utf8']);
    assert.deepEqual(table.toArray().map((row) => row.toJSON()), [{ id: 5n, lang: '日本' }]);
    const empty = await connection.query('SELECT score FROM train WHERE id > 100');
    assert.equal(empty.numRows, 0);
    assert.deepEqual(empty.schema.fields.map((f) => `${f.name}: ${String(f.type)}`), ['score: Float64']);
    await assert.rejects(connection.query('SELECT id FROM train ORDER BY id'), { code: 12, message: 'ORDER BY is not supported at 1:31' });
  } finally {
    connection.close();
  }
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

test('a single node lists its datasets as tables, runs statements and prepared statements, and refuses what it does not serve by name', async () => {
  const server = await serve();
  try {
    assertCatalog(await runPython<CatalogReport>('flight_sql_check.py', [server.url, 'catalog']));
    assertQueries(await runPython<QueryReport>('flight_sql_check.py', [server.url, 'queries']));
    await assertTsQuery(server.url);
  } finally {
    await stop(server);
  }
});

test('flightcache query prints a table, writes Arrow IPC, and fails with the core\'s status', async () => {
  const server = await serve();
  const dir = mkdtempSync(join(tmpdir(), 'flightcache-query-'));
  try {
    await runPython<CatalogReport>('flight_sql_check.py', [server.url, 'catalog']);
    const query = (...args: string[]) => promisify(execFile)(process.execPath, [CLI, 'query', '--endpoint', server.url, ...args]);
    const printed = await query("SELECT id, lang, score FROM train WHERE id <= 3 OR lang = '日本'");
    assert.equal(printed.stdout, ['id  lang  score', '--  ----  -----', '1   en    0.5', '2   fr    1.5', '3   NULL  2.5', '5   日本    4.5', '(4 rows)', ''].join('\n'));
    const file = join(dir, 'out.arrows');
    const written = await query('SELECT lang, id FROM train WHERE id >= 4', '--format', 'ipc', '--output', file);
    assert.equal(written.stdout, '');
    const table = tableFromIPC(readFileSync(file));
    assert.deepEqual(table.toArray().map((row) => row.toJSON()), [{ lang: 'en', id: 4n }, { lang: '日本', id: 5n }]);
    const none = join(dir, 'none.arrows');
    await query('SELECT id FROM train WHERE id > 100', '--format', 'ipc', '--output', none);
    assert.deepEqual(tableFromIPC(readFileSync(none)).schema.fields.map((f) => f.name), ['id']);
    await assert.rejects(query('SELECT nope FROM train'), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 1);
      assert.equal(err.stderr, 'flightcache: INVALID_ARGUMENT: unknown column "nope" in the select list (columns: id, lang, score)\n');
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await stop(server);
  }
});

test('with credentials, every client connects with username and password and sees the same', async () => {
  const server = await serve('--user', 'ada', '--password', 'lovelace');
  try {
    assertCatalog(await runPython<CatalogReport>('flight_sql_check.py', [server.url, 'catalog', 'ada', 'lovelace']));
    assertQueries(await runPython<QueryReport>('flight_sql_check.py', [server.url, 'queries', 'ada', 'lovelace']));
    await assertTsQuery(server.url, { user: 'ada', password: 'lovelace' });
  } finally {
    await stop(server);
  }
});

test('a coordinator lists the cluster datasets as tables and runs statements at its shards', async () => {
  const cluster = await serve('--shards', '2');
  try {
    assertCatalog(await runPython<CatalogReport>('flight_sql_check.py', [cluster.url, 'catalog']));
    assertQueries(await runPython<QueryReport>('flight_sql_check.py', [cluster.url, 'queries']));
    await assertTsQuery(cluster.url);
  } finally {
    await stop(cluster);
  }
});

test('a coordinator with users: drivers authenticate at the head and read the shards with the same token', async () => {
  const cluster = await serve('--shards', '2', '--user', 'ada', '--password', 'lovelace');
  try {
    await runPython<CatalogReport>('flight_sql_check.py', [cluster.url, 'catalog', 'ada', 'lovelace']);
    const report = await runPython<QueryReport>('flight_sql_check.py', [cluster.url, 'queries', 'ada', 'lovelace']);
    assert.deepEqual([report.statement_equal, report.parameters_equal, report.plain_equal, report.package_equal], [true, true, true, true]);
    await assertTsQuery(cluster.url, { user: 'ada', password: 'lovelace' });
  } finally {
    await stop(cluster);
  }
});
