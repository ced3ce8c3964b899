/** `flightcache coordinator --leader-lease` refuses what it cannot compete with, by name, before serving anything. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../loaders/load-helpers.js';

test('a kubeconfig that cannot be loaded fails the start with INVALID_ARGUMENT naming it', async () => {
  const run = await runCli(['coordinator', '--port', '0', '--leader-lease', 'c', '--kubeconfig', '/nonexistent/kubeconfig', '--log-level', 'warn']);
  assert.equal(run.code, 1);
  assert.equal(run.stderr, "flightcache: INVALID_ARGUMENT: --kubeconfig /nonexistent/kubeconfig cannot be loaded: ENOENT: no such file or directory, open '/nonexistent/kubeconfig'\n");
});

test('--leader-lease-duration without --leader-lease is refused', async () => {
  const run = await runCli(['coordinator', '--port', '0', '--leader-lease-duration', '5s']);
  assert.equal(run.code, 1);
  assert.equal(run.stderr, 'flightcache: INVALID_ARGUMENT: --leader-lease-duration needs --leader-lease NAME (FLIGHTCACHE_LEADER_LEASE)\n');
});
