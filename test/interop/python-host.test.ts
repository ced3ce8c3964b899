/** flightcache.host and the "host"/"hosts" of the Python client's share requests (test/python/host_units.py). */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, runPython } from '../helpers/python.js';

process.env.PYTHONPATH = join(repoRoot(), 'client', 'python', 'src');

test('the Python client names its host in every request, FLIGHTCACHE_HOST_ID overrides it, and rank_hosts gathers every rank\'s', async () => {
  const result = await runPython<{ passed: string[] }>('host_units.py', []);
  assert.deepEqual(result.passed, [
    'host_id is the boot id and the network namespace',
    'FLIGHTCACHE_HOST_ID overrides the host id',
    'every descriptor says where this process runs, and a request\'s own host is kept',
    'share_request takes one host per rank and the old ranks\' hosts of a resume',
    'rank_hosts gathers every rank\'s host id in rank order, the same list on every rank',
    'rank_hosts without a process group says what it needs',
  ]);
});
