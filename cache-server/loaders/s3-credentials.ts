/**
 * Where an S3 store is and whose keys sign the requests, resolved as the AWS SDKs resolve them:
 * options given with the load first, then the standard variables (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_ENDPOINT_URL[_S3]), then a named profile
 * (the load's `profile`, else AWS_PROFILE, else "default") of the shared credentials file
 * (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials) and config file (AWS_CONFIG_FILE, else
 * ~/.aws/config: `[profile NAME]` sections, `region` and `endpoint_url` keys). A profile named in the
 * load wins over the variables' keys, as naming it asks for it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Code, FlightError } from '../../client/src/flight/errors.js';

/** Where and how to reach the store. */
export interface S3Config {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** S3 settings given with a load (the action's "s3" option); each overrides what the server has. */
export interface S3Options {
  readonly profile?: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  readonly sessionToken?: string;
}

/** The keys of S3Options, for checking a request. */
export const S3_OPTION_KEYS: ReadonlyArray<keyof S3Options> = ['profile', 'endpoint', 'region', 'accessKeyId', 'secretAccessKey', 'sessionToken'];

/** The sections of an INI file (AWS style: `[name]`, `key = value`, `#`/`;` comments); empty when it does not exist. */
export function iniSections(path: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  if (!existsSync(path)) return sections;
  let current: Map<string, string> | undefined;
  for (const raw of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (header) {
      current = sections.get(header[1]!) ?? new Map<string, string>();
      sections.set(header[1]!, current);
    } else if (current && line.includes('=')) {
      const at = line.indexOf('=');
      current.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
    }
  }
  return sections;
}

/** The S3 store for a load; see the module comment. FAILED_PRECONDITION when no keys are found. */
export function s3Config(given: S3Options = {}, env: NodeJS.ProcessEnv = process.env, home: string = homedir()): S3Config {
  const named = given.profile ?? env.AWS_PROFILE;
  const profile = named ?? 'default';
  const credentialsFile = env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, '.aws', 'credentials');
  const configFile = env.AWS_CONFIG_FILE ?? join(home, '.aws', 'config');
  const credentials = iniSections(credentialsFile).get(profile);
  const config = iniSections(configFile).get(profile === 'default' ? 'default' : `profile ${profile}`);
  if (named !== undefined && !credentials && !config) {
    throw new FlightError(Code.FAILED_PRECONDITION, `AWS profile "${named}" is in neither ${credentialsFile} nor ${configFile}`);
  }
  const fromProfile = (key: string): string | undefined => credentials?.get(key) ?? config?.get(key);
  let keys: { accessKeyId: string; secretAccessKey: string; sessionToken?: string | undefined } | undefined;
  if (given.accessKeyId && given.secretAccessKey) keys = { accessKeyId: given.accessKeyId, secretAccessKey: given.secretAccessKey, sessionToken: given.sessionToken };
  else if (given.profile === undefined && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    keys = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN };
  } else {
    const [id, secret] = [fromProfile('aws_access_key_id'), fromProfile('aws_secret_access_key')];
    if (id && secret) keys = { accessKeyId: id, secretAccessKey: secret, sessionToken: fromProfile('aws_session_token') };
  }
  if (!keys) {
    throw new FlightError(
      Code.FAILED_PRECONDITION,
      `s3:// sources need credentials: none given with the load, none in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, and profile "${profile}" has no aws_access_key_id/aws_secret_access_key in ${credentialsFile} or ${configFile}`,
    );
  }
  const region = given.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? config?.get('region') ?? 'us-east-1';
  const endpoint = given.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? config?.get('endpoint_url') ?? `https://s3.${region}.amazonaws.com`;
  return {
    endpoint: endpoint.replace(/\/+$/, ''),
    region,
    accessKeyId: keys.accessKeyId,
    secretAccessKey: keys.secretAccessKey,
    ...(keys.sessionToken ? { sessionToken: keys.sessionToken } : {}),
  };
}
