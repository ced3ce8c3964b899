/**
 * Event-line rate limiting on a real process's stderr: a flood of one refusal (same event, code and
 * method) is written --log-rate-limit LINES times per interval; the next line written for it carries
 * how many were suppressed, and a refusal of another reason is written regardless.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlightClient } from '../../client/src/flight-client.js';
import { Code } from '../../client/src/flight/errors.js';
import { drain, rejectsWith } from '../helpers/flight.js';
import { startCli, waitFor } from '../cluster/cluster-helpers.js';

type Line = { event?: string; code?: string; method?: string; suppressed?: number };

/** The `refused` lines of a stderr, with their reason and suppressed count. */
function refusals(stderr: string): Line[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Line)
    .filter((line) => line.event === 'refused')
    .map(({ code, method, suppressed }) => ({ code, method, ...(suppressed === undefined ? {} : { suppressed }) }));
}

test('identical refusals past --log-rate-limit in an interval are counted, and the next line written says how many', async () => {
  const node = await startCli(['serve', '--port', '0', '--max-request', '64KiB', '--log-level', 'warn', '--log-rate-limit', '3/2s']);
  const client = new FlightClient(node.url);
  const tooLarge = 'x'.repeat(70_000);
  const exhausted = { code: 'RESOURCE_EXHAUSTED', method: 'DoAction' };
  try {
    const started = Date.now();
    for (let i = 0; i < 10; i++) await rejectsWith(client.action('drop', tooLarge), Code.RESOURCE_EXHAUSTED, /--max-request/);
    // Another reason (code and method) has a budget of its own.
    await rejectsWith(drain(client.listFlights(tooLarge)), Code.RESOURCE_EXHAUSTED, /--max-request/);
    assert.ok(Date.now() - started < 2000, 'the flood must fit in one interval for the counts below; the machine is too slow');
    await waitFor('the first interval\'s lines', async () => (refusals(node.stderr()).length >= 4 ? true : undefined));
    assert.deepEqual(refusals(node.stderr()), [exhausted, exhausted, exhausted, { code: 'RESOURCE_EXHAUSTED', method: 'ListFlights' }]);
    // The next interval: the first line of the same reason reports the 7 lines that were not written.
    await new Promise((resolve) => setTimeout(resolve, 2000 - (Date.now() - started) + 100));
    await rejectsWith(client.action('drop', tooLarge), Code.RESOURCE_EXHAUSTED, /--max-request/);
    await rejectsWith(client.action('drop', tooLarge), Code.RESOURCE_EXHAUSTED, /--max-request/);
    await waitFor('the second interval\'s lines', async () => (refusals(node.stderr()).length >= 6 ? true : undefined));
    assert.deepEqual(refusals(node.stderr()).slice(4), [{ ...exhausted, suppressed: 7 }, exhausted]);
  } finally {
    client.close();
    await node.stop();
  }
});

test('--log-rate-limit off writes every refusal', async () => {
  const node = await startCli(['serve', '--port', '0', '--max-request', '64KiB', '--log-level', 'warn', '--log-rate-limit', 'off']);
  const client = new FlightClient(node.url);
  try {
    for (let i = 0; i < 8; i++) await rejectsWith(client.action('drop', 'x'.repeat(70_000)), Code.RESOURCE_EXHAUSTED, /--max-request/);
    const lines = await waitFor('8 refusals', async () => (refusals(node.stderr()).length >= 8 ? refusals(node.stderr()) : undefined));
    assert.deepEqual(lines, Array.from({ length: 8 }, () => ({ code: 'RESOURCE_EXHAUSTED', method: 'DoAction' })));
  } finally {
    client.close();
    await node.stop();
  }
});
