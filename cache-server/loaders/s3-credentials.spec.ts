import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { s3Config } from './s3-credentials.js';

const home = mkdtempSync(join(tmpdir(), 'flightcache-home-'));
after(() => rmSync(home, { recursive: true, force: true }));
writeFileSync(join(home, 'credentials'), '[default]\naws_access_key_id = DEFAULTID\naws_secret_access_key = defaultsecret\n\n# a comment\n[work]\naws_access_key_id=WORKID\naws_secret_access_key=worksecret\naws_session_token = worktoken\n');
writeFileSync(join(home, 'config'), '[default]\nregion = eu-west-1\n\n[profile work]\nregion = us-west-2\nendpoint_url = http://127.0.0.1:9000/\n\n[profile keys-in-config]\naws_access_key_id = CFGID\naws_secret_access_key = cfgsecret\n');
const files = { AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'), AWS_CONFIG_FILE: join(home, 'config') };

test('s3Config takes the default profile of the shared files when nothing else is set', () => {
  assert.deepEqual(s3Config({}, files), { endpoint: 'https://s3.eu-west-1.amazonaws.com', region: 'eu-west-1', accessKeyId: 'DEFAULTID', secretAccessKey: 'defaultsecret' });
});

test('s3Config: AWS_PROFILE names the profile; its region, endpoint and session token come along', () => {
  assert.deepEqual(s3Config({}, { ...files, AWS_PROFILE: 'work' }), { endpoint: 'http://127.0.0.1:9000', region: 'us-west-2', accessKeyId: 'WORKID', secretAccessKey: 'worksecret', sessionToken: 'worktoken' });
  assert.equal(s3Config({}, { ...files, AWS_PROFILE: 'keys-in-config' }).accessKeyId, 'CFGID');
});

test('s3Config: the variables\' keys beat AWS_PROFILE, a profile given with the load beats them, given keys beat all', () => {
  const env = { ...files, AWS_PROFILE: 'work', AWS_ACCESS_KEY_ID: 'ENVID', AWS_SECRET_ACCESS_KEY: 'envsecret', AWS_REGION: 'ap-south-1', AWS_ENDPOINT_URL: 'http://env:1' };
  assert.deepEqual(s3Config({}, env), { endpoint: 'http://env:1', region: 'ap-south-1', accessKeyId: 'ENVID', secretAccessKey: 'envsecret' });
  assert.equal(s3Config({ profile: 'default' }, env).accessKeyId, 'DEFAULTID');
  assert.deepEqual(s3Config({ accessKeyId: 'GIVEN', secretAccessKey: 's', endpoint: 'http://given:2', region: 'r' }, env), { endpoint: 'http://given:2', region: 'r', accessKeyId: 'GIVEN', secretAccessKey: 's' });
});

test('s3Config fails with FAILED_PRECONDITION naming an unknown profile, or where it looked for keys', () => {
  const failed = (message: string) => (err: unknown) => err instanceof FlightError && err.code === Code.FAILED_PRECONDITION && err.message === message;
  assert.throws(() => s3Config({ profile: 'nope' }, files), failed(`AWS profile "nope" is in neither ${files.AWS_SHARED_CREDENTIALS_FILE} nor ${files.AWS_CONFIG_FILE}`));
  const empty = { AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'), AWS_CONFIG_FILE: join(home, 'none2') };
  assert.throws(() => s3Config({}, empty), failed(`s3:// sources need credentials: none given with the load, none in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, and profile "default" has no aws_access_key_id/aws_secret_access_key in ${empty.AWS_SHARED_CREDENTIALS_FILE} or ${empty.AWS_CONFIG_FILE}`));
});
