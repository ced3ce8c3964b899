/**
 * Flight's Basic -> Bearer authentication: Handshake checks `authorization: Basic base64(user:pw)` and
 * answers with `authorization: Bearer <token>`; every other call must carry that bearer header (or
 * the Basic credentials themselves, for clients that cannot hold a token). Tokens are signed with a
 * key derived from the credentials, so every process of a cluster started with the same credentials
 * accepts a token any of them issued: a client authenticates once, at the coordinator.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Code, FlightError } from '../flight/errors.js';
import type { CallContext, Interceptor, Metadata } from '../flight/grpc/method.js';

/** The Handshake path, the one call allowed without a token. */
export const HANDSHAKE_PATH = '/arrow.flight.protocol.FlightService/Handshake';

/** Credentials a server is started with. */
export interface Credentials {
  user: string;
  password: string;
}

/** Compares two strings in time independent of where they differ. */
function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Reads the single authorization header value, if any. */
function authorizationOf(md: Metadata): string | undefined {
  const value = md['authorization'];
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}

/** Issues and checks bearer tokens for one set of credentials. Tokens live for `ttlMs`. */
export class TokenAuth {
  private readonly key: Buffer;

  constructor(
    private readonly credentials: Credentials,
    private readonly ttlMs = 24 * 3600 * 1000,
  ) {
    this.key = createHash('sha256').update(`flightcache-token\0${credentials.user}\0${credentials.password}`).digest();
  }

  /** The signature of a token payload. */
  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }

  /** Checks Basic credentials from a Handshake call and returns a new bearer token. */
  issueToken(md: Metadata): string {
    const auth = authorizationOf(md);
    if (auth === undefined) {
      throw new FlightError(Code.UNAUTHENTICATED, 'Handshake needs an "authorization: Basic base64(user:password)" header');
    }
    const user = this.checkBasic(auth);
    const payload = Buffer.from(JSON.stringify({ u: user, e: Date.now() + this.ttlMs, n: randomBytes(9).toString('base64url') })).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  /** The interceptor that rejects calls without a valid token or Basic credentials. */
  interceptor(): Interceptor {
    return (ctx: CallContext) => {
      if (ctx.path === HANDSHAKE_PATH) return;
      ctx.values.set('user', this.authenticate(authorizationOf(ctx.metadata)));
    };
  }

  /** Returns the user an `authorization` header value authenticates, or throws UNAUTHENTICATED. */
  authenticate(auth: string | undefined): string {
    if (auth === undefined) {
      throw new FlightError(
        Code.UNAUTHENTICATED,
        'missing "authorization" header: call Handshake with Basic credentials and send the returned Bearer token',
      );
    }
    if (/^basic /i.test(auth)) return this.checkBasic(auth);
    const match = /^bearer (.+)$/i.exec(auth);
    if (!match) throw new FlightError(Code.UNAUTHENTICATED, 'authorization header must be "Bearer <token>" or "Basic <credentials>"');
    const [payload, signature, extra] = match[1]!.trim().split('.');
    if (payload === undefined || signature === undefined || extra !== undefined || !safeEqual(signature, this.sign(payload))) {
      throw new FlightError(Code.UNAUTHENTICATED, 'invalid bearer token');
    }
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { u: string; e: number };
    if (claims.e < Date.now()) throw new FlightError(Code.UNAUTHENTICATED, 'expired bearer token: call Handshake again');
    return claims.u;
  }

  /** Validates a "Basic ..." header value and returns the user. */
  private checkBasic(auth: string): string {
    const match = /^basic (.+)$/i.exec(auth);
    if (!match) throw new FlightError(Code.UNAUTHENTICATED, 'Handshake needs Basic credentials');
    const decoded = Buffer.from(match[1]!.trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new FlightError(Code.UNAUTHENTICATED, 'malformed Basic credentials: expected base64(user:password)');
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const userOk = safeEqual(user, this.credentials.user);
    const passwordOk = safeEqual(password, this.credentials.password);
    if (!userOk || !passwordOk) throw new FlightError(Code.UNAUTHENTICATED, 'wrong user or password');
    return user;
  }
}
