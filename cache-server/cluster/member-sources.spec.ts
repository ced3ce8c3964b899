import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { parseShardList, resolveShardDns, watchShardDns, type HostLookup } from './member-sources.js';
import { Membership } from './membership.js';
import { Code } from '../../client/src/flight/errors.js';

const member = (where: string) => ({ id: where, location: where });

test('a shard list parses into members whose ids are their locations', () => {
  assert.deepEqual(parseShardList('grpc://h1:8815,grpc://10.0.0.2:9000'), [member('grpc://h1:8815'), member('grpc://10.0.0.2:9000')]);
});

test('shard list entries are trimmed, normalized to grpc:// and deduplicated; empty entries are skipped', () => {
  assert.deepEqual(parseShardList(' grpc://h1:1 , grpc+tcp://h1:1,,grpc://[::1]:2,grpc://h2:3,'), [
    member('grpc://h1:1'),
    member('grpc://[::1]:2'),
    member('grpc://h2:3'),
  ]);
  assert.deepEqual(parseShardList('grpc+tls://h1:1,grpc+tls://[::1]:2'), [member('grpc+tls://h1:1'), member('grpc+tls://[::1]:2')]);
  assert.deepEqual(parseShardList(''), []);
});

test('a bad shard list entry is INVALID_ARGUMENT naming it', () => {
  const cases: Array<[string, string]> = [
    ['grpc://h1:1,http://h2:2', 'bad --shard-list entry "http://h2:2": unsupported Flight URL scheme http:// in "http://h2:2": expected grpc://host:port'],
    ['grpc://h1', 'bad --shard-list entry "grpc://h1": Flight URL "grpc://h1" needs a host and a port, e.g. grpc://localhost:8815'],
    ['h1:8815', 'bad --shard-list entry "h1:8815": unsupported Flight URL scheme h1:// in "h1:8815": expected grpc://host:port'],
    ['grpc://h1:0', 'bad --shard-list entry "grpc://h1:0": port 0 is not a shard\'s port'],
    ['grpc+unix:///tmp/s', 'bad --shard-list entry "grpc+unix:///tmp/s": grpc+unix:// locations are not supported yet: use grpc://, grpc+tcp:// or grpc+tls:// (grpc+unix:///tmp/s)'],
  ];
  for (const [text, message] of cases) assert.throws(() => parseShardList(text), { code: Code.INVALID_ARGUMENT, message });
});

test('a DNS name resolves to one member per distinct address, IPv6 in brackets, grpc+tls:// for TLS shards', async () => {
  const asked: string[] = [];
  const lookup: HostLookup = async (host) => {
    asked.push(host);
    return [
      { address: '10.0.0.7', family: 4 },
      { address: 'fd00::7', family: 6 },
      { address: '10.0.0.8', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ];
  };
  assert.deepEqual(await resolveShardDns('shards.ns.svc:8815', lookup), [
    member('grpc://10.0.0.7:8815'),
    member('grpc://[fd00::7]:8815'),
    member('grpc://10.0.0.8:8815'),
  ]);
  assert.deepEqual(asked, ['shards.ns.svc']);
  assert.deepEqual((await resolveShardDns('shards.ns.svc:8815', lookup, true)).map((m) => m.location), [
    'grpc+tls://10.0.0.7:8815',
    'grpc+tls://[fd00::7]:8815',
    'grpc+tls://10.0.0.8:8815',
  ]);
});

test('a bracketed IPv6 literal is looked up without its brackets', async () => {
  const lookup: HostLookup = async (host) => [{ address: host, family: 6 }];
  assert.deepEqual(await resolveShardDns('[::1]:7', lookup), [member('grpc://[::1]:7')]);
});

test('a malformed DNS spec is INVALID_ARGUMENT and a failed lookup UNAVAILABLE', async () => {
  const message = 'bad --shard-dns "shards": expected NAME:PORT, e.g. shards.flightcache.svc:8815';
  for (const spec of ['shards', 'shards:0', 'shards:70000', ':80', 'a:b:80', 'shards:x']) {
    await assert.rejects(resolveShardDns(spec, async () => []), { code: Code.INVALID_ARGUMENT });
  }
  await assert.rejects(resolveShardDns('shards', async () => []), { code: Code.INVALID_ARGUMENT, message });
  await assert.rejects(
    resolveShardDns('gone:1', async () => {
      throw new Error('getaddrinfo ENOTFOUND gone');
    }),
    { code: Code.UNAVAILABLE, message: 'cannot resolve shard name "gone": getaddrinfo ENOTFOUND gone' },
  );
  await assert.rejects(resolveShardDns('empty:1', async () => []), { code: Code.UNAVAILABLE, message: 'shard name "empty" resolved to no addresses' });
});

test('localhost resolves through the system resolver to loopback members', async () => {
  const members = await resolveShardDns('localhost:1234');
  assert.ok(members.length >= 1);
  for (const found of members) assert.ok(['grpc://127.0.0.1:1234', 'grpc://[::1]:1234'].includes(found.id), found.id);
});

test('watching DNS replaces the dns members on each resolution and keeps them when resolution fails', async () => {
  const answers: Array<string[] | Error> = [['10.0.0.1', '10.0.0.2'], new Error('SERVFAIL'), ['10.0.0.2', '10.0.0.3']];
  let calls = 0;
  const lookup: HostLookup = async () => {
    const answer = answers[Math.min(calls++, answers.length - 1)]!;
    if (answer instanceof Error) throw answer;
    return answer.map((address) => ({ address, family: 4 }));
  };
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
  const membership = new Membership({ probe: () => new Promise<void>(() => undefined) });
  membership.upsert({ id: 'static', location: 'grpc://s:1', source: 'static' });
  const ids = () => membership.list().map((found) => found.id);
  const seen: string[][] = [];
  membership.onChange(() => seen.push(ids()));
  const stop = watchShardDns('shards:9', membership, { intervalMs: 1, logger, lookup });
  while (calls < 4) await new Promise((resolve) => setTimeout(resolve, 1));
  stop();
  const after = calls;
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(calls, after);
  assert.deepEqual(ids(), ['grpc://10.0.0.2:9', 'grpc://10.0.0.3:9', 'static']);
  assert.ok(membership.list().every((found) => found.id === 'static' || found.source === 'dns'));
  assert.deepEqual(seen, [
    ['grpc://10.0.0.1:9', 'static'],
    ['grpc://10.0.0.1:9', 'grpc://10.0.0.2:9', 'static'],
    ['grpc://10.0.0.2:9', 'static'],
    ['grpc://10.0.0.2:9', 'grpc://10.0.0.3:9', 'static'],
  ]);
  assert.equal(lines.length, 1);
  const logged = JSON.parse(lines[0]!) as { msg: string; spec: string; err: { message: string } };
  assert.deepEqual([logged.msg, logged.spec, logged.err.message], [
    'shard DNS resolution failed; keeping the previous members',
    'shards:9',
    'cannot resolve shard name "shards": SERVFAIL',
  ]);
});

test('watching a malformed DNS spec throws at once', () => {
  const membership = new Membership({ probe: async () => undefined });
  assert.throws(() => watchShardDns('no-port', membership, { logger: pino({ level: 'silent' }) }), { code: Code.INVALID_ARGUMENT });
});
