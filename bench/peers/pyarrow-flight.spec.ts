import assert from 'node:assert/strict';
import { test } from 'node:test';

import { pyarrowFlightPlan } from './pyarrow-flight.js';

const tail = (args: string[]): string[] => args.slice(1);

test('pyarrowFlightPlan reads the peer with pyarrow.flight', () => {
  const plan = pyarrowFlightPlan('/v/python', 'grpc://h:2', 'epoch');
  assert.equal(plan.name, 'pyarrow-flight');
  assert.deepEqual(tail(plan.command.args), ['flight', '--url', 'grpc://h:2', '--name', 'epoch']);
});
