/**
 * The dashboard at `/` in headless Chromium (Debian's `chromium`, driven by playwright-core) against
 * a real coordinator with two shards: it shows the members, a dataset the test puts with its rows,
 * tier and replication, read throughput once the dataset is read, and the change when a shard dies.
 * Without Chromium the browser test skips, saying how to install it. FLIGHTCACHE_SCREENSHOT=PATH
 * saves the page (docs/dashboard.png is made so).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Page } from 'playwright-core';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { startCacheNode } from '../../cache-server/node/cache-node.js';
import { createTokenAuth } from '../../cache-server/auth/token-auth.js';
import { UserDirectory } from '../../cache-server/auth/users.js';
import { freePort } from '../helpers/process.js';
import { clusterStats, idBatches, startCli, waitFor } from '../cluster/cluster-helpers.js';

const CHROMIUM = process.env.FLIGHTCACHE_CHROMIUM ?? '/usr/bin/chromium';

/** The text of each cell of the table row whose data-key is `key`, or undefined while there is none. */
async function row(page: Page, table: string, key: string): Promise<string[] | undefined> {
  const cells = page.locator(`#${table} tr[data-key="${key}"] td`);
  return (await cells.count()) === 0 ? undefined : cells.allInnerTexts();
}

/** Waits until the page's row for `key` passes `check`; returns its cells. */
async function rowWhen(page: Page, table: string, key: string, what: string, check: (cells: string[]) => boolean): Promise<string[]> {
  let last: string[] | undefined;
  try {
    return await waitFor(what, async () => {
      last = await row(page, table, key);
      return last && check(last) ? last : undefined;
    }, 20_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}; the row showed ${JSON.stringify(last)}`, { cause: err });
  }
}

test('the dashboard shows members, a put dataset, read throughput and a shard dying, in headless Chromium', { skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run does), or set FLIGHTCACHE_CHROMIUM` }, async () => {
  const a = await startCli(['shard', '--port', '0']);
  // One shard keeps its data in shared memory (same-host readers), the other in private memory.
  const b = await startCli(['shard', '--port', '0', '--shm-dir', 'off']);
  const httpPort = await freePort();
  const coordinator = await startCli(['coordinator', '--port', '0', '--http-port', String(httpPort), '--replicas', '2', '--replace-after', '0', '--shard-list', `${a.url},${b.url}`]);
  const client = new FlightClient(coordinator.url);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    await waitFor('two live members', async () => ((await clusterStats(client)).members.filter((m) => m.live).length === 2 ? true : undefined));
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const external: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(`http://127.0.0.1:${httpPort}/`)) external.push(request.url());
    });
    await page.goto(`http://127.0.0.1:${httpPort}/?interval=250`);
    for (const [shard, tier] of [[a, 'shared'], [b, 'private']] as const) {
      await rowWhen(page, 'members', shard.url, `${shard.url} live`, (cells) => cells[2] === 'live' && cells[3] === tier);
    }

    await client.doPut(pathDescriptor('tokens'), idBatches(8, 100));
    const bytes = (await clusterStats(client)).datasets[0]!.bytes;
    const shown = await rowWhen(page, 'datasets', 'tokens', 'the put dataset', (cells) => cells[1] === '800');
    assert.deepEqual(shown.slice(0, 5), ['tokens', '800', `${(bytes / 1024).toFixed(1)} KiB`, 'private, shared', `healthy (${(await clusterStats(client)).datasets[0]!.partitions} partitions)`]);

    // Reads from the shards show up as read throughput.
    const info = await client.getFlightInfo(pathDescriptor('tokens'));
    const readers = new Map<string, FlightClient>();
    await waitFor('read throughput above zero', async () => {
      for (const endpoint of info.endpoints) {
        const uri = endpoint.locations[0]!.uri;
        if (!readers.has(uri)) readers.set(uri, new FlightClient(uri));
        for await (const batch of readers.get(uri)!.doGet(endpoint.ticket)) assert.equal(batch.numRows, 100);
      }
      return Number(await page.locator('#read-rate').getAttribute('data-bytes-per-second')) > 0 ? true : undefined;
    });
    for (const reader of readers.values()) reader.close();

    b.child.kill('SIGKILL');
    await rowWhen(page, 'members', b.url, 'the killed shard shown down', (cells) => cells[2] === 'down');
    const degraded = await rowWhen(page, 'datasets', 'tokens', 'the dataset shown degraded', (cells) => cells[4]!.startsWith('degraded'));
    assert.match(degraded[4]!, /^degraded \(\d+ of \d+ partitions\)$/);
    await waitFor('the member down among recent errors', async () => ((await page.locator('#errors li').allInnerTexts()).some((e) => e.includes(`member UNAVAILABLE: member ${b.url}`)) ? true : undefined));
    assert.deepEqual(external, []);
    if (process.env.FLIGHTCACHE_SCREENSHOT) await page.screenshot({ path: process.env.FLIGHTCACHE_SCREENSHOT, fullPage: true });
  } finally {
    await browser.close();
    client.close();
    for (const p of [coordinator, a, b]) await p.stop();
  }
});

