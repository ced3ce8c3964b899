import assert from 'node:assert/strict';
import { test } from 'node:test';

import { rayPlan } from './ray.js';

const tail = (args: string[]): string[] => args.slice(1);

test('rayPlan passes the Parquet directory, its temp dir and object store size, with usage stats off', () => {
  const plan = rayPlan('/v/python', '/d/parquet', '/d/ray', 512);
  assert.equal(plan.name, 'ray-data');
  assert.deepEqual(tail(plan.command.args), ['ray', '--path', '/d/parquet', '--temp-dir', '/d/ray', '--object-store-mib', '512']);
  assert.equal(plan.command.env?.['RAY_USAGE_STATS_ENABLED'], '0');
});
