/**
 * The event log of real processes, read from their stderr: one JSON line per membership change,
 * load, drop, failover and refused request, with the fields an operator greps for; --log-level
 * filters them and rejects levels pino does not know.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { Code } from '../../client/src/flight/errors.js';
import { rejectsWith } from '../helpers/flight.js';
import { clusterStats, idBatches, startCli, waitFor } from '../cluster/cluster-helpers.js';
import { runCli } from '../loaders/load-helpers.js';
import { rawSession } from '../helpers/raw-grpc.js';
import { freePort, type StartedProcess } from '../helpers/process.js';

type Line = Record<string, unknown> & { event?: string };

/** Every stderr line parsed as JSON (a line that is not JSON fails the test). */
function logLines(stderr: string): Line[] {
  return stderr
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Line;
      } catch {
        throw new Error(`not a JSON log line: ${line}`);
      }
    });
}

/** The lines of one event, with only the named fields. */
function events(stderr: string, event: string, fields: readonly string[]): Array<Record<string, unknown>> {
  return logLines(stderr)
    .filter((line) => line.event === event)
    .map((line) => Object.fromEntries(fields.map((f) => [f, line[f]])));
}

/**
 * The lines of one event once `count` of them have arrived (stderr is a pipe of its own: a line can
 * arrive after the call's answer), with only the named fields.
 */
function logged(p: StartedProcess, event: string, count: number, fields: readonly string[]): Promise<Array<Record<string, unknown>>> {
  return waitFor(`${count} ${event} lines`, async () => {
    const lines = events(p.stderr(), event, fields);
    return lines.length >= count ? lines : undefined;
  }, 20_000);
}

/** A JSON Lines file of `rows` rows in a new temporary directory. */
function jsonLines(rows: number): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'logs-'));
  const file = join(dir, 'rows.jsonl');
  writeFileSync(file, Array.from({ length: rows }, (_, i) => JSON.stringify({ i })).join('\n') + '\n');
  return { dir, file };
}

