/**
 * Who may authenticate: `--user/--password` (one user with every permission) and the users of a
 * credentials file (scrypt hashes, per-user scopes):
 *
 *   {"users": {"alice": {"password": "scrypt$...", "read": ["train*"], "write": ["train-new"], "admin": false}}}
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { hashPassword, parsePasswordHash, verifyPassword, type PasswordHash } from './passwords.js';
import { ALL_SCOPES, parseScopes, type Scopes } from './scopes.js';

/** Credentials a server is started with (`--user/--password`). */
export interface Credentials {
  user: string;
  password: string;
}

interface FileUser {
  readonly hash: PasswordHash;
  readonly scopes: Scopes;
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

let decoy: PasswordHash | undefined;

/** A hash of the same cost as real ones to check unknown users against, so they take as long (made on first use). */
function decoyHash(): PasswordHash {
  decoy ??= parsePasswordHash(hashPassword('flightcache decoy'), 'decoy');
  return decoy;
}

/** How long a verified user:password pair is remembered, so Basic on every call costs one scrypt a minute. */
const VERIFIED_TTL_MS = 60_000;
const MAX_VERIFIED = 1024;

/** The users a server accepts. */
export class UserDirectory {
  readonly #fileUsers = new Map<string, FileUser>();
  readonly #plain: { user: Buffer; password: Buffer } | undefined;
  readonly #verified = new Map<string, { scopes: Scopes; until: number }>();

  /** `credentials`: the one `--user/--password` user; `fileText`/`where`: a credentials file's JSON. */
  constructor(credentials: Credentials | undefined, fileText?: string, where = 'credentials file') {
    this.#plain = credentials && { user: sha256(credentials.user), password: sha256(credentials.password) };
    if (fileText !== undefined) this.#load(fileText, where);
  }

  /** Reads a credentials file. */
  static fromFile(credentials: Credentials | undefined, path: string): UserDirectory {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new FlightError(Code.INVALID_ARGUMENT, `cannot read credentials file ${path}: ${(err as Error).message}`, { cause: err });
    }
    return new UserDirectory(credentials, text, `credentials file ${path}`);
  }

  /** Number of users. */
  get size(): number {
    return this.#fileUsers.size + (this.#plain ? 1 : 0);
  }

  /** The scopes of `user` if `password` is theirs, else undefined; time does not depend on where they differ. */
  check(user: string, password: string): Scopes | undefined {
    if (this.#plain) {
      const userOk = timingSafeEqual(sha256(user), this.#plain.user);
      const passwordOk = timingSafeEqual(sha256(password), this.#plain.password);
      if (userOk && passwordOk) return ALL_SCOPES;
    }
    const key = sha256(`${user}\0${password}`).toString('base64');
    const known = this.#verified.get(key);
    if (known && known.until > Date.now()) return known.scopes;
    const entry = this.#fileUsers.get(user);
    const ok = verifyPassword(password, entry?.hash ?? decoyHash()) && entry !== undefined;
    if (!ok) return undefined;
    if (this.#verified.size >= MAX_VERIFIED) this.#verified.clear();
    this.#verified.set(key, { scopes: entry.scopes, until: Date.now() + VERIFIED_TTL_MS });
    return entry.scopes;
  }

  #load(text: string, where: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new FlightError(Code.INVALID_ARGUMENT, `${where} is not JSON: ${(err as Error).message}`);
    }
    const users = (parsed as { users?: unknown } | null)?.users;
    if (typeof users !== 'object' || users === null || Array.isArray(users)) {
      throw new FlightError(Code.INVALID_ARGUMENT, `${where} must be {"users": {"NAME": {"password": ..., "read": [...], "write": [...], "admin": false}}}`);
    }
    for (const [user, value] of Object.entries(users as Record<string, unknown>)) {
      const at = `${where}, user "${user}"`;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FlightError(Code.INVALID_ARGUMENT, `${at} must be an object`);
      const entry = value as Record<string, unknown>;
      for (const key of Object.keys(entry)) {
        if (!['password', 'read', 'write', 'admin'].includes(key)) {
          throw new FlightError(Code.INVALID_ARGUMENT, `${at}: unknown key "${key}" (known: password, read, write, admin)`);
        }
      }
      if (typeof entry.password !== 'string') throw new FlightError(Code.INVALID_ARGUMENT, `${at}: "password" must be a hash string`);
      this.#fileUsers.set(user, { hash: parsePasswordHash(entry.password, at), scopes: parseScopes(entry, at) });
    }
  }
}
