/**
 * Users from a credentials file with per-dataset scopes, over real connections: a token for one
 * dataset cannot read, list or write another, admin actions need admin, the ops endpoints need a
 * token, failed handshakes are rate-limited, and the node keeps serving exact data.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCacheNode, type CacheNode } from '../../cache-server/node/cache-node.js';
import { createTokenAuth } from '../../cache-server/auth/token-auth.js';
import { hashPassword } from '../../cache-server/auth/passwords.js';
import { UserDirectory } from '../../cache-server/auth/users.js';
import { Code } from '../../client/src/flight/errors.js';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { encodeTicket } from '../../cache-server/node/ticket.js';
import { assertServesExactly, putReference, referenceMessages, referenceTable } from '../helpers/exact-data.js';
import { drain, rejectsWith } from '../helpers/flight.js';

const USERS = {
  reader: { password: 'r-pass', read: ['train'] },
  writer: { password: 'w-pass', read: ['train*'], write: ['train*'] },
  carol: { password: 'c-pass', read: ['*'], write: ['*'], admin: true },
};

/** A credentials file holding USERS with hashed passwords; returns its path. */
function credentialsFile(dir: string): string {
  const users = Object.fromEntries(Object.entries(USERS).map(([name, { password, ...scopes }]) => [name, { password: hashPassword(password), ...scopes }]));
  const path = join(dir, 'credentials.json');
  writeFileSync(path, JSON.stringify({ users }));
  return path;
}

/** A token for `user` from a Handshake. */
async function tokenOf(url: string, user: keyof typeof USERS): Promise<string> {
  const client = new FlightClient(url);
  try {
    return await client.handshake(user, USERS[user].password);
  } finally {
    client.close();
  }
}

describe('per-dataset scopes from a credentials file', () => {
  let dir: string;
  let node: CacheNode;
  let reader: FlightClient;
  let tokens: Record<keyof typeof USERS, string>;
  const train = referenceMessages(referenceTable(1000));
  const evaluation = referenceMessages(referenceTable(10, 5000));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flightcache-auth-'));
    node = await startCacheNode({ port: 0, httpPort: 0, auth: createTokenAuth(UserDirectory.fromFile(undefined, credentialsFile(dir))) });
    tokens = { reader: await tokenOf(node.url, 'reader'), writer: await tokenOf(node.url, 'writer'), carol: await tokenOf(node.url, 'carol') };
    reader = new FlightClient(node.url, { token: tokens.reader });
    await putReference(node.url, 'train', train, tokens.writer);
    await putReference(node.url, 'eval', evaluation, tokens.carol);
  });
  after(async () => {
    reader.close();
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a token for one dataset reads it exactly and cannot read another by path, command, default or ticket', async () => {
    await assertServesExactly(node.url, 'train', train, tokens.reader);
    const denied = 'user "reader" may not read dataset "eval"; its scopes: read [train], write [], no admin';
    await rejectsWith(reader.getFlightInfo(pathDescriptor('eval')), Code.PERMISSION_DENIED, denied);
    await rejectsWith(reader.getSchema(pathDescriptor('eval')), Code.PERMISSION_DENIED, denied);
    await rejectsWith(reader.pollFlightInfo(pathDescriptor('eval', '0', '2')), Code.PERMISSION_DENIED, denied);
    await rejectsWith(drain(reader.doGetRaw({ ticket: encodeTicket({ dataset: 'eval' }) })), Code.PERMISSION_DENIED, denied);
    await rejectsWith(
      reader.getFlightInfo(pathDescriptor('0', '1')),
      Code.PERMISSION_DENIED,
      'user "reader" may not read the default dataset (name the dataset: reading it unnamed needs read scope "*"); its scopes: read [train], write [], no admin',
    );
    assert.deepEqual((await drain(reader.listFlights())).map((info) => info.flightDescriptor?.path), [['train']]);
    await assertServesExactly(node.url, 'eval', evaluation, tokens.carol);
  });

  test('writes need write scope on the dataset and admin actions need admin; nothing changes when refused', async () => {
    await rejectsWith(
      reader.doPutRaw(pathDescriptor('train'), train),
      Code.PERMISSION_DENIED,
      'user "reader" may not write dataset "train"; its scopes: read [train], write [], no admin',
    );
    const writer = new FlightClient(node.url, { token: tokens.writer });
    try {
      await rejectsWith(writer.doPutRaw(pathDescriptor('eval'), evaluation), Code.PERMISSION_DENIED, /^user "writer" may not write dataset "eval"/);
      await rejectsWith(drain(writer.doAction('drop', 'train')), Code.PERMISSION_DENIED, 'user "writer" may not run action "drop": it needs admin scope');
      const load = JSON.stringify({ name: 'train', source: '/etc', format: 'csv' });
      await rejectsWith(drain(writer.doAction('load', load)), Code.PERMISSION_DENIED, 'user "writer" may not run action "load": it needs admin scope');
    } finally {
      writer.close();
    }
    await assertServesExactly(node.url, 'train', train, tokens.reader);
    await assertServesExactly(node.url, 'eval', evaluation, tokens.carol);
  });

  test('/stats and /metrics need a bearer token; /healthz does not', async () => {
    const base = `http://127.0.0.1:${node.httpPort!}`;
    const anonymous = await fetch(`${base}/stats`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
    assert.match(await anonymous.text(), /^UNAUTHENTICATED: missing "authorization" header/);
    assert.equal((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer forged' } })).status, 401);
    const stats = await fetch(`${base}/stats`, { headers: { authorization: `Bearer ${tokens.reader}` } });
    assert.equal(stats.status, 200);
    assert.deepEqual(((await stats.json()) as { datasets: { name: string }[] }).datasets.map((d) => d.name), ['eval', 'train']);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
  });
});

test('an ops server on its own --http-host answers /stats without a token', async () => {
  const node = await startCacheNode({ port: 0, httpPort: 0, httpHost: '127.0.0.1', auth: createTokenAuth(new UserDirectory({ user: 'a', password: 'b' })) });
  try {
    assert.equal((await fetch(`http://127.0.0.1:${node.httpPort!}/stats`)).status, 200);
  } finally {
    await node.close();
  }
});

test('after 5 failed handshakes from a host its attempts are RESOURCE_EXHAUSTED; tokens already issued still read exact data', async () => {
  const node = await startCacheNode({ port: 0, auth: createTokenAuth(new UserDirectory({ user: 'alice', password: 's3cret' })) });
  const client = new FlightClient(node.url);
  try {
    const token = await client.handshake('alice', 's3cret');
    const data = referenceMessages(referenceTable(100));
    await putReference(node.url, 'data', data, token);
    for (let i = 0; i < 5; i++) await rejectsWith(client.handshake('alice', `guess-${i}`), Code.UNAUTHENTICATED, 'wrong user or password');
    await rejectsWith(client.handshake('alice', 's3cret'), Code.RESOURCE_EXHAUSTED, /^too many failed authentications from (::ffff:)?127\.0\.0\.1: 5 in 60 s; retry in \d+ s$/);
    await assertServesExactly(node.url, 'data', data, token);
  } finally {
    client.close();
    await node.close();
  }
});
