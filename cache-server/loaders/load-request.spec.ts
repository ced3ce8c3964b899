import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { parseLoadRequest } from './load-request.js';

const rejects = (body: string, message: RegExp): void =>
  assert.throws(() => parseLoadRequest(body), (err: unknown) => err instanceof FlightError && err.code === Code.INVALID_ARGUMENT && message.test(err.message));

test('parseLoadRequest takes name, source, format and the options', () => {
  assert.deepEqual(parseLoadRequest(JSON.stringify({ name: 'n', source: '/d', format: 'csv', options: { columns: ['a'], split: 'train', schema: { a: 'int64' } } })), {
    name: 'n',
    source: '/d',
    format: 'csv',
    columns: ['a'],
    split: 'train',
    schema: { a: 'int64' },
  });
  assert.deepEqual(parseLoadRequest('{"name":"n","source":"/d"}'), { name: 'n', source: '/d' });
});

test('parseLoadRequest takes an Iceberg snapshot id (as text, or a number below 2^53) and partition values', () => {
  const body = (options: object): string => JSON.stringify({ name: 'n', source: '/t', format: 'iceberg', options });
  assert.deepEqual(parseLoadRequest(body({ snapshot: '9876543210123456789', partitions: { region: ['eu', 'us'] } })), {
    name: 'n', source: '/t', format: 'iceberg', snapshot: '9876543210123456789', partitions: { region: ['eu', 'us'] },
  });
  assert.equal(parseLoadRequest(body({ snapshot: 12 })).snapshot, '12');
  rejects(body({ snapshot: 'latest' }), /^"snapshot" must be a snapshot id$/);
  rejects(body({ snapshot: 2 ** 60 }), /^"snapshot" must be a snapshot id$/);
  rejects(body({ partitions: { region: [] } }), /^"partitions" must map partition columns to non-empty arrays of values/);
  rejects(body({ partitions: { region: 'eu' } }), /^"partitions" must map partition columns to non-empty arrays of values/);
});

test('parseLoadRequest takes S3 settings and refuses unknown or empty ones', () => {
  const body = (s3: object): string => JSON.stringify({ name: 'n', source: 's3://b/k', options: { s3 } });
  assert.deepEqual(parseLoadRequest(body({ profile: 'p', endpoint: 'http://h:1', region: 'r' })).s3, { profile: 'p', endpoint: 'http://h:1', region: 'r' });
  rejects(body({ bucket: 'x' }), /^"s3" must be an object of non-empty strings among profile, endpoint, region, accessKeyId, secretAccessKey, sessionToken$/);
  rejects(body({ profile: '' }), /^"s3" must be an object of non-empty strings/);
});

test('parseLoadRequest rejects bad bodies with what is wrong', () => {
  rejects('nope', /the body is not JSON$/);
  rejects('{"name":"n"}', /^load needs a JSON body/);
  rejects('{"name":"a/b","source":"/d"}', /must not contain '\/'/);
  rejects('{"name":"n","source":"/d","format":"xls"}', /^unknown format "xls"; known formats: parquet, ipc, csv, jsonl, iceberg$/);
  rejects('{"name":"n","source":"/d","options":{"columns":[]}}', /^"columns" must be a non-empty array of column names$/);
  rejects('{"name":"n","source":"/d","options":{"schema":{"a":1}}}', /^"schema" must map column names to type names$/);
});

test('parseLoadRequest takes a filter predicate and refuses one that is not text or does not parse, before any file is read', () => {
  const body = (filter: unknown): string => JSON.stringify({ name: 'n', source: '/d', options: { filter } });
  assert.equal(parseLoadRequest(body("lang = 'en' AND score > 0.5")).filter, "lang = 'en' AND score > 0.5");
  rejects(body(7), /^"filter" must be a SQL predicate such as "score > 0.5"$/);
  rejects(body('  '), /^"filter" must be a SQL predicate such as "score > 0.5"$/);
  rejects(body('score >'), /^SQL syntax error: sql parser error: Expected: an expression, found: EOF$/);
});

test('parseLoadRequest takes "threads", the worker threads that decode Parquet and tokenize, from 1 to 256', () => {
  const body = (threads: unknown): string => JSON.stringify({ name: 'n', source: '/d', options: { threads } });
  assert.equal(parseLoadRequest(body(3)).threads, 3);
  for (const bad of [0, 1.5, 257, '2', -1]) rejects(body(bad), /^"threads" must be an integer from 1 to 256 \(worker threads that decode Parquet and tokenize\)$/);
});