test('with authentication the page is served to anyone but /overview needs the bearer token /stats needs', async () => {
  const auth = createTokenAuth(new UserDirectory({ user: 'ops', password: 'secret' }));
  const node = await startCacheNode({ port: 0, httpPort: 0, auth });
  const client = new FlightClient(node.url);
  try {
    const base = `http://127.0.0.1:${node.httpPort!}`;
    const page = await fetch(`${base}/`);
    assert.deepEqual([page.status, page.headers.get('content-type')], [200, 'text/html; charset=utf-8']);
    assert.match(await page.text(), /<script src="\/assets\/dashboard.js"><\/script>/);
    for (const asset of ['/assets/dashboard.js', '/assets/dashboard.css', '/assets/uPlot.iife.min.js', '/assets/uPlot.min.css']) {
      assert.equal((await fetch(`${base}${asset}`)).status, 200, asset);
    }
    assert.equal((await fetch(`${base}/overview`)).status, 401);
    const token = await client.handshake('ops', 'secret');
    await client.doPut(pathDescriptor('d'), idBatches(2, 5));
    const overview = await fetch(`${base}/overview`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(overview.status, 200);
    const body = (await overview.json()) as { role: string; datasets: Array<{ name: string; rows: number; tiers: string[]; status: string }>; traffic: { receivedBytes: number } };
    assert.deepEqual([body.role, body.datasets.map((d) => [d.name, d.rows, d.tiers, d.status])], ['node', [['d', 10, ['private'], 'stored']]]);
    assert.ok(body.traffic.receivedBytes > 0);
  } finally {
    client.close();
    await node.close();
  }
});

test('in Chromium, the page of a node with authentication asks for a token, refuses a forged one and shows the datasets with a real one', { skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}` }, async () => {
  const auth = createTokenAuth(new UserDirectory({ user: 'ops', password: 'secret' }));
  const node = await startCacheNode({ port: 0, httpPort: 0, auth });
  const client = new FlightClient(node.url);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const token = await client.handshake('ops', 'secret');
    await client.doPut(pathDescriptor('secret-data'), idBatches(3, 7));
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${node.httpPort!}/?interval=200`);
    await page.locator('#login').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#updated').innerText(), 'token needed');
    assert.equal(await row(page, 'datasets', 'secret-data'), undefined);
    await page.fill('#token', 'forged');
    await page.click('#login button');
    await waitFor('the forged token refused', async () => ((await page.locator('#updated').innerText()) === 'token refused' ? true : undefined));
    await page.fill('#token', token);
    await page.click('#login button');
    const shown = await rowWhen(page, 'datasets', 'secret-data', 'the dataset behind the token', (cells) => cells[1] === '21');
    assert.deepEqual([shown[0], shown[3], shown[4]], ['secret-data', 'private', 'stored']);
    assert.equal(await page.locator('#login').isVisible(), false);
  } finally {
    await browser.close();
    client.close();
    await node.close();
  }
});
