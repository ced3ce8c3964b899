import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { optionsTag, parseFlightRequest } from './flight-request.js';
import { encodeCursor } from './cursor.js';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { DescriptorType, type FlightDescriptor } from '../../client/src/flight/protocol/messages.js';

const path = (...elements: string[]): FlightDescriptor => ({ type: DescriptorType.PATH, cmd: new Uint8Array(), path: elements });
const cmd = (text: string | Uint8Array): FlightDescriptor => ({
  type: DescriptorType.CMD,
  cmd: typeof text === 'string' ? Buffer.from(text) : text,
  path: [],
});

test('path [name] is the whole dataset, [name, RANK, WORLD] and [RANK, WORLD] a share', () => {
  assert.deepEqual(parseFlightRequest(path('flights')), { dataset: 'flights', rank: 0, world: 1 });
  assert.deepEqual(parseFlightRequest(path('flights', '2', '5')), { dataset: 'flights', rank: 2, world: 5 });
  assert.deepEqual(parseFlightRequest(path('1', '3')), { dataset: undefined, rank: 1, world: 3, singleLocation: true });
});

test('two integer elements are always rank and world, even when a dataset is named "0"', () => {
  assert.deepEqual(parseFlightRequest(path('0', '1')), { dataset: undefined, rank: 0, world: 1, singleLocation: true });
  assert.deepEqual(parseFlightRequest(path('0')), { dataset: '0', rank: 0, world: 1 });
});

test('bad ranks and world sizes are INVALID_ARGUMENT with precise messages', () => {
  const cases: Array<[FlightDescriptor, string]> = [
    [path('d', 'x', '2'), 'RANK must be a decimal integer >= 0, got "x"'],
    [path('d', '0', '0'), 'WORLD must be a decimal integer >= 1, got "0"'],
    [path('d', '-1', '2'), 'RANK must be a decimal integer >= 0, got "-1"'],
    [path('3', '3'), 'rank 3 is out of range for world size 3 (0 <= rank < world size)'],
    [path('0', '0'), 'WORLD must be a decimal integer >= 1, got "0"'],
    [path('d', '1.5', '2'), 'RANK must be a decimal integer >= 0, got "1.5"'],
    [path(), 'expected a path descriptor [dataset name], [dataset name, RANK, WORLD] or [RANK, WORLD], got []'],
  ];
  for (const [descriptor, message] of cases) assert.throws(() => parseFlightRequest(descriptor), { code: Code.INVALID_ARGUMENT, message });
});

test('the JSON command names dataset, rank, world size and cursors', () => {
  const cursor = { dataset: 'd', world: 2, rank: 1, position: 0, batch: 4, done: 3, options: 0, batches: 7, rows: 70 };
  const text = encodeCursor(cursor);
  assert.deepEqual(parseFlightRequest(cmd(JSON.stringify({ dataset: 'd', rank: 1, world_size: 2, start_after: text }))), {
    dataset: 'd',
    rank: 1,
    world: 2,
    startAfter: cursor,
  });
  assert.deepEqual(parseFlightRequest(cmd('{"rank":0,"world_size":3,"resume":{"world_size":2,"cursors":[null,' + JSON.stringify(text) + ']}}')), {
    dataset: undefined,
    rank: 0,
    world: 3,
    resume: { world: 2, cursors: [null, cursor] },
  });
});

test('rank and world_size default to 0 and 1; "sql" names the dataset and columns, "filter" keeps the command\'s dataset', () => {
  assert.deepEqual(parseFlightRequest(cmd('{"dataset":"d"}')), { dataset: 'd', rank: 0, world: 1 });
  const sql = parseFlightRequest(cmd('{"sql":"SELECT B, \\"Mixed\\" FROM docs WHERE a > 3 LIMIT 10","rank":1,"world_size":2}'));
  assert.equal(sql.dataset, 'docs');
  assert.deepEqual(sql.columns, ['b', 'Mixed']);
  assert.equal(sql.query?.limit, 10);
  assert.equal(sql.rank, 1);
  const filter = parseFlightRequest(cmd('{"dataset":"d","filter":"lang = \'en\'"}'));
  assert.equal(filter.dataset, 'd');
  assert.deepEqual(filter.query?.text, { filter: "lang = 'en'" });
  assert.equal(filter.columns, undefined);
});

test('"columns" is read as the list of column names in the order given', () => {
  assert.deepEqual(parseFlightRequest(cmd('{"dataset":"d","rank":0,"world_size":1,"columns":["c","a"]}')), {
    dataset: 'd',
    rank: 0,
    world: 1,
    columns: ['c', 'a'],
  });
});

