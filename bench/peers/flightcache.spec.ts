import assert from 'node:assert/strict';
import { test } from 'node:test';

import { flightcachePlans } from './flightcache.js';

const tail = (args: string[]): string[] => args.slice(1);

test('flightcachePlans reads the dataset with pyarrow.flight and with the node worker', () => {
  const [py, ts] = flightcachePlans('/v/python', 'grpc://h:1', 'epoch');
  assert.equal(py!.name, 'flightcache-pyarrow');
  assert.equal(py!.command.command, '/v/python');
  assert.deepEqual(tail(py!.command.args), ['flight', '--url', 'grpc://h:1', '--name', 'epoch']);
  assert.equal(ts!.name, 'flightcache-ts');
  assert.equal(ts!.command.command, process.execPath);
  assert.deepEqual(tail(ts!.command.args), ['flight', '--url', 'grpc://h:1', '--name', 'epoch']);
});
