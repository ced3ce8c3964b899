/**
 * Password hashes for the credentials file: scrypt (N=2^14, r=8, p=1, 32-byte key, 16-byte salt),
 * written `scrypt$N$r$p$SALT$HASH` with base64url SALT and HASH, compared in constant time.
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { Code, FlightError } from '../../client/src/flight/errors.js';

const N = 16384;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
/** The most memory one check may take (scrypt needs 128 * N * r bytes). */
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;
const FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{43})$/;

/** A parsed password hash. */
export interface PasswordHash {
  readonly n: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

/** Hashes a password with a fresh random salt. */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, KEY_BYTES, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/** Parses a hash written by hashPassword; INVALID_ARGUMENT naming `where` otherwise. */
export function parsePasswordHash(encoded: string, where: string): PasswordHash {
  const match = FORMAT.exec(encoded);
  const [n, r, p] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
  // Bounds keep a hostile file from making each check take seconds or gigabytes.
  if (!match || n < 2 || (n & (n - 1)) !== 0 || r < 1 || p < 1 || p > 16 || 128 * n * r > MAX_MEMORY_BYTES) {
    throw new FlightError(Code.INVALID_ARGUMENT, `${where}: password must be a hash from "flightcache hash-password" (scrypt$N$r$p$SALT$HASH)`);
  }
  return { n, r, p, salt: Buffer.from(match[4]!, 'base64url'), hash: Buffer.from(match[5]!, 'base64url') };
}

/** Whether `password` matches `hash`; the comparison takes the same time wherever they differ. */
export function verifyPassword(password: string, hash: PasswordHash): boolean {
  const candidate = scryptSync(password, hash.salt, KEY_BYTES, { N: hash.n, r: hash.r, p: hash.p, maxmem: 2 * 128 * hash.n * hash.r });
  return timingSafeEqual(candidate, hash.hash);
}