test('"shuffle" with "seed" and "epoch" (0 when absent) and "batch_rows" are read into the request', () => {
  const parse = (body: object) => parseFlightRequest(cmd(JSON.stringify({ dataset: 'd', rank: 0, world_size: 1, ...body })));
  assert.deepEqual(parse({ shuffle: true, seed: 7, epoch: 3, batch_rows: 8192 }), {
    dataset: 'd',
    rank: 0,
    world: 1,
    shuffle: { seed: 7, epoch: 3 },
    batchRows: 8192,
  });
  assert.deepEqual(parse({ shuffle: true }), { dataset: 'd', rank: 0, world: 1, shuffle: { seed: 0, epoch: 0 } });
  assert.deepEqual(parse({ shuffle: true, seed: Number.MAX_SAFE_INTEGER }), { dataset: 'd', rank: 0, world: 1, shuffle: { seed: Number.MAX_SAFE_INTEGER, epoch: 0 } });
  assert.deepEqual(parse({ shuffle: false }), { dataset: 'd', rank: 0, world: 1 });
  assert.deepEqual(parse({ batch_rows: 1 }), { dataset: 'd', rank: 0, world: 1, batchRows: 1 });
  assert.deepEqual(parse({ batch_rows: 1 << 24 }), { dataset: 'd', rank: 0, world: 1, batchRows: 1 << 24 });
});

test('the options tag is 0 for a plain read and differs for every shuffle, seed, epoch and batch_rows', () => {
  assert.equal(optionsTag({}), 0);
  const tags = [
    optionsTag({ shuffle: { seed: 0, epoch: 0 } }),
    optionsTag({ shuffle: { seed: 1, epoch: 0 } }),
    optionsTag({ shuffle: { seed: 0, epoch: 1 } }),
    optionsTag({ batchRows: 1 }),
    optionsTag({ batchRows: 2 }),
    optionsTag({ shuffle: { seed: 0, epoch: 0 }, batchRows: 1 }),
  ];
  assert.equal(new Set([0, ...tags]).size, 7);
  assert.equal(optionsTag({ shuffle: { seed: 5, epoch: 2 }, batchRows: 9 }), optionsTag({ shuffle: { seed: 5, epoch: 2 }, batchRows: 9 }));
});

test('"host" and "hosts" (one per rank, agreeing with "host") are read into the request, also the old ranks\' hosts of a resume', () => {
  assert.deepEqual(parseFlightRequest(cmd('{"rank":1,"world_size":2,"host":"b","hosts":["a","b"]}')), {
    dataset: undefined,
    rank: 1,
    world: 2,
    host: 'b',
    hosts: ['a', 'b'],
  });
  assert.deepEqual(parseFlightRequest(cmd('{"rank":0,"world_size":1,"resume":{"world_size":2,"cursors":[null,null],"hosts":["a","b"]}}')).resume, {
    world: 2,
    cursors: [null, null],
    hosts: ['a', 'b'],
  });
});

test('the options tag with locality differs from the one without, and without locality is what it was', () => {
  assert.equal(optionsTag({}), 0);
  assert.notEqual(optionsTag({ locality: 0 }), 0);
  assert.notEqual(optionsTag({ locality: 1 }), optionsTag({ locality: 2 }));
  assert.notEqual(optionsTag({ batchRows: 8, locality: 1 }), optionsTag({ batchRows: 8 }));
});

