/**
 * The keys bearer tokens are signed with: random secrets shared by every process of a cluster, read
 * from `--auth-key-file` (one key a line, at least 32 characters, e.g. `openssl rand -base64 32`;
 * `#` starts a comment). The first key signs; every key verifies, so a key is rotated by putting
 * the new one first and deleting the old one once its tokens have expired.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Code, FlightError } from '../../client/src/flight/errors.js';

const MIN_KEY_CHARS = 32;

/** Parses a key file's text. */
export function parseSigningKeys(text: string, where: string): Buffer[] {
  const keys = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (keys.length === 0) throw new FlightError(Code.INVALID_ARGUMENT, `${where} holds no key: write one random key a line (openssl rand -base64 32)`);
  keys.forEach((key, i) => {
    if (key.length < MIN_KEY_CHARS) {
      throw new FlightError(Code.INVALID_ARGUMENT, `${where}: key ${i + 1} has ${key.length} characters; a key needs at least ${MIN_KEY_CHARS} (openssl rand -base64 32)`);
    }
  });
  return keys.map((key) => Buffer.from(key, 'utf8'));
}

/** Reads `--auth-key-file`. */
export function loadSigningKeys(path: string): Buffer[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new FlightError(Code.INVALID_ARGUMENT, `cannot read --auth-key-file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseSigningKeys(text, `--auth-key-file ${path}`);
}

/** A fresh random key, in the text form key files hold. */
export function randomSigningKey(): string {
  return randomBytes(32).toString('base64url');
}
