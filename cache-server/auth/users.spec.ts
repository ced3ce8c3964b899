import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, parsePasswordHash, verifyPassword } from './passwords.js';
import { parseSigningKeys } from './signing-keys.js';
import { ALL_SCOPES } from './scopes.js';
import { UserDirectory } from './users.js';
import { Code } from '../../client/src/flight/errors.js';

test('password hashes are salted scrypt and verify only their password', () => {
  const a = hashPassword('s3cret');
  const b = hashPassword('s3cret');
  assert.match(a, /^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, b);
  assert.equal(verifyPassword('s3cret', parsePasswordHash(a, 'a')), true);
  assert.equal(verifyPassword('s3cret!', parsePasswordHash(a, 'a')), false);
});

test('hashes of another form or a cost past 256 MiB per check are refused naming where', () => {
  const refused = { code: Code.INVALID_ARGUMENT, message: 'user "x": password must be a hash from "flightcache hash-password" (scrypt$N$r$p$SALT$HASH)' };
  assert.throws(() => parsePasswordHash('s3cret', 'user "x"'), refused);
  const costly = hashPassword('p').replace('scrypt$16384$8$', 'scrypt$1048576$8$');
  assert.throws(() => parsePasswordHash(costly, 'user "x"'), refused);
});

test('a directory holds the --user/--password user with every scope and the credentials-file users with theirs', () => {
  const file = JSON.stringify({ users: { bob: { password: hashPassword('b'), read: ['eval*'], write: ['eval-new'], admin: false } } });
  const users = new UserDirectory({ user: 'alice', password: 'a' }, file);
  assert.equal(users.size, 2);
  assert.deepEqual(users.check('alice', 'a'), ALL_SCOPES);
  assert.deepEqual(users.check('bob', 'b'), { read: ['eval*'], write: ['eval-new'], admin: false });
  assert.deepEqual([users.check('bob', 'a'), users.check('alice', 'b'), users.check('carol', 'b')], [undefined, undefined, undefined]);
});

test('a malformed credentials file is refused naming the user and the key', () => {
  const refuses = (users: unknown, message: string): void => {
    assert.throws(() => new UserDirectory(undefined, JSON.stringify({ users }), 'creds.json'), { code: Code.INVALID_ARGUMENT, message });
  };
  refuses(['bob'], 'creds.json must be {"users": {"NAME": {"password": ..., "read": [...], "write": [...], "admin": false}}}');
  refuses({ bob: { password: hashPassword('b'), reed: [] } }, 'creds.json, user "bob": unknown key "reed" (known: password, read, write, admin)');
  refuses({ bob: { read: [] } }, 'creds.json, user "bob": "password" must be a hash string');
  assert.throws(() => new UserDirectory(undefined, '{', 'creds.json'), { code: Code.INVALID_ARGUMENT, message: /^creds\.json is not JSON: / });
});

test('signing key files hold one key a line of at least 32 characters; comments and blank lines are skipped', () => {
  const keys = parseSigningKeys(`# new\n${'n'.repeat(32)}\n\n${'o'.repeat(40)}\n`, 'keys');
  assert.deepEqual(keys.map((k) => k.toString()), ['n'.repeat(32), 'o'.repeat(40)]);
  assert.throws(() => parseSigningKeys('# none\n', 'keys'), {
    code: Code.INVALID_ARGUMENT,
    message: 'keys holds no key: write one random key a line (openssl rand -base64 32)',
  });
  assert.throws(() => parseSigningKeys('short', 'keys'), {
    code: Code.INVALID_ARGUMENT,
    message: 'keys: key 1 has 5 characters; a key needs at least 32 (openssl rand -base64 32)',
  });
});