test('unknown options and malformed input are INVALID_ARGUMENT with precise messages', () => {
  const cases: Array<[string, string]> = [
    [
      '{"rank":0,"world_size":1,"color":"red"}',
      'unknown option "color"; known options: dataset, rank, world_size, start_after, resume, columns, shuffle, seed, epoch, batch_rows, transport, host, hosts, sql, filter',
    ],
    ['{"rank":0,"world_size":1,"host":""}', '"host" must be a host id: a non-empty string of at most 256 characters'],
    [`{"rank":0,"world_size":1,"host":"${'h'.repeat(257)}"}`, '"host" must be a host id: a non-empty string of at most 256 characters'],
    ['{"rank":0,"world_size":1,"host":7}', '"host" must be a host id: a non-empty string of at most 256 characters'],
    ['{"rank":0,"world_size":2,"hosts":["a"]}', '"hosts" must list the host id of each of the 2 ranks'],
    ['{"rank":0,"world_size":2,"hosts":"a,b"}', '"hosts" must list the host id of each of the 2 ranks'],
    ['{"rank":0,"world_size":2,"hosts":["a",""]}', '"hosts[1]" must be a host id: a non-empty string of at most 256 characters'],
    ['{"rank":1,"world_size":2,"host":"a","hosts":["a","b"]}', '"hosts"[1] must be this rank\'s "host" "a", got "b"'],
    ['{"rank":0,"world_size":1,"resume":{"world_size":2,"cursors":[null,null],"hosts":["a"]}}', '"resume.hosts" must list the host id of each of the 2 ranks'],
    ['{"rank":0,"world_size":1,"transport":"ipc"}', '"transport" must be "grpc" or "same-host"'],
    ['{"rank":0,"world_size":1,"columns":[]}', '"columns" must be a non-empty list of column names'],
    ['{"rank":0,"world_size":1,"columns":"a"}', '"columns" must be a non-empty list of column names'],
    ['{"rank":0,"world_size":1,"columns":["a",1]}', '"columns" must be a non-empty list of column names'],
    ['{"rank":0,"world_size":1,"columns":["a","b","a"]}', '"columns" names column "a" twice'],
    ['SELECT 1', 'command descriptor must be a UTF-8 JSON object such as {"dataset":"name","rank":0,"world_size":2}'],
    ['[1]', 'command descriptor must be a UTF-8 JSON object such as {"dataset":"name","rank":0,"world_size":2}'],
    ['{"rank":1}', 'rank 1 is out of range for world size 1 (0 <= rank < world size)'],
    ['{"world_size":0}', '"world_size" must be an integer >= 1, got 0'],
    ['{"dataset":"d","sql":"SELECT a FROM d","filter":"a > 1"}', 'give "sql" or "filter", not both'],
    ['{"sql":"SELECT a FROM d","columns":["a"]}', '"columns" and "sql" both choose columns: name them in the select list'],
    ['{"sql":"SELECT a, b, a FROM d"}', 'the select list names column "a" twice'],
    ['{"sql":7}', '"sql" must be a SQL query string'],
    ['{"dataset":"d","filter":""}', '"filter" must be a non-empty SQL predicate'],
    ['{"dataset":"d","filter":"a > 1 LIMIT 3"}', '"filter" is a predicate only: use "sql" for LIMIT or TABLESAMPLE'],
    ['{"rank":0,"world_size":1,"dataset":""}', '"dataset" must be a non-empty string'],
    ['{"rank":2,"world_size":2}', 'rank 2 is out of range for world size 2 (0 <= rank < world size)'],
    ['{"rank":0,"world_size":1,"start_after":"%%"}', 'malformed cursor "%%": not base64url; use the app_metadata of a batch DoGet sent'],
    ['{"rank":0,"world_size":1,"start_after":3}', '"start_after" must be a cursor string'],
    ['{"rank":0,"world_size":1,"resume":{"world_size":2,"cursors":[null]}}', '"resume.cursors" must list one cursor (or null) per old rank: 2 entries'],
    ['{"rank":0,"world_size":1,"resume":{"world_size":1,"cursors":[1]}}', '"resume.cursors[0]" must be a cursor string or null'],
    ['{"rank":0,"world_size":1,"resume":{"world_size":1,"cursors":[null],"x":1}}', 'unknown option "resume.x"; known options: world_size, cursors, hosts'],
    ['{"rank":0,"world_size":1,"resume":[]}', '"resume" must be {"world_size": W, "cursors": [cursor or null for each of the W old ranks]}'],
    ['{"rank":0,"world_size":1,"shuffle":1}', '"shuffle" must be true or false'],
    ['{"rank":0,"world_size":1,"shuffle":"yes"}', '"shuffle" must be true or false'],
    ['{"rank":0,"world_size":1,"seed":7}', '"seed" only applies with "shuffle": true'],
    ['{"rank":0,"world_size":1,"epoch":1}', '"epoch" only applies with "shuffle": true'],
    ['{"rank":0,"world_size":1,"shuffle":false,"seed":7,"epoch":1}', '"seed" only applies with "shuffle": true'],
    ['{"rank":0,"world_size":1,"shuffle":true,"seed":-1}', '"seed" must be an integer >= 0, got -1'],
    ['{"rank":0,"world_size":1,"shuffle":true,"seed":1.5}', '"seed" must be an integer >= 0, got 1.5'],
    ['{"rank":0,"world_size":1,"shuffle":true,"seed":9007199254740992}', '"seed" must be an integer >= 0, got 9007199254740992'],
    ['{"rank":0,"world_size":1,"shuffle":true,"epoch":"2"}', '"epoch" must be an integer >= 0, got "2"'],
    ['{"rank":0,"world_size":1,"batch_rows":0}', '"batch_rows" must be an integer >= 1, got 0'],
    ['{"rank":0,"world_size":1,"batch_rows":2.5}', '"batch_rows" must be an integer >= 1, got 2.5'],
    ['{"rank":0,"world_size":1,"batch_rows":null}', '"batch_rows" must be an integer >= 1, got null'],
    ['{"rank":0,"world_size":1,"batch_rows":16777217}', '"batch_rows" must be at most 16777216, got 16777217'],
  ];
  for (const [text, message] of cases) assert.throws(() => parseFlightRequest(cmd(text)), { code: Code.INVALID_ARGUMENT, message }, text);
});

test('arbitrary descriptors parse or fail with INVALID_ARGUMENT, never another error', () => {
  const descriptors = fc.oneof(
    fc.array(fc.oneof(fc.string(), fc.nat().map(String)), { maxLength: 4 }).map((elements) => path(...elements)),
    fc.oneof(fc.uint8Array(), fc.json().map((text) => Buffer.from(text))).map(cmd),
    fc
      .dictionary(fc.constantFrom('dataset', 'rank', 'world_size', 'start_after', 'resume', 'columns', 'shuffle', 'seed', 'epoch', 'batch_rows'), fc.jsonValue())
      .map((body) => cmd(JSON.stringify(body))),
  );
  fc.assert(
    fc.property(descriptors, (descriptor) => {
      try {
        parseFlightRequest(descriptor);
      } catch (err) {
        assert.ok(err instanceof FlightError);
        assert.equal(err.code, Code.INVALID_ARGUMENT);
      }
    }),
  );
});
