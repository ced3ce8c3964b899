import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseBenchArgs } from './args.js';

const SUITES = ['doget'];

test('parseBenchArgs reads the suite and every option', () => {
  assert.deepEqual(parseBenchArgs(['doget', '--quick', '--json', 'out/r.json', '--only', 'pyarrow', '--runs', '5'], SUITES), {
    suite: 'doget',
    quick: true,
    json: 'out/r.json',
    only: 'pyarrow',
    runs: 5,
  });
});

test('parseBenchArgs defaults to a full run of all servers without a JSON file', () => {
  assert.deepEqual(parseBenchArgs(['doget'], SUITES), { suite: 'doget', quick: false, json: undefined, only: undefined, runs: undefined });
});

test('parseBenchArgs rejects an unknown suite with the usage text listing the suites', () => {
  assert.throws(() => parseBenchArgs(['nope'], SUITES), /usage: npm run bench -- <suite>.*\nsuites: doget$/s);
});

test('parseBenchArgs rejects a missing suite, an extra positional and a non-positive run count', () => {
  assert.throws(() => parseBenchArgs([], SUITES), /usage:/);
  assert.throws(() => parseBenchArgs(['doget', 'extra'], SUITES), /usage:/);
  assert.throws(() => parseBenchArgs(['doget', '--runs', '0'], SUITES), /--runs must be a positive integer/);
  assert.throws(() => parseBenchArgs(['doget', '--runs', '2.5'], SUITES), /--runs must be a positive integer/);
});

test('parseBenchArgs rejects an unknown option', () => {
  assert.throws(() => parseBenchArgs(['doget', '--fast'], SUITES), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
});