test('a coordinator logs members coming up and going down, loads, drops, failover and refused requests, one JSON line each', async () => {
  const a = await startCli(['shard', '--port', '0', '--log-level', 'info']);
  const b = await startCli(['shard', '--port', '0', '--log-level', 'info']);
  const coordinator = await startCli(['coordinator', '--port', '0', '--replicas', '2', '--shard-list', `${a.url},${b.url}`, '--max-request', '64KiB', '--log-level', 'info']);
  const client = new FlightClient(coordinator.url);
  const { dir, file } = jsonLines(250);
  try {
    await waitFor('two live members', async () => ((await clusterStats(client)).members.filter((m) => m.live).length === 2 ? true : undefined));
    const added = await logged(coordinator, 'member_added', 2, ['member', 'state']);
    assert.deepEqual(added.map((m) => m.member).sort(), [a.url, b.url].sort());
    const up = await logged(coordinator, 'member_up', 2, ['member', 'location', 'level']);
    assert.deepEqual(up.sort((x, y) => String(x.member).localeCompare(String(y.member))), [a.url, b.url].sort().map((url) => ({ member: url, location: url, level: 30 })));

    await client.doPut(pathDescriptor('put'), idBatches(4, 10));
    await client.action('load', JSON.stringify({ name: 'loaded', source: file }));
    assert.deepEqual(await logged(coordinator, 'load_started', 1, ['dataset', 'source']), [{ dataset: 'loaded', source: file }]);
    assert.deepEqual(await logged(coordinator, 'load_done', 1, ['dataset', 'rows', 'files']), [{ dataset: 'loaded', rows: 250, files: 1 }]);
    await rejectsWith(client.action('load', JSON.stringify({ name: 'broken', source: join(dir, 'absent.jsonl') })), Code.NOT_FOUND, /absent/);
    assert.deepEqual(await logged(coordinator, 'load_failed', 1, ['dataset', 'code', 'level']), [{ dataset: 'broken', code: 'NOT_FOUND', level: 40 }]);

    const partitions = (await clusterStats(client)).datasets.find((d) => d.name === 'put')!.partitions;
    await client.action('drop', 'put');
    assert.deepEqual(await logged(coordinator, 'drop', 1, ['dataset', 'partitions']), [{ dataset: 'put', partitions }]);
    // The shards log the drop of each copy they held, under its stored name (and of a load's staged parts).
    const copies = (p: StartedProcess): string[] => events(p.stderr(), 'drop', ['dataset']).map((d) => String(d.dataset)).filter((name) => name.startsWith('put#'));
    const dropped = await waitFor('every copy dropped', async () => (copies(a).length + copies(b).length >= 2 * partitions ? [copies(a), copies(b)] : undefined), 20_000);
    // R = 2 on two shards: each holds a copy of every partition.
    for (const held of dropped) assert.deepEqual(held.map((name) => name.replace(/\..*/, '')).sort(), Array.from({ length: partitions }, (_, i) => `put#p${i}`).sort());
    await rejectsWith(client.action('drop', 'x'.repeat(70_000)), Code.RESOURCE_EXHAUSTED, /--max-request/);
    const [refused] = await logged(coordinator, 'refused', 1, ['code', 'method', 'level', 'peer']);
    assert.deepEqual({ ...refused, peer: typeof refused?.peer }, { code: 'RESOURCE_EXHAUSTED', method: 'DoAction', level: 40, peer: 'string' });

    b.child.kill('SIGKILL');
    assert.deepEqual(await logged(coordinator, 'member_down', 1, ['member', 'previous', 'level']), [{ member: b.url, previous: 'up', level: 40 }]);
    assert.deepEqual(await logged(coordinator, 'failover', 1, ['member', 'datasets', 'lost', 'level']), [{ member: b.url, datasets: ['loaded'], lost: [], level: 40 }]);
    for (const line of logLines(coordinator.stderr())) assert.equal(line.name, 'flightcache-coordinator');
  } finally {
    client.close();
    for (const p of [coordinator, a, b]) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--log-level warn keeps refusals (of calls and of non-gRPC streams) and drops routine events; an unknown level is refused by name', async () => {
  const node = await startCli(['serve', '--port', '0', '--max-request', '64KiB', '--log-level', 'warn']);
  const client = new FlightClient(node.url);
  try {
    await client.doPut(pathDescriptor('d'), idBatches(1, 10));
    await client.action('drop', 'd');
    await rejectsWith(client.action('drop', 'x'.repeat(70_000)), Code.RESOURCE_EXHAUSTED, /--max-request/);
    // A stream that is not a gRPC call is refused before it reaches any method.
    const session = rawSession(node.url);
    const stream = session.request({ ':method': 'POST', ':path': '/arrow.flight.protocol.FlightService/DoGet', 'content-type': 'text/plain' });
    stream.end();
    await new Promise((resolve) => stream.on('close', resolve).resume());
    session.close();
    const refused = await logged(node, 'refused', 2, ['code', 'method']);
    assert.deepEqual(refused, [{ code: 'RESOURCE_EXHAUSTED', method: 'DoAction' }, { code: 'INTERNAL', method: 'DoGet' }]);
    assert.deepEqual(logLines(node.stderr()).map((l) => [l.event, l.level]), [['refused', 40], ['refused', 40]]);
  } finally {
    client.close();
    await node.stop();
  }
  const refused = await runCli(['serve', '--port', '0', '--log-level', 'loud']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /--log-level \(FLIGHTCACHE_LOG_LEVEL\) must be one of fatal, error, warn, info, debug, trace, silent, got "loud"/);
});

test('an ops endpoint refusing a request without a valid token logs it as refused', async () => {
  const httpPort = await freePort();
  const node = await startCli(['serve', '--port', '0', '--http-port', String(httpPort), '--user', 'ops', '--password', 'secret', '--log-level', 'warn']);
  try {
    assert.equal((await fetch(`http://127.0.0.1:${httpPort}/metrics`, { headers: { authorization: 'Bearer forged' } })).status, 401);
    const [refused] = await logged(node, 'refused', 1, ['code', 'method', 'level']);
    assert.deepEqual(refused, { code: 'UNAUTHENTICATED', method: 'GET /metrics', level: 40 });
  } finally {
    await node.stop();
  }
});
