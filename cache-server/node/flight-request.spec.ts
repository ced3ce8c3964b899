import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseFlightRequest } from './flight-request.js';
import { encodeCursor } from './cursor.js';
import { Code, FlightError } from '../flight/errors.js';
import { DescriptorType, type FlightDescriptor } from '../flight/protocol/messages.js';

const path = (...elements: string[]): FlightDescriptor => ({ type: DescriptorType.PATH, cmd: new Uint8Array(), path: elements });
const cmd = (text: string | Uint8Array): FlightDescriptor => ({
  type: DescriptorType.CMD,
  cmd: typeof text === 'string' ? Buffer.from(text) : text,
  path: [],
});

test('path [name] is the whole dataset, [name, RANK, WORLD] and [RANK, WORLD] a share', () => {
  assert.deepEqual(parseFlightRequest(path('flights')), { dataset: 'flights', rank: 0, world: 1 });
  assert.deepEqual(parseFlightRequest(path('flights', '2', '5')), { dataset: 'flights', rank: 2, world: 5 });
  assert.deepEqual(parseFlightRequest(path('1', '3')), { dataset: undefined, rank: 1, world: 3 });
});

test('two integer elements are always rank and world, even when a dataset is named "0"', () => {
  assert.deepEqual(parseFlightRequest(path('0', '1')), { dataset: undefined, rank: 0, world: 1 });
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
  const cursor = { dataset: 'd', world: 2, rank: 1, position: 0, batch: 4, batches: 7, rows: 70 };
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

test('"columns" is read as the list of column names in the order given', () => {
  assert.deepEqual(parseFlightRequest(cmd('{"dataset":"d","rank":0,"world_size":1,"columns":["c","a"]}')), {
    dataset: 'd',
    rank: 0,
    world: 1,
    columns: ['c', 'a'],
  });
});

test('options not implemented yet are UNIMPLEMENTED, unknown ones and malformed input INVALID_ARGUMENT', () => {
  for (const option of ['shuffle', 'seed', 'epoch', 'batch_rows']) {
    assert.throws(() => parseFlightRequest(cmd(`{"rank":0,"world_size":1,"${option}":1}`)), {
      code: Code.UNIMPLEMENTED,
      message: `option "${option}" is not implemented yet`,
    });
  }
  const cases: Array<[string, string]> = [
    ['{"rank":0,"world_size":1,"color":"red"}', 'unknown option "color"; known options: dataset, rank, world_size, start_after, resume, columns'],
    ['{"rank":0,"world_size":1,"columns":[]}', '"columns" must be a non-empty list of column names'],
    ['{"rank":0,"world_size":1,"columns":"a"}', '"columns" must be a non-empty list of column names'],
    ['{"rank":0,"world_size":1,"columns":["a",1]}', '"columns" must be a non-empty list of column names'],
    ['{"rank":0,"world_size":1,"columns":["a","b","a"]}', '"columns" names column "a" twice'],
    ['SELECT 1', 'command descriptor must be a UTF-8 JSON object such as {"dataset":"name","rank":0,"world_size":2}'],
    ['{"rank":0}', '"world_size" must be an integer >= 1, got nothing'],
    ['{"rank":2,"world_size":2}', 'rank 2 is out of range for world size 2 (0 <= rank < world size)'],
    ['{"rank":0,"world_size":1,"start_after":"%%"}', 'malformed cursor "%%": not base64url; use the app_metadata of a batch DoGet sent'],
    ['{"rank":0,"world_size":1,"resume":{"world_size":2,"cursors":[null]}}', '"resume.cursors" must list one cursor (or null) per old rank: 2 entries'],
  ];
  for (const [text, message] of cases) assert.throws(() => parseFlightRequest(cmd(text)), { code: Code.INVALID_ARGUMENT, message });
});

test('arbitrary descriptors parse or fail with INVALID_ARGUMENT or UNIMPLEMENTED, never another error', () => {
  const descriptors = fc.oneof(
    fc.array(fc.oneof(fc.string(), fc.nat().map(String)), { maxLength: 4 }).map((elements) => path(...elements)),
    fc.oneof(fc.uint8Array(), fc.json().map((text) => Buffer.from(text))).map(cmd),
  );
  fc.assert(
    fc.property(descriptors, (descriptor) => {
      try {
        parseFlightRequest(descriptor);
      } catch (err) {
        assert.ok(err instanceof FlightError);
        assert.ok(err.code === Code.INVALID_ARGUMENT || err.code === Code.UNIMPLEMENTED);
      }
    }),
  );
});
