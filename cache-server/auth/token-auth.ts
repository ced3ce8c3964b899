/**
 * Flight's Basic -> Bearer authentication: Handshake checks `authorization: Basic base64(user:pw)`
 * against the user directory and answers with `authorization: Bearer <token>`; every other call
 * must carry that bearer header (or the Basic credentials themselves, for clients that cannot hold
 * a token). A token is `PAYLOAD.SIGNATURE`: base64url JSON claims (user, expiry, scopes) and their
 * HMAC-SHA256 under the cluster's signing key, so every process started with the same
 * `--auth-key-file` accepts a token any of them issued, and a leaked token says nothing about a
 * password. Failed authentications are rate-limited per client host.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { CallContext, Interceptor, Metadata } from '../../client/src/flight/grpc/method.js';
import { FailureLimiter } from './failure-limiter.js';
import { ALL_SCOPES, type Scopes } from './scopes.js';
import type { UserDirectory } from './users.js';

/** The Handshake path, the one call allowed without a token. */
export const HANDSHAKE_PATH = '/arrow.flight.protocol.FlightService/Handshake';

/** The user named in the tokens the processes of a cluster mint for each other. */
export const CLUSTER_USER = 'flightcache-cluster';

/** Who a call is made by. */
export interface Identity {
  readonly user: string;
  readonly scopes: Scopes;
}

/** How a server authenticates. */
export interface TokenAuthOptions {
  readonly users: UserDirectory;
  /** Signing keys: the first signs, every one verifies (rotation). */
  readonly keys: readonly Buffer[];
  /** Token lifetime (default 24 h). */
  readonly ttlMs?: number;
  readonly limiter?: FailureLimiter;
}

const IDENTITY = 'identity';

/** The identity an authenticated call was made by (set by TokenAuth's interceptor). */
export function identityOf(ctx: Pick<CallContext, 'values'>): Identity | undefined {
  return ctx.values.get(IDENTITY) as Identity | undefined;
}

/** Compares two strings in time independent of where they differ. */
function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** Reads the single authorization header value, if any. */
export function authorizationOf(md: Metadata): string | undefined {
  const value = md['authorization'];
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}

/** The host part of a host:port peer address. */
function hostOf(peer: string): string {
  const colon = peer.lastIndexOf(':');
  return colon < 0 ? peer : peer.slice(0, colon);
}

const isPatterns = (value: unknown): value is string[] => Array.isArray(value) && value.every((p) => typeof p === 'string');

/** Issues and checks bearer tokens. */
export class TokenAuth {
  private readonly ttlMs: number;
  private readonly limiter: FailureLimiter;
  private cluster: { token: string; renewAt: number } | undefined;

  constructor(private readonly options: TokenAuthOptions) {
    if (options.keys.length === 0) throw new FlightError(Code.INVALID_ARGUMENT, 'token authentication needs at least one signing key');
    this.ttlMs = options.ttlMs ?? 24 * 3600 * 1000;
    this.limiter = options.limiter ?? new FailureLimiter();
  }

  /** Checks Basic credentials from a Handshake call made from `peer` and returns a new bearer token. */
  issueToken(md: Metadata, peer: string): string {
    const auth = authorizationOf(md);
    if (auth === undefined) {
      throw new FlightError(Code.UNAUTHENTICATED, 'Handshake needs an "authorization: Basic base64(user:password)" header');
    }
    return this.sign(this.checkBasic(auth, peer));
  }

  /** A token for the other processes of the cluster (every scope), renewed at half its lifetime. */
  clusterToken(): string {
    const now = Date.now();
    if (!this.cluster || this.cluster.renewAt <= now) {
      this.cluster = { token: this.sign({ user: CLUSTER_USER, scopes: ALL_SCOPES }), renewAt: now + this.ttlMs / 2 };
    }
    return this.cluster.token;
  }

  /** The interceptor that rejects calls without a valid token or Basic credentials and records the caller's identity. */
  interceptor(): Interceptor {
    return (ctx: CallContext) => {
      if (ctx.path === HANDSHAKE_PATH) return;
      ctx.values.set(IDENTITY, this.authenticate(authorizationOf(ctx.metadata), ctx.peer));
    };
  }

  /** The identity an authorization header value proves, or UNAUTHENTICATED. */
  authenticate(auth: string | undefined, peer: string): Identity {
    if (auth === undefined) {
      throw new FlightError(
        Code.UNAUTHENTICATED,
        'missing "authorization" header: call Handshake with Basic credentials and send the returned Bearer token',
      );
    }
    if (/^basic /i.test(auth)) return this.checkBasic(auth, peer);
    const match = /^bearer (.+)$/i.exec(auth);
    if (!match) throw new FlightError(Code.UNAUTHENTICATED, 'authorization header must be "Bearer <token>" or "Basic <credentials>"');
    return this.verify(match[1]!.trim());
  }

  private sign(identity: Identity): string {
    const { read, write, admin } = identity.scopes;
    const claims = { u: identity.user, e: Date.now() + this.ttlMs, r: read, w: write, a: admin, n: randomBytes(9).toString('base64url') };
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${payload}.${this.signature(payload, this.options.keys[0]!)}`;
  }

  private signature(payload: string, key: Buffer): string {
    return createHmac('sha256', key).update(payload).digest('base64url');
  }

  private verify(token: string): Identity {
    const [payload, signature, extra] = token.split('.');
    // Every key is tried, so the time taken does not tell which one (if any) signed it.
    const valid = payload !== undefined && signature !== undefined && extra === undefined
      ? this.options.keys.map((key) => safeEqual(signature, this.signature(payload, key))).includes(true)
      : false;
    if (!valid) throw new FlightError(Code.UNAUTHENTICATED, 'invalid bearer token (signed with another key? every process needs the same --auth-key-file)');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof claims.u !== 'string' || typeof claims.e !== 'number' || !isPatterns(claims.r) || !isPatterns(claims.w) || typeof claims.a !== 'boolean') {
      throw new FlightError(Code.UNAUTHENTICATED, 'invalid bearer token: call Handshake again');
    }
    if (claims.e < Date.now()) throw new FlightError(Code.UNAUTHENTICATED, 'expired bearer token: call Handshake again');
    return { user: claims.u, scopes: { read: claims.r, write: claims.w, admin: claims.a } };
  }

  /** Validates a "Basic ..." header value from `peer`: its user's identity, or UNAUTHENTICATED (counted against the peer). */
  private checkBasic(auth: string, peer: string): Identity {
    const host = hostOf(peer);
    this.limiter.check(host);
    const match = /^basic (.+)$/i.exec(auth);
    if (!match) throw new FlightError(Code.UNAUTHENTICATED, 'Handshake needs Basic credentials');
    const decoded = Buffer.from(match[1]!.trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new FlightError(Code.UNAUTHENTICATED, 'malformed Basic credentials: expected base64(user:password)');
    const user = decoded.slice(0, colon);
    const scopes = this.options.users.check(user, decoded.slice(colon + 1));
    if (!scopes) {
      this.limiter.fail(host);
      throw new FlightError(Code.UNAUTHENTICATED, 'wrong user or password');
    }
    return { user, scopes };
  }
}

/** TokenAuth for `users`, signing with `keys`, or when none are configured with a random key of this process alone. */
export function createTokenAuth(users: UserDirectory, keys?: readonly Buffer[]): TokenAuth {
  return new TokenAuth({ users, keys: keys ?? [randomBytes(32)] });
}
